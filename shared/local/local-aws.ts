/**
 * What every local emulator accepts. Kept apart from `emulators.ts` so code that runs inside a
 * function's environment (a worker) can use them without loading the emulators.
 */

/** Emulators accept any credentials; fixed ones keep the SDK from searching the machine for real ones. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;
export const LOCAL_REGION = 'us-east-1';

/** The variables a signed client (shared/aws/signed/) reads, set for the emulators. */
export const LOCAL_SIGNING_ENV = {
  AWS_REGION: LOCAL_REGION,
  AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
} as const;
