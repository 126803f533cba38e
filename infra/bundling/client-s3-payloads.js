// Stands in for `@aws-sdk/client-s3` in Lambda bundles (esbuild --alias, see options.ts): the
// client and the two commands the payload bucket uses, straight from their files. The package's
// index re-exports every command, paginator and waiter; esbuild drops those only while S3 is
// imported statically. Loaded lazily (shared/aws/clients/s3.ts), the index would keep them all
// (about 40 KB more); through this file it cannot. Another S3 export used anywhere fails the build
// (import-is-undefined is an error), it is never undefined at run time.
// Local runs (tsx, vitest, the CLIs) are not bundled and use the package itself.
export { GetObjectCommand } from '../../node_modules/@aws-sdk/client-s3/dist-es/commands/GetObjectCommand.js';
export { PutObjectCommand } from '../../node_modules/@aws-sdk/client-s3/dist-es/commands/PutObjectCommand.js';
export { S3Client } from '../../node_modules/@aws-sdk/client-s3/dist-es/S3Client.js';
