import {
  AbortMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { announceAwsClient, onAwsClientsReset } from '../clients.ts';

/*
 * Everything of the S3 SDK the hub runs: its client and the commands of the payload bucket.
 * Import it statically only where S3 is on every request's path; elsewhere load it through
 * `loadS3Client` (./s3.ts), so a bundle evaluates the S3 modules on first use instead of at import.
 * It takes its one setting from the caller rather than importing the runtime config: whatever this
 * module imports is deferred with it, and zod (the config's parser) is needed at import anyway.
 */
export {
  AbortMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
};

let s3: S3Client | undefined;

onAwsClientsReset(() => {
  s3?.destroy();
  s3 = undefined;
});

/**
 * The process-wide S3 client; `forcePathStyle` is SWITCHBOARD_S3_FORCE_PATH_STYLE (emulators serve
 * buckets by path, not as `<bucket>.host` virtual hosts) and only the first call's value counts.
 */
export const s3Client = ({ forcePathStyle }: { readonly forcePathStyle: boolean }): S3Client => {
  if (!s3) {
    s3 = new S3Client({ forcePathStyle });
    announceAwsClient(s3);
  }
  return s3;
};
