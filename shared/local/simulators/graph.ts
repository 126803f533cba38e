import { signMetaBody } from '#shared/channels/meta/signature.ts';
import { hmacHex } from '#shared/channels/signature.ts';
import type { CallbackStep } from './callbacks.ts';
import { asciiJson } from './http-io.ts';
import type { ProviderReply, SimContext, SimRequest, SimulatedProvider } from './types.ts';

/** What both Graph APIs (WhatsApp Cloud API, Messenger Send API) share: errors, paths, webhooks. */

export interface GraphErrorSpec {
  readonly code: number;
  readonly message: string;
  readonly subcode?: number;
  readonly type?: string;
  /** WhatsApp puts a readable reason in `error_data.details`. */
  readonly details?: string;
  readonly status?: number;
  readonly transient?: boolean;
}

/** The Graph error body: `{error: {message, type, code, error_subcode?, error_data?, fbtrace_id}}`. */
const graphErrorBody = (
  spec: GraphErrorSpec,
  provider: SimulatedProvider,
  context: SimContext,
): Record<string, unknown> => ({
  error: {
    message: spec.message,
    type: spec.type ?? 'OAuthException',
    code: spec.code,
    ...(spec.subcode !== undefined ? { error_subcode: spec.subcode } : {}),
    ...(spec.transient !== undefined ? { is_transient: spec.transient } : {}),
    ...(provider === 'whatsapp' && spec.details !== undefined
      ? { error_data: { messaging_product: 'whatsapp', details: spec.details } }
      : {}),
    fbtrace_id: context.ids.fbtraceId(),
  },
});

export const graphErrorReply = (
  spec: GraphErrorSpec,
  base: Pick<ProviderReply, 'provider' | 'route' | 'recordBody' | 'fault'>,
  context: SimContext,
): ProviderReply => ({
  ...base,
  status: spec.status ?? 400,
  headers: spec.status === 401 ? { 'www-authenticate': 'OAuth "Facebook Platform" "invalid_token"' } : {},
  body: { json: graphErrorBody(spec, base.provider, context) },
});

/** Graph's answers when the server itself fails (codes 1 and 2 are the transient ones). */
export const graphServerError = (status: 500 | 503): GraphErrorSpec =>
  status === 503
    ? {
        code: 2,
        message: 'An unexpected error has occurred. Please retry your request later.',
        status,
        transient: true,
      }
    : { code: 1, message: 'An unknown error has occurred.', status, transient: true };

export const GRAPH_TOKEN_ERROR: GraphErrorSpec = {
  code: 190,
  message: 'Invalid OAuth access token - Cannot parse access token',
  status: 401,
};

/** `/{version}/…` segments, or undefined when the first is not a Graph version such as `v21.0`. */
export const graphSegments = (request: SimRequest): string[] | undefined => {
  const segments = request.pathname.split('/').slice(1);
  return /^v\d+\.\d+$/.test(segments[0] ?? '') ? segments : undefined;
};

/** A webhook post signed as Meta signs them: `X-Hub-Signature-256` over the exact (ASCII-escaped) bytes. */
export const metaWebhookStep = (
  context: SimContext,
  path: string,
  event: string,
  atMs: number,
  payload: unknown,
): CallbackStep => {
  const body = asciiJson(payload);
  const appSecret = context.secrets.meta.appSecret;
  return {
    event,
    atMs,
    url: `${context.hubBaseUrl}${path}`,
    headers: {
      'content-type': 'application/json',
      'user-agent': 'facebookexternalua',
      'x-hub-signature-256': signMetaBody(appSecret, body),
      // The legacy SHA-1 header Meta still sends alongside.
      'x-hub-signature': `sha1=${hmacHex('sha1', appSecret, body)}`,
    },
    body,
  };
};
