import { z } from 'zod';
import {
  type GraphOptions,
  postMessages,
  unnamedSuccess,
} from '#shared/channels/meta/outbound/graph-call.ts';
import { localRefusal, toOutcome } from '#shared/channels/meta/outbound/verdict.ts';
import type {
  ChannelSender,
  MessageContext,
  PreparedMessage,
  SendOutcome,
  SendTarget,
} from '#shared/outbound/channel-sender.ts';
import { storedFileOf } from '#shared/outbound/stored-media.ts';
import { classifyWhatsAppFailure } from './classify.ts';
import { MAX_CALLBACK_DATA_BYTES } from './limits.ts';
import { prepareWhatsApp } from './prepare.ts';
import { addressing, whatsAppMessageBody } from './request.ts';
import { uploadWhatsAppMedia } from './upload.ts';

export interface WhatsAppSenderOptions extends GraphOptions {
  /** The access token for a phone number id (a system-user token of its WhatsApp Business Account). */
  readonly accessTokenFor: (phoneNumberId: string) => string | undefined;
}

/** `{contacts:[…], messages:[{id, message_status?}]}` (outbound.md 1.1). */
const SentSchema = z.looseObject({ messages: z.array(z.looseObject({ id: z.string().min(1) })).min(1) });
const SuccessSchema = z.looseObject({ success: z.literal(true) });

type Call = { token: string; to: Record<string, unknown> } | { outcome: SendOutcome };

/** The token and the address for a target, or why there is no call to make. */
const callFor = (options: WhatsAppSenderOptions, target: SendTarget): Call => {
  if (target.endpoint.type !== 'whatsapp_phone_number') {
    return {
      outcome: localRefusal('provider_error', {
        code: 'endpoint_not_whatsapp',
        title: 'the WhatsApp sender sends from WhatsApp phone numbers only',
      }),
    };
  }
  const to = addressing(target.recipient);
  if (to === undefined) {
    return {
      outcome: localRefusal('recipient_invalid', {
        code: 'identity_not_whatsapp',
        title: 'WhatsApp sends to a wa_id, a phone number or a business-scoped user id',
      }),
    };
  }
  const token = options.accessTokenFor(target.endpoint.id);
  if (token === undefined || token === '') {
    return {
      outcome: {
        kind: 'credentials',
        error: { code: 'no_token', title: 'no access token for this endpoint' },
      },
    };
  }
  return { token, to };
};

const send = async (
  options: WhatsAppSenderOptions,
  message: PreparedMessage,
  context: MessageContext,
): Promise<SendOutcome> => {
  const { part } = message;
  if (storedFileOf(part, message.partIndex) !== undefined && message.uploadedMediaId === undefined) {
    return localRefusal('content_invalid', {
      code: 'media_not_uploaded',
      title: 'a file from the payload bucket must be uploaded before its message is sent',
    });
  }
  if (Buffer.byteLength(context.correlationId, 'utf8') > MAX_CALLBACK_DATA_BYTES) {
    return localRefusal('provider_error', {
      code: 'correlation_id_too_long',
      title: `biz_opaque_callback_data holds at most ${MAX_CALLBACK_DATA_BYTES} bytes`,
    });
  }
  const call = callFor(options, context.target);
  if ('outcome' in call) return call.outcome;
  const body = whatsAppMessageBody({
    part,
    to: call.to,
    correlationId: context.correlationId,
    ...(context.replyTo !== undefined ? { replyTo: context.replyTo } : {}),
    ...(message.uploadedMediaId !== undefined ? { mediaId: message.uploadedMediaId } : {}),
    ...(message.uploadedFilename !== undefined ? { mediaFilename: message.uploadedFilename } : {}),
  });
  const answer = await postMessages(options, context.target.endpoint.id, call.token, body);
  if (answer.kind === 'decided') return answer.outcome;
  if (answer.kind === 'failed') return toOutcome(classifyWhatsAppFailure(answer.failure), answer.failure);
  const sent = SentSchema.safeParse(answer.body);
  return sent.success
    ? { kind: 'accepted', providerMessageId: (sent.data.messages[0] as { id: string }).id }
    : unnamedSuccess();
};

/** Read receipts and typing: `status:"read"` on the same endpoint, answered `{success:true}`. */
const signal = async (
  options: WhatsAppSenderOptions,
  target: SendTarget,
  messageId: string,
  typing: boolean,
): Promise<SendOutcome> => {
  const call = callFor(options, target);
  if ('outcome' in call) return call.outcome;
  const body = {
    messaging_product: 'whatsapp',
    status: 'read',
    message_id: messageId,
    ...(typing ? { typing_indicator: { type: 'text' } } : {}),
  };
  const answer = await postMessages(options, target.endpoint.id, call.token, body);
  if (answer.kind === 'decided') return answer.outcome;
  if (answer.kind === 'failed') return toOutcome(classifyWhatsAppFailure(answer.failure), answer.failure);
  return SuccessSchema.safeParse(answer.body).success
    ? { kind: 'accepted', providerMessageId: messageId }
    : unnamedSuccess();
};

/** WhatsApp Cloud API sending side: the endpoint id is the phone number id. */
export const createWhatsAppSender = (options: WhatsAppSenderOptions): ChannelSender => ({
  provider: 'meta',
  prepare: (parts, policy, _target, stored) => prepareWhatsApp(parts, policy, stored),
  send: (message, context) => send(options, message, context),
  uploadMedia: async (target, file) => {
    const call = callFor(options, target);
    if ('outcome' in call) return call.outcome;
    return uploadWhatsAppMedia(options, target.endpoint.id, call.token, file);
  },
  markRead: (target, providerMessageId) => signal(options, target, providerMessageId, false),
  typingAnswersInbound: true,
  typing: async (target, lastInbound) =>
    lastInbound === undefined
      ? localRefusal('content_invalid', {
          code: 'typing_needs_message',
          title: 'WhatsApp shows typing only in answer to a received message',
        })
      : signal(options, target, lastInbound, true),
});
