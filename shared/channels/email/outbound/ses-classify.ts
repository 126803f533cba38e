import type { ProviderError, SendFailureReason } from '#shared/contract/types.ts';
import type { SendOutcome } from '#shared/outbound/channel-sender.ts';
import { redactContactDetails } from '../../provider-text.ts';

/** What an AWS SDK v3 error carries: its name, and `$metadata`/`$fault` when the service answered. */
interface AwsErrorShape {
  readonly name?: unknown;
  readonly message?: unknown;
  readonly code?: unknown;
  readonly cause?: { readonly code?: unknown };
  readonly $fault?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: unknown };
}

/** Socket errors that mean the request never reached SES: safe to send again. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH']);
/** Too fast or over quota: nothing was sent (SES drops a throttled message); wait, then send again. */
const THROTTLED = new Set([
  'TooManyRequestsException',
  'ThrottlingException',
  'Throttling',
  'LimitExceededException',
]);
/**
 * The account or its credentials cannot send at all: stop sending from this endpoint and alert.
 * A suspended account and paused sending belong here too: no message will pass until a person acts.
 */
const STOP_SENDING = new Set([
  'AccountSuspendedException',
  'SendingPausedException',
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'ExpiredTokenException',
  'ExpiredToken',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
  'AccessDeniedException',
  'CredentialsProviderError',
]);
/** Refusals: the service answered and sent nothing; none is helped by sending the same command again. */
const REFUSALS: ReadonlyMap<string, SendFailureReason> = new Map([
  ['MessageRejected', 'content_invalid'],
  ['MailFromDomainNotVerifiedException', 'provider_error'],
  ['BadRequestException', 'provider_error'],
  ['NotFoundException', 'provider_error'],
]);

const stringOf = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

const IDENTITY_RESOURCE = ':identity/';

/**
 * The first identity resource an AccessDenied names (`…:identity/<identity>'`), up to a quote or a
 * space; read without a regular expression over the message.
 */
const deniedIdentityOf = (message: string | undefined): string | undefined => {
  const start = message?.indexOf(IDENTITY_RESOURCE) ?? -1;
  if (message === undefined || start < 0) return undefined;
  let end = start + IDENTITY_RESOURCE.length;
  while (end < message.length) {
    const char = message.charAt(end);
    if (char === "'" || char === '`' || char === '"' || char.trim() === '') break;
    end++;
  }
  return message.slice(start + IDENTITY_RESOURCE.length, end);
};

/**
 * An AccessDenied on the identity of an address other than the hub's From. The sender's role may
 * send as its domain's identity and nothing else (infra/constructs/sender.ts); an account still in
 * SES's sandbox also authorizes the recipient's identity, so SES refuses every recipient this way
 * (public reports: "not authorized to perform `ses:SendRawEmail' on resource
 * `…:identity/<recipient>'"). That is the sandbox refusing a recipient, not refused credentials:
 * the endpoint is not paused. A denial on the From address itself (verified as an address identity
 * of its own, which the role is not granted) is the hub's own permission: credentials.
 */
const deniedOnRecipientIdentity = (message: string | undefined, from: string | undefined): boolean => {
  const identity = deniedIdentityOf(message)?.toLowerCase();
  if (identity === undefined) return false;
  return identity.includes('@') && identity !== from?.toLowerCase();
};

const providerErrorOf = (
  name: string,
  status: number | undefined,
  message: string | undefined,
): ProviderError => ({
  code: name,
  ...(status !== undefined ? { title: `HTTP ${status}` } : {}),
  ...(message ? { message: redactContactDetails(message) } : {}),
});

/**
 * A SendEmail failure as an outcome. An unverified identity (sandbox recipients, the From address)
 * is a MessageRejected that no content change fixes: a provider error, not the content's.
 */
export const classifySesError = (error: unknown, from?: string): SendOutcome => {
  const shape = (typeof error === 'object' && error !== null ? error : {}) as AwsErrorShape;
  const name = stringOf(shape.name) ?? 'Error';
  const message = stringOf(shape.message);
  const rawStatus = shape.$metadata?.httpStatusCode;
  const status = typeof rawStatus === 'number' ? rawStatus : undefined;
  const socketCode = stringOf(shape.code) ?? stringOf(shape.cause?.code);
  if (status === undefined && socketCode !== undefined && NOT_SENT_CODES.has(socketCode)) {
    return {
      kind: 'unreachable',
      error: { code: socketCode, title: 'connection failed before the request was sent' },
    };
  }
  const providerError = providerErrorOf(name, status, message);
  if (THROTTLED.has(name) || status === 429) return { kind: 'throttled', error: providerError };
  // Before 2026-12-06 a new account's every reply paused the address as refused credentials and
  // raised SendCredentialsRefused; found by a review.
  if (name === 'AccessDeniedException' && deniedOnRecipientIdentity(message, from))
    return { kind: 'refused', reason: 'provider_error', retryable: false, error: providerError };
  if (STOP_SENDING.has(name) || status === 401 || status === 403)
    return { kind: 'credentials', error: providerError };
  const reason = REFUSALS.get(name);
  if (reason !== undefined) {
    const unverified = name === 'MessageRejected' && /not verified/i.test(message ?? '');
    return {
      kind: 'refused',
      reason: unverified ? 'provider_error' : reason,
      retryable: false,
      error: providerError,
    };
  }
  // A server fault, a timeout, a connection lost, or anything unknown: it may have gone out.
  if (status === undefined || status >= 500 || shape.$fault === 'server')
    return { kind: 'ambiguous', error: providerError };
  return { kind: 'refused', reason: 'provider_error', retryable: false, error: providerError };
};
