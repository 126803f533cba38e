import type { S3ClientSource } from './blob-store.ts';
import { loadS3Commands } from './clients/s3.ts';
import { isAccessDeniedError, isNoSuchObjectError } from './object-errors.ts';

/*
 * Whether a payload object is missing, as every reader of the bucket decides it (the recorder's
 * claim checks, the sender's files sent by key, the helpdesk API's attachment URLs). S3 answers a
 * missing key 404 to a reader that may list it and 403 AccessDenied to one that may not; whether an
 * `s3:prefix`-conditioned listing grant is enough for the 404 is not settled, so a 403 is settled
 * by listing that one key.
 */

/** Whether a ListObjectsV2 of exactly `key` (s3:ListBucket on its prefix) finds it. */
const listsKey = async (s3: S3ClientSource, bucket: string, key: string): Promise<boolean> => {
  const [{ ListObjectsV2Command }, client] = await Promise.all([
    loadS3Commands(),
    typeof s3 === 'function' ? s3() : s3,
  ]);
  const output = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key, MaxKeys: 1 }));
  return (output.Contents ?? []).some((object) => object.Key === key);
};

/**
 * Whether the failed read of `key` (`error`, from GetObject or HeadObject) means the object is not
 * there: a 404, or a 403 for a key that listing does not find. A 403 for a key the listing finds,
 * or whose listing fails too, is the refusal it says (the caller throws it: retried, or an error);
 * every other error is not "missing".
 */
export const isMissingObject = async (
  error: unknown,
  s3: S3ClientSource,
  bucket: string,
  key: string,
): Promise<boolean> => {
  if (isNoSuchObjectError(error)) return true;
  if (!isAccessDeniedError(error)) return false;
  return !(await listsKey(s3, bucket, key).catch(() => true));
};
