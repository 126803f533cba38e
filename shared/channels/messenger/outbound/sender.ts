import { z } from 'zod';
import {
  type GraphOptions,
  postMessages,
  unnamedSuccess,
} from '#shared/channels/meta/outbound/graph-call.ts';
import { fitsLimit } from '#shared/channels/meta/outbound/split-text.ts';
import { localRefusal, toOutcome } from '#shared/channels/meta/outbound/verdict.ts';
import type {
  ChannelSender,
  MessageContext,
  PreparedMessage,
  SendOutcome,
  SendTarget,
} from '#shared/outbound/channel-sender.ts';
import { classifyMessengerFailure } from './classify.ts';
import { MAX_METADATA, textLimitFor } from './limits.ts';
import { prepareMessenger } from './prepare.ts';
import { messagesNodeOf, messageText, messengerRequestBody, senderActionBody } from './request.ts';

export interface MessengerSenderOptions extends GraphOptions {
  /**
   * The Page access token for a page id; for an Instagram account id, the Page access token of the
   * page linked to it (its sends go to `/me/messages`, which that token resolves to the page), given
   * the endpoint's type (an Instagram account's is its own only: shared/config/secrets/meta.ts).
   */
  readonly accessTokenFor: (pageOrAccountId: string, endpointType?: string) => string | undefined;
  /**
   * Send `reply_to:{mid}` when answering a message (default true). The Graph API's Page messages
   * reference lists `reply_to`; the Send API guide does not describe it: a deployer whose replies
   * are refused for it can turn it off.
   */
  readonly quoteReplies?: boolean;
}

/** `{recipient_id, message_id}` (Send API reference). */
const SentSchema = z.looseObject({ message_id: z.string().min(1) });
const AnswerSchema = z.looseObject({});

/** The identity each endpoint type addresses: a PSID for a page, an IGSID for an Instagram account. */
const IDENTITY_FOR_ENDPOINT: Readonly<Record<string, string>> = {
  facebook_page: 'psid',
  instagram_account: 'igsid',
};

/** How to call for a target: the token, the recipient, and the node whose `messages` edge to post to. */
type Call = { token: string; recipientId: string; node: string } | { outcome: SendOutcome };

const callFor = (options: MessengerSenderOptions, target: SendTarget): Call => {
  const identityType = IDENTITY_FOR_ENDPOINT[target.endpoint.type];
  if (identityType === undefined) {
    return {
      outcome: localRefusal('provider_error', {
        code: 'endpoint_not_messenger',
        title: 'the Messenger sender sends from Facebook pages and Instagram accounts only',
      }),
    };
  }
  if (target.recipient.type !== identityType) {
    return {
      outcome: localRefusal('recipient_invalid', {
        code: 'identity_not_for_endpoint',
        title: `a ${target.endpoint.type} sends to a ${identityType}`,
      }),
    };
  }
  const token = options.accessTokenFor(target.endpoint.id, target.endpoint.type);
  if (token === undefined || token === '') {
    return {
      outcome: {
        kind: 'credentials',
        error: { code: 'no_token', title: 'no access token for this endpoint' },
      },
    };
  }
  return { token, recipientId: target.recipient.value, node: messagesNodeOf(target.endpoint) };
};

/** Why a prepared message cannot go as it is, checked without a call. */
const localProblem = (message: PreparedMessage, context: MessageContext): SendOutcome | undefined => {
  if (!context.policy.withinWindow && !context.policy.humanAgentTag) {
    return localRefusal('window_closed', {
      code: 'window_closed',
      title: 'outside the 24-hour window only a human agent may reply',
    });
  }
  if (context.correlationId.length > MAX_METADATA) {
    return localRefusal('provider_error', {
      code: 'correlation_id_too_long',
      title: `message metadata holds fewer than ${MAX_METADATA + 1} characters`,
    });
  }
  const text = messageText(message.part);
  if (text !== undefined && !fitsLimit(text, textLimitFor(context.target.endpoint.type))) {
    return localRefusal('content_invalid', {
      code: 'text_too_long_for_endpoint',
      title: "the text is longer than this endpoint's messages hold; prepare it with the target",
    });
  }
  return undefined;
};

const send = async (
  options: MessengerSenderOptions,
  message: PreparedMessage,
  context: MessageContext,
): Promise<SendOutcome> => {
  const problem = localProblem(message, context);
  if (problem !== undefined) return problem;
  const call = callFor(options, context.target);
  if ('outcome' in call) return call.outcome;
  const quote = options.quoteReplies !== false && context.replyTo !== undefined;
  const body = messengerRequestBody({
    part: message.part,
    endpointType: context.target.endpoint.type,
    recipientId: call.recipientId,
    policy: context.policy,
    metadata: context.correlationId,
    ...(quote ? { replyTo: context.replyTo } : {}),
  });
  if (body === undefined) {
    return localRefusal('content_invalid', {
      code: 'not_sendable_on_messenger',
      title: 'this part is not a Messenger message; prepare it first',
    });
  }
  const answer = await postMessages(options, call.node, call.token, body);
  if (answer.kind === 'decided') return answer.outcome;
  if (answer.kind === 'failed') return toOutcome(classifyMessengerFailure(answer.failure), answer.failure);
  const sent = SentSchema.safeParse(answer.body);
  if (sent.success) return { kind: 'accepted', providerMessageId: sent.data.message_id };
  // A reaction is a sender action: Meta answers without a message id; name it by its target.
  const { part } = message;
  if (part.type === 'reaction' && AnswerSchema.safeParse(answer.body).success) {
    return {
      kind: 'accepted',
      providerMessageId: `${part.emoji === '' ? 'unreact' : 'react'}:${part.targetProviderMessageId}`,
    };
  }
  return unnamedSuccess();
};

const senderAction = async (
  options: MessengerSenderOptions,
  target: SendTarget,
  action: 'mark_seen' | 'typing_on',
  named: string,
): Promise<SendOutcome> => {
  const call = callFor(options, target);
  if ('outcome' in call) return call.outcome;
  const answer = await postMessages(
    options,
    call.node,
    call.token,
    senderActionBody(call.recipientId, action),
  );
  if (answer.kind === 'decided') return answer.outcome;
  if (answer.kind === 'failed') return toOutcome(classifyMessengerFailure(answer.failure), answer.failure);
  return AnswerSchema.safeParse(answer.body).success
    ? { kind: 'accepted', providerMessageId: named }
    : unnamedSuccess();
};

/**
 * Messenger Platform sending side for Facebook pages and Instagram accounts (endpoint id = page or
 * account id; a page's calls go to `/{page id}/messages`, an Instagram account's to `/me/messages`).
 */
export const createMessengerSender = (options: MessengerSenderOptions): ChannelSender => ({
  provider: 'meta',
  prepare: (parts, policy, target, stored) => prepareMessenger(parts, policy, target, stored),
  send: (message, context) => send(options, message, context),
  // A sender action: Meta echoes no reaction and a status names none, so nothing can tell it went.
  untraceable: (message) => message.part.type === 'reaction',
  // mark_seen marks the whole thread seen: the id only names what was asked.
  markRead: (target, providerMessageId) => senderAction(options, target, 'mark_seen', providerMessageId),
  typing: (target, lastInbound) => senderAction(options, target, 'typing_on', lastInbound ?? 'typing_on'),
});
