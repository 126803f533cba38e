import type { ChannelSender, MessageContext, SendOutcome } from '#shared/outbound/channel-sender.ts';
import { callProvider, type ProviderRequest } from '#shared/outbound/provider-http.ts';
import { CONVERSATION_TAG, CORRELATION_TAG, conversationIdOfTag } from '../correlation-tags.ts';
import { type ComposedEmail, composeEmail, isComposed } from './compose.ts';
import { classifyMailgunResponse } from './mailgun-classify.ts';
import { prepareEmailParts } from './prepare.ts';

export interface MailgunSenderOptions {
  /** `https://api.mailgun.net` (or `https://api.eu.mailgun.net`); a local server in tests. */
  readonly apiBaseUrl: string;
  /** The sending domain, as configured at Mailgun. */
  readonly domain: string;
  /** A Mailgun API key (sending key); Basic auth as user `api`. */
  readonly apiKey: string;
  /** Give up waiting after this long (the message may still go out). Default 10 s. */
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
  /** The Date header's clock; tests fix it. */
  readonly now?: () => Date;
}

const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * The multipart form of `messages.mime`: `to`, the MIME as the `message` file, and the variables
 * every event about the message echoes in `user-variables`. (Mailgun also puts `v:` variables in an
 * `X-Mailgun-Variables` header the recipient can read: both are opaque hub ids.) The platform's
 * FormData encoder writes the multipart body.
 */
const formBody = async (
  composed: ComposedEmail,
  context: MessageContext,
): Promise<{ body: Uint8Array; contentType: string }> => {
  const form = new FormData();
  form.append('to', composed.to);
  form.append(
    'message',
    new Blob([new Uint8Array(composed.raw)], { type: 'message/rfc822' }),
    'message.mime',
  );
  form.append(`v:${CORRELATION_TAG}`, context.correlationId);
  const conversationId = conversationIdOfTag(context.target.conversationId);
  if (conversationId !== undefined) form.append(`v:${CONVERSATION_TAG}`, conversationId);
  const encoded = new Response(form);
  return {
    body: new Uint8Array(await encoded.arrayBuffer()),
    contentType: encoded.headers.get('content-type') ?? 'multipart/form-data',
  };
};

const requestFor = async (
  options: MailgunSenderOptions,
  composed: ComposedEmail,
  context: MessageContext,
): Promise<ProviderRequest> => {
  const { body, contentType } = await formBody(composed, context);
  const base = options.apiBaseUrl.replace(/\/+$/, '');
  return {
    method: 'POST',
    url: `${base}/v3/${encodeURIComponent(options.domain)}/messages.mime`,
    headers: {
      authorization: `Basic ${Buffer.from(`api:${options.apiKey}`, 'utf8').toString('base64')}`,
      'content-type': contentType,
      accept: 'application/json',
    },
    body,
  };
};

/** Mailgun `messages.mime` with the raw MIME the hub composed (the same as the SES sender's). */
export const createMailgunSender = (options: MailgunSenderOptions): ChannelSender => {
  const now = options.now ?? (() => new Date());
  const http = {
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  };
  return {
    provider: 'mailgun',
    prepare: (parts, _policy, target, stored) => prepareEmailParts(parts, stored, 'mailgun', target),
    send: async (message, context): Promise<SendOutcome> => {
      const composed = await composeEmail('mailgun', message, context, now);
      if (!isComposed(composed)) return composed;
      const call = await callProvider(await requestFor(options, composed, context), http);
      if (call.kind === 'not_sent') return { kind: 'unreachable', error: call.error };
      if (call.kind === 'no_answer') return { kind: 'ambiguous', error: call.error };
      return classifyMailgunResponse(call.response);
    },
  };
};
