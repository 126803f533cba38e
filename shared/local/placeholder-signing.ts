import type { FinalizeRequestMiddleware, MiddlewareStack } from '@smithy/types';
import { amzDates } from '#shared/aws/signed/sigv4.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './local-aws.ts';

/**
 * The local emulators never check a signature: dynalite wants an `Authorization` header of SigV4's
 * form (and an `X-Amz-Date`) and reads nothing from it, fauxqs reads the region from its
 * credential scope. Yet the SDK's signing (canonical request, hashes, HMACs) was about a fifth of
 * each call's client-side CPU in the local hub (2026-12-02: 664 → 438 µs per GetItem, same
 * process, in turns), paid on every call of every function thread and poller. For the clients
 * of the services whose emulators these are, the local hub swaps the signing step for a fixed
 * header of the same form. Only SDK clients in the local hub: what the functions deploy still
 * signs (no code of theirs changes), as do the webhooks' own signed requests (shared/aws/signed/),
 * which are the code under test there, and every client of a service played by a simulator that
 * may check (SES, Secrets Manager).
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
const placeholderAuthorization = (service: string, shortDate: string): string =>
  `AWS4-HMAC-SHA256 Credential=${LOCAL_CREDENTIALS.accessKeyId}/${shortDate}/${LOCAL_REGION}/${service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`;

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
