import { S3Client } from '@aws-sdk/client-s3';
import { runtimeConfig } from '#shared/config/runtime.ts';
import { onAwsClientsReset } from '../clients.ts';
import { countCommandsOf } from '../command-counter.ts';

let s3: S3Client | undefined;

onAwsClientsReset(() => {
  s3?.destroy();
  s3 = undefined;
});

export const s3Client = (): S3Client => {
  // Emulators serve buckets by path, not as `<bucket>.host` virtual hosts.
  if (!s3) {
    s3 = new S3Client({ forcePathStyle: runtimeConfig().SWITCHBOARD_S3_FORCE_PATH_STYLE });
    countCommandsOf(s3);
  }
  return s3;
};
