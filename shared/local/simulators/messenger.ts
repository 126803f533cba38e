import { z } from 'zod';
import type { CallbackStep } from './callbacks.ts';
import type { Fault } from './faults.ts';
import {
  GRAPH_TOKEN_ERROR,
  type GraphErrorSpec,
  graphErrorReply,
  graphServerError,
  metaWebhookStep,
} from './graph.ts';
import { bearerToken } from './http-io.ts';
import { digitsOf } from './ids.ts';
import type { ProviderReply, SimContext, SimRequest } from './types.ts';

/**
 * Messenger and Instagram Send API: `POST /{version}/{page-id}/messages` or `/{version}/me/messages`
 * (messages and sender actions), then the echo, delivery and read webhooks to `/webhooks/messenger`
 * (an Instagram account's: the echo and the read naming the message, as Instagram has no delivery).
 */

const ROUTE = 'POST /{version}/{page-id}/messages';
const WEBHOOK_PATH = '/webhooks/messenger';
const MAX_TEXT = 2000;
/** Instagram text: "must be UTF-8 and be 1000 bytes or less" (Instagram messaging, send a message). */
const MAX_INSTAGRAM_TEXT_BYTES = 1000;
const MAX_METADATA = 1000;
/** The one reaction an Instagram account's react takes (Instagram messaging, "React to a message"). */
const INSTAGRAM_REACTION = 'love';
/** Instagram professional account ids start so; their webhooks have `object: "instagram"`. */
const INSTAGRAM_ID_PREFIX = '1784';

const isInstagramId = (id: string): boolean => id.startsWith(INSTAGRAM_ID_PREFIX);

/**
 * Who `me` is, resolved from the token as Meta does: the account whose webhooks a send goes out
 * for, or the system user. A token the hub holds for an id (`meta.accessTokens`) belongs to that
 * id: for an Instagram account, it is the Page access token of the page linked to the account, and
 * a send to `me` with it reaches the account's customers (Meta tells an Instagram send by its IGSID
 * recipient, which the simulator cannot, so a token held for an Instagram account and its page
 * stands for the account; the hub posts a page's sends to the page's own id). The system user's
 * token (`meta.accessToken`, sending for every page) is no page: `me` is then the system user,
 * which has no messages. Any other token is a page's, one made up per token.
 */
type Me = { readonly kind: 'account'; readonly id: string } | { readonly kind: 'system_user' };

const meFor = (token: string, meta: SimContext['secrets']['meta']): Me => {
  const held = Object.entries(meta.accessTokens ?? {})
    .filter(([, own]) => own === token)
    .map(([id]) => id);
  const id = held.find(isInstagramId) ?? held[0];
  if (id !== undefined) return { kind: 'account', id };
  if (token === meta.accessToken) return { kind: 'system_user' };
  return { kind: 'account', id: digitsOf(`page:${token}`, 15) };
};

/** Graph's answer to a POST on a node without that edge (here the system user's `me`). */
const UNSUPPORTED_POST: GraphErrorSpec = {
  code: 100,
  subcode: 33,
  type: 'GraphMethodException',
  message:
    "Unsupported post request. Object with ID 'me' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api",
};

const SendSchema = z.looseObject({
  recipient: z.looseObject({ id: z.string().min(1).optional() }).optional(),
  messaging_type: z.enum(['RESPONSE', 'UPDATE', 'MESSAGE_TAG']).optional(),
  tag: z.string().optional(),
  message: z
    .looseObject({
      text: z.string().optional(),
      attachment: z
        .looseObject({
          type: z.enum(['image', 'video', 'audio', 'file', 'template']),
          payload: z.record(z.string(), z.unknown()),
        })
        .optional(),
      quick_replies: z
        .array(z.looseObject({ content_type: z.string() }))
        .max(13)
        .optional(),
      metadata: z.string().optional(),
    })
    .optional(),
  sender_action: z.enum(['typing_on', 'typing_off', 'mark_seen', 'react', 'unreact']).optional(),
  payload: z
    .looseObject({ message_id: z.string().min(1).optional(), reaction: z.string().optional() })
    .optional(),
});
type Send = z.infer<typeof SendSchema>;

const invalid = (message: string, subcode?: number): GraphErrorSpec => ({
  code: 100,
  message: `(#100) ${message}`,
  ...(subcode !== undefined ? { subcode } : {}),
});

