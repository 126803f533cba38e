import type { SendOutcome } from '#shared/outbound/channel-sender.ts';
import { callProvider } from '#shared/outbound/provider-http.ts';
import { type GraphFailure, readGraphFailure } from './graph-error.ts';

/** Where and how a Meta sender reaches the Graph API. */
export interface GraphOptions {
  /** e.g. `https://graph.facebook.com` (no version). */
  readonly graphBaseUrl: string;
  /** e.g. `v23.0`. */
  readonly apiVersion: string;
  /** Give up waiting for an answer after this long (default 10 s); the request may still have been acted on. */
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
}

const DEFAULT_TIMEOUT_MS = 10_000;

/** A Graph call's result: an outcome already decided (no answer, never sent), a success body, or a failure to classify. */
export type GraphAnswer =
  | { readonly kind: 'decided'; readonly outcome: SendOutcome }
  | { readonly kind: 'ok'; readonly body: unknown }
  | { readonly kind: 'failed'; readonly failure: GraphFailure };

const messagesUrl = (options: GraphOptions, nodeId: string): string =>
  `${options.graphBaseUrl.replace(/\/+$/, '')}/${encodeURIComponent(options.apiVersion)}/${encodeURIComponent(nodeId)}/messages`;

const parseJson = (text: string): { ok: true; value: unknown } | { ok: false } => {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
};

/**
 * POSTs JSON to `/{nodeId}/messages` (a phone-number id, a page id or `me`) with the Bearer
 * token. A request that never left is `unreachable` (nothing was sent; a later try is safe); one
 * that may have left and got no answer is `ambiguous`; a 2xx whose body is not JSON is
 * `ambiguous` too.
 */
export const postMessages = async (
  options: GraphOptions,
  nodeId: string,
  token: string,
  body: unknown,
): Promise<GraphAnswer> => {
  const call = await callProvider(
    {
      method: 'POST',
      url: messagesUrl(options, nodeId),
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    },
    {
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    },
  );
  if (call.kind === 'not_sent')
    return { kind: 'decided', outcome: { kind: 'unreachable', error: call.error } };
  if (call.kind === 'no_answer')
    return { kind: 'decided', outcome: { kind: 'ambiguous', error: call.error } };
  const { response } = call;
  if (response.status < 200 || response.status > 299) {
    return { kind: 'failed', failure: readGraphFailure(response, { node: nodeId }) };
  }
  const parsed = parseJson(response.body);
  if (!parsed.ok) {
    return {
      kind: 'decided',
      outcome: {
        kind: 'ambiguous',
        error: { code: `http_${response.status}`, title: 'success status with an unreadable body' },
      },
    };
  }
  return { kind: 'ok', body: parsed.value };
};

/** A 2xx that did not name what it accepted: it may have gone out. */
export const unnamedSuccess = (): SendOutcome => ({
  kind: 'ambiguous',
  error: { code: 'no_message_id', title: 'success answer without a message id' },
});
