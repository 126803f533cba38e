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
  /** The request never left (the connection was refused, the name did not resolve): safe to retry. */
  | { readonly kind: 'not_sent'; readonly error: ProviderError }
  /** It may have left: a timeout or a connection lost after sending. Never resend blindly. */
  | { readonly kind: 'no_answer'; readonly error: ProviderError };

export interface ProviderHttpOptions {
  /** Give up waiting for the answer after this long (the request may still have been acted on). */
  readonly timeoutMs: number;
  readonly fetch?: typeof fetch;
}

/** Node's fetch wraps socket errors; these codes mean nothing reached the provider. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH']);

const causeCodeOf = (error: unknown): string | undefined => {
  const cause = (error as { cause?: { code?: unknown } } | null)?.cause;
  return typeof cause?.code === 'string' ? cause.code : undefined;
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
    const body = await response.text();
    return {
      kind: 'response',
      response: { status: response.status, headers: Object.fromEntries(response.headers), body },
    };
  } catch (error) {
    const code = causeCodeOf(error);
    if (code !== undefined && NOT_SENT_CODES.has(code)) {
      return { kind: 'not_sent', error: { code, title: 'connection failed before the request was sent' } };
    }
    const name = error instanceof Error ? error.name : 'Error';
    return {
      kind: 'no_answer',
      error: { code: code ?? name, title: name === 'TimeoutError' ? 'no answer in time' : 'connection lost' },
    };
  }
};
