import { subscribe } from 'node:diagnostics_channel';
import { readBoundedText } from '#shared/channels/provider-answer.ts';
import type { ProviderError } from '#shared/contract/types.ts';

/** A provider's HTTP answer, its body as text. */
export interface ProviderResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface ProviderRequest {
  readonly method: 'GET' | 'POST' | 'DELETE';
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  /** A stream goes out as it is read (a large upload); it needs a `content-length` header. */
  readonly body?: string | Uint8Array | ReadableStream<Uint8Array>;
}

export type ProviderCall =
  | { readonly kind: 'response'; readonly response: ProviderResponse }
  /**
   * The request never left (the connection was refused, the name did not resolve, the TLS handshake
   * failed): safe to retry.
   */
  | { readonly kind: 'not_sent'; readonly error: ProviderError }
  /** It may have left: a timeout or a connection lost after sending. Never resend blindly. */
  | { readonly kind: 'no_answer'; readonly error: ProviderError };

export interface ProviderHttpOptions {
  /** Give up waiting for the answer after this long (the request may still have been acted on). */
  readonly timeoutMs: number;
  readonly fetch?: typeof fetch;
}

/**
 * Most of a provider's answer the hub reads: a send's answer is a few hundred bytes, an error's
 * a few KB, a Twilio media page tens of KB. Past it the rest is not read (a broken or hostile
 * endpoint cannot fill the sender's memory), and what was read no longer parses as JSON: a 2xx
 * whose id cannot be read is then reconciled like one that timed out, never resent.
 */
export const MAX_PROVIDER_ANSWER_BYTES = 256 * 1024;

/** Node's fetch wraps socket errors; these codes mean nothing reached the provider. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH']);

/**
 * The errors undici (Node's fetch) reports as its connection failing, before it had a socket to
 * write the request to: the TCP connect or the TLS handshake (`undici:client:connectError`, the
 * same error object fetch gives as its `cause`).
 */
const connectFailures = new WeakSet<object>();
subscribe('undici:client:connectError', (message) => {
  const error = (message as { error?: unknown } | null)?.error;
  if (typeof error === 'object' && error !== null) connectFailures.add(error);
});

/** The certificate checks of Node's TLS client (OpenSSL's X509 verify errors, nodejs.org/api/tls.html). */
const CERTIFICATE_CODES = new Set([
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_CHAIN_TOO_LONG',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'INVALID_CA',
  'INVALID_PURPOSE',
  'PATH_LENGTH_EXCEEDED',
  'HOSTNAME_MISMATCH',
]);

/**
 * A TLS failure (the server's certificate refused, a handshake that failed: an https URL answered
 * in plain HTTP) that undici reported as its connection failing, so before any request byte was
 * written. The same codes after the connection was made (a record garbled mid-answer) may follow
 * a request that arrived: those stay `no_answer`.
 */
const isTlsConnectFailure = (cause: unknown, code: string): boolean =>
  (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_') || CERTIFICATE_CODES.has(code)) &&
  typeof cause === 'object' &&
  cause !== null &&
  connectFailures.has(cause);

const causeOf = (error: unknown): unknown => (error as { cause?: unknown } | null)?.cause;

const causeCodeOf = (error: unknown): string | undefined => {
  const code = (causeOf(error) as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
};

/**
 * One provider call, with a deadline. Says whether the request certainly did not leave (and may be
 * retried) or may have (and must be reconciled, never resent). No retries here: the sender decides.
 */
export const callProvider = async (
  request: ProviderRequest,
  options: ProviderHttpOptions,
): Promise<ProviderCall> => {
  const doFetch = options.fetch ?? fetch;
  try {
    const response = await doFetch(request.url, {
      method: request.method,
      headers: request.headers,
      ...(request.body !== undefined ? { body: request.body } : {}),
      ...(request.body instanceof ReadableStream ? { duplex: 'half' } : {}),
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    const { text: body } = await readBoundedText(
      response.body as AsyncIterable<Uint8Array> | null,
      MAX_PROVIDER_ANSWER_BYTES,
    );
    return {
      kind: 'response',
      response: { status: response.status, headers: Object.fromEntries(response.headers), body },
    };
  } catch (error) {
    const code = causeCodeOf(error);
    if (code !== undefined && NOT_SENT_CODES.has(code)) {
      return { kind: 'not_sent', error: { code, title: 'connection failed before the request was sent' } };
    }
    if (code !== undefined && isTlsConnectFailure(causeOf(error), code)) {
      return { kind: 'not_sent', error: { code, title: 'TLS handshake failed before the request was sent' } };
    }
    const name = error instanceof Error ? error.name : 'Error';
    return {
      kind: 'no_answer',
      error: { code: code ?? name, title: name === 'TimeoutError' ? 'no answer in time' : 'connection lost' },
    };
  }
};

/** How an idempotent request is retried: within a time budget, with exponential backoff. */
export interface ProviderRetryOptions {
  /** Longest wait for one answer. */
  readonly timeoutMs: number;
  /** Tries per request, the first included; only throttling, 5xx and lost connections are retried. */
  readonly attempts: number;
  /** Time left for all the caller's provider calls; none is started past it. */
  readonly remainingMs: () => number;
  /** The wait after the first try (200 ms unless told); it doubles after each next one, never past the budget. */
  readonly baseDelayMs?: number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly fetch?: typeof fetch;
}

/**
 * An idempotent request (one that may have arrived is safe to repeat; its body not a stream), retried
 * with exponential backoff while the provider throttles (429), fails (5xx) or does not answer, up to
 * `attempts` tries within the budget. Past the budget nothing is sent: `switchboard.deadline`.
 */
export const callProviderRetrying = async (
  request: ProviderRequest,
  options: ProviderRetryOptions,
): Promise<ProviderCall> => {
  const baseDelayMs = options.baseDelayMs ?? 200;
  for (let attempt = 1; ; attempt++) {
    const remaining = options.remainingMs();
    if (remaining <= 0)
      return { kind: 'not_sent', error: { code: 'switchboard.deadline', title: 'no time left to call' } };
    const call = await callProvider(request, {
      timeoutMs: Math.min(options.timeoutMs, remaining),
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
    const retryable = call.kind !== 'response' || call.response.status === 429 || call.response.status >= 500;
    if (!retryable || attempt >= options.attempts) return call;
    await options.sleep(Math.min(baseDelayMs * 2 ** (attempt - 1), options.remainingMs()));
  }
};