const sendProblem = (send: Send, accountId: string): GraphErrorSpec | undefined => {
  if (!send.recipient?.id) return invalid('The parameter recipient is required');
  if (send.message && send.sender_action) return invalid('Only one of message or sender_action may be sent');
  if (send.sender_action) {
    if (send.sender_action === 'react' && !(send.payload?.message_id && send.payload.reaction)) {
      return invalid('The parameter payload[message_id] and payload[reaction] are required');
    }
    // Instagram documents `reaction: "love"` alone ("React to a message"); a page takes any emoji.
    if (
      send.sender_action === 'react' &&
      isInstagramId(accountId) &&
      send.payload?.reaction !== INSTAGRAM_REACTION
    ) {
      return invalid(`Param payload[reaction] must be ${INSTAGRAM_REACTION} for an Instagram account`);
    }
    if (send.sender_action === 'unreact' && !send.payload?.message_id) {
      return invalid('The parameter payload[message_id] is required');
    }
    return undefined;
  }
  const message = send.message;
  if (!message) return invalid('The parameter message is required');
  if (!send.messaging_type) return invalid('The parameter messaging_type is required');
  if (send.messaging_type === 'MESSAGE_TAG') {
    if (!send.tag) return invalid('The parameter tag is required for messaging_type MESSAGE_TAG');
    // Every tag but HUMAN_AGENT was retired on 2026-04-27.
    if (send.tag !== 'HUMAN_AGENT')
      return invalid(`Param tag must be HUMAN_AGENT (got a retired or unknown tag)`);
  }
  if (message.text === undefined && message.attachment === undefined) {
    return invalid('Param message must contain text or an attachment');
  }
  if (message.text !== undefined && message.text.length > MAX_TEXT) {
    return invalid(`Length of param message[text] must be less than or equal to ${MAX_TEXT}`);
  }
  if (
    message.text !== undefined &&
    isInstagramId(accountId) &&
    Buffer.byteLength(message.text, 'utf8') > MAX_INSTAGRAM_TEXT_BYTES
  ) {
    return invalid(`Param message[text] must be UTF-8 and be ${MAX_INSTAGRAM_TEXT_BYTES} bytes or less`);
  }
  if ((message.metadata?.length ?? 0) > MAX_METADATA) {
    return invalid(`Length of param message[metadata] must be less than or equal to ${MAX_METADATA}`);
  }
  return undefined;
};

const CATALOG: Readonly<Record<number, GraphErrorSpec>> = {
  2: {
    code: 2,
    message: 'An unexpected error has occurred. Please retry your request later.',
    transient: true,
  },
  4: { code: 4, message: '(#4) Application request limit reached', transient: true },
  10: {
    code: 10,
    subcode: 2018278,
    message: '(#10) This message is sent outside of allowed window.',
  },
  100: invalid('Invalid parameter'),
  190: {
    code: 190,
    subcode: 463,
    message: 'Error validating access token: Session has expired.',
    status: 401,
  },
  200: { code: 200, message: '(#200) This person isn’t receiving messages from you right now.' },
  551: { code: 551, subcode: 1545041, message: "(#551) This person isn't available right now." },
  613: { code: 613, message: '(#613) Calls to this api have exceeded the rate limit.' },
  2018001: invalid('No matching user found', 2018001),
  2018278: { code: 10, subcode: 2018278, message: '(#10) This message is sent outside of allowed window.' },
};

/** The codes the simulated Send API knows by name, for the fault switches (./fault-switches.ts). */
export const MESSENGER_ERROR_TITLES: ReadonlyArray<readonly [code: number, title: string]> = Object.entries(
  CATALOG,
).map(([code, spec]) => [Number(code), spec.message]);

const errorSpec = (code: number, subcode?: number, message?: string): GraphErrorSpec => {
  const known = CATALOG[code] ?? { code, message: `(#${code}) Error` };
  return {
    ...known,
    ...(subcode !== undefined ? { subcode } : {}),
    ...(message !== undefined ? { message } : {}),
  };
};

const faultSpec = (fault: Fault | undefined): GraphErrorSpec | undefined => {
  switch (fault?.kind) {
    case 'throttle':
      return CATALOG[613];
    case 'error':
      return errorSpec(typeof fault.code === 'number' ? fault.code : 100, fault.subcode, fault.message);
    case 'server_error':
      return graphServerError(fault.status ?? 500);
    default:
      return undefined;
  }
};

/** Meta app ids arrive as JSON numbers in echoes. */
const appIdValue = (appId: string | undefined): number | string | undefined => {
  if (appId === undefined) return undefined;
  const asNumber = Number(appId);
  return /^\d+$/.test(appId) && Number.isSafeInteger(asNumber) ? asNumber : appId;
};

