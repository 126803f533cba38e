import type { FinalizeRequestMiddleware, MiddlewareStack } from '@smithy/types';
import { type RequestSigner, replaceSigning } from '#shared/aws/signed/aws-json.ts';
import { amzDates, headersToSign } from '#shared/aws/signed/sigv4.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './local-aws.ts';

/**
 * The local emulators never check a signature: dynalite wants an `Authorization` header of SigV4's
 * form (and an `X-Amz-Date`) and reads nothing from it, fauxqs reads the region from its
 * credential scope. Yet the SDK's signing (canonical request, hashes, HMACs) was about a fifth of
 * each call's client-side CPU in the local hub (2026-12-02: 664 → 438 µs per GetItem, same
 * process, in turns), paid on every call of every function thread and poller. For the clients
 * of the services whose emulators these are, the local hub swaps the signing step for a fixed
 * header of the same form: the SDK's clients (usePlaceholderSigning) and, since 2026-12-08, the
 * JSON-protocol requests of shared/aws/signed/ (the functions' DynamoDB item calls, their helpdesk
 * batches, the webhooks' SendMessageBatch and replay-guard PutItem, the local event sources' own
 * polls: usePlaceholderSignedRequests, placeholderSignedHeaders), whose SigV4 was a tenth of the
 * recorder thread's CPU in a full-speed replay (bench/results/2026-12-08-replay-profile.txt).
 * Only in the local hub: what the functions deploy still signs (no code of theirs changes), and
 * the signer itself is held to the SDK's by tests/intake/signed-requests.test.ts. Every client of
 * a service played by a simulator that may check (SES, Secrets Manager), and S3's signed puts,
 * still sign.
 */

/** The SDK's `serviceId` of each service whose local emulator ignores signatures, and its signing name. */
const UNCHECKED_SERVICES: Readonly<Record<string, string>> = { DynamoDB: 'dynamodb', SQS: 'sqs' };

/** The SDK's signing step, by the name its middleware registers under. */
const SIGNING_MIDDLEWARE = 'httpSigningMiddleware';

interface SdkClient {
  readonly config?: { readonly serviceId?: string };
  readonly middlewareStack: MiddlewareStack<object, object>;
}

/** A header of SigV4's form whose signature is no signature: what an emulator that parses but never verifies needs. */
const placeholderAuthorization = (
  service: string,
  shortDate: string,
  accessKeyId: string = LOCAL_CREDENTIALS.accessKeyId,
  region: string = LOCAL_REGION,
): string =>
  `AWS4-HMAC-SHA256 Credential=${accessKeyId}/${shortDate}/${region}/${service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`;

/**
 * Replaces an SDK client's request signing with the placeholder header when its service's emulator
 * ignores signatures; any other client is left as it is. Returns whether it replaced it.
 */
export const usePlaceholderSigning = (client: unknown): boolean => {
  const sdkClient = client as SdkClient;
  const service = UNCHECKED_SERVICES[sdkClient.config?.serviceId ?? ''];
  if (service === undefined || !sdkClient.middlewareStack.remove(SIGNING_MIDDLEWARE)) return false;
  const sign: FinalizeRequestMiddleware<object, object> = (next) => (args) => {
    const request = args.request as { headers?: Record<string, string> };
    if (request.headers) {
      const { long, short } = amzDates(new Date());
      request.headers['x-amz-date'] = long;
      request.headers.authorization = placeholderAuthorization(service, short);
    }
    return next(args);
  };
  sdkClient.middlewareStack.add(sign, { step: 'finalizeRequest', name: 'switchboardPlaceholderSigning' });
  return true;
};

/**
 * The headers `signRequest` would send (names lower-cased, `host`, `x-amz-date`, a session's
 * token), with the placeholder `Authorization` of the same credentials, region and service: no
 * hash of the body, no canonical request, no HMAC.
 */
export const placeholderSignedHeaders: RequestSigner = (request, scope) => {
  const { headers, short } = headersToSign(request, scope);
  headers.authorization = placeholderAuthorization(
    scope.service,
    short,
    scope.credentials.accessKeyId,
    scope.region,
  );
  return headers;
};

/**
 * This thread's JSON-protocol requests to the services whose emulators ignore signatures carry the
 * placeholder (replaceSigning); every other service's are signed. Returns the undo.
 */
export const usePlaceholderSignedRequests = (): (() => void) => {
  const undo = Object.values(UNCHECKED_SERVICES).map((service) =>
    replaceSigning(service, placeholderSignedHeaders),
  );
  return () => {
    for (const step of undo) step();
  };
};
