import { lazyS3BlobStore, type S3BlobStore } from '#shared/aws/blob-store.ts';
import { requireConfig } from '#shared/config/runtime.ts';

/*
 * Apart from the webhooks' wiring (./wiring.ts) on purpose: the lazy S3 SDK behind this store is a
 * dynamic import, and esbuild wraps every module such an import can reach (zod, the signed-request
 * modules) in an init function, parsed twice and run through a wrapper at import. A webhook bundle
 * never imports this module, so its modules stay plain top-level code.
 */

let store: { readonly bucket: string; readonly store: S3BlobStore } | undefined;

/**
 * The payload bucket for reading and writing (SES receipts read the raw MIME S3 stored), created on
 * first use for the bucket configured now; the S3 SDK itself loads on the first put or get.
 */
export const payloadStore = (): S3BlobStore => {
  const bucket = requireConfig('SWITCHBOARD_PAYLOAD_BUCKET').SWITCHBOARD_PAYLOAD_BUCKET;
  if (store?.bucket !== bucket) store = { bucket, store: lazyS3BlobStore(bucket) };
  return store.store;
};