interface AcceptedSend {
  readonly pageId: string;
  readonly userId: string;
  readonly mid: string;
  readonly send: Send;
}

const notification = (pageId: string, at: number, item: Record<string, unknown>) => ({
  object: isInstagramId(pageId) ? 'instagram' : 'page',
  entry: [{ id: pageId, time: at, messaging: [{ ...item, timestamp: at }] }],
});

const callbackSteps = (
  accepted: AcceptedSend,
  fault: Fault | undefined,
  context: SimContext,
): CallbackStep[] => {
  const { pageId, userId, mid, send } = accepted;
  const acceptedAt = Date.now();
  const { delays } = context;
  const message = send.message ?? {};
  const attachment = message.attachment;
  const echo = metaWebhookStep(
    context,
    WEBHOOK_PATH,
    'echo',
    delays.sent,
    notification(pageId, acceptedAt + delays.sent, {
      sender: { id: pageId },
      recipient: { id: userId },
      message: {
        mid,
        is_echo: true,
        app_id: appIdValue(context.secrets.meta.hubAppIds[0]),
        ...(message.metadata !== undefined ? { metadata: message.metadata } : {}),
        ...(message.text !== undefined ? { text: message.text } : {}),
        ...(attachment ? { attachments: [{ type: attachment.type, payload: attachment.payload }] } : {}),
        ...(message.quick_replies ? { quick_replies: message.quick_replies } : {}),
      },
    }),
  );
  if (fault?.kind === 'delivery_failed') return [echo];
  const fromUser = { sender: { id: userId }, recipient: { id: pageId } };
  // Instagram has no delivery webhook (`message_deliveries` and `message_reads` are Messenger's): its
  // `messaging_seen` names the message read, without a watermark (Instagram Messaging, Webhooks).
  if (isInstagramId(pageId))
    return [
      echo,
      metaWebhookStep(
        context,
        WEBHOOK_PATH,
        'read',
        delays.read,
        notification(pageId, acceptedAt + delays.read, { ...fromUser, read: { mid } }),
      ),
    ];
  return [
    echo,
    metaWebhookStep(
      context,
      WEBHOOK_PATH,
      'delivery',
      delays.delivered,
      notification(pageId, acceptedAt + delays.delivered, {
        ...fromUser,
        delivery: { mids: [mid], watermark: acceptedAt + delays.sent },
      }),
    ),
    metaWebhookStep(
      context,
      WEBHOOK_PATH,
      'read',
      delays.read,
      notification(pageId, acceptedAt + delays.read, {
        ...fromUser,
        read: { watermark: acceptedAt + delays.sent },
      }),
    ),
  ];
};

export const handleMessengerMessages = (
  request: SimRequest,
  pathPageId: string,
  body: Record<string, unknown>,
  context: SimContext,
): ProviderReply => {
  const base = { provider: 'messenger' as const, route: ROUTE, recordBody: body };
  const token = bearerToken(request.headers);
  if (!token) return graphErrorReply(GRAPH_TOKEN_ERROR, base, context);
  const me: Me =
    pathPageId === 'me' ? meFor(token, context.secrets.meta) : { kind: 'account', id: pathPageId };
  if (me.kind === 'system_user') return graphErrorReply(UNSUPPORTED_POST, base, context);
  const pageId = me.id;
  const parsed = SendSchema.safeParse(body);
  if (!parsed.success) {
    const path = parsed.error.issues[0]?.path.join('.') ?? 'body';
    return graphErrorReply(invalid(`Param ${path} is not valid`), base, context);
  }
  const send = parsed.data;
  const problem = sendProblem(send, pageId);
  if (problem) return graphErrorReply(problem, base, context);
  const userId = send.recipient?.id ?? '';
  const fault = context.takeFault({ provider: 'messenger', operation: 'send', recipients: [userId] });
  const refused = faultSpec(fault);
  if (refused) return graphErrorReply(refused, { ...base, fault }, context);
  if (send.sender_action) return { ...base, fault, status: 200, body: { json: { recipient_id: userId } } };

  const accepted: AcceptedSend = { pageId, userId, mid: context.ids.messengerMid(), send };
  return {
    ...base,
    fault,
    status: 200,
    body: { json: { recipient_id: userId, message_id: accepted.mid } },
    afterAccept: (record) =>
      context.callbacks.run('messenger', callbackSteps(accepted, fault, context), record),
  };
};
