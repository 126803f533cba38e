/*
 * What an S3 read's error says of the object, for every reader of the payload bucket. No AWS SDK
 * here: the webhook bundles (which carry none) classify claim-check reads with it too.
 */

const statusOf = (error: unknown): number | undefined =>
  (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;

/** S3 said there is no such object: NoSuchKey (GetObject), NotFound (a HEAD, which has no body), or a 404. */
export const isNoSuchObjectError = (error: unknown): boolean =>
  error instanceof Error &&
  (error.name === 'NoSuchKey' || error.name === 'NotFound' || statusOf(error) === 404);

/** S3 refused the request: AccessDenied, or a 403 (a HEAD's error has no name of its own). */
export const isAccessDeniedError = (error: unknown): boolean =>
  error instanceof Error && (error.name === 'AccessDenied' || statusOf(error) === 403);
