import { type MessageTag, type SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import type { ChannelSender, MessageContext, SendOutcome } from '#shared/outbound/channel-sender.ts';
import {
  CONVERSATION_TAG,
  CORRELATION_TAG,
  conversationIdOfTag,
  sesTagValueOfCorrelation,
} from '../correlation-tags.ts';
import { composeEmail, isComposed } from './compose.ts';
import { prepareEmailParts } from './prepare.ts';
import { classifySesError } from './ses-classify.ts';

export interface SesSenderOptions {
  /**
   * An SES v2 client. Create it with `maxAttempts: 1`: the SDK otherwise resends SendEmail itself
   * after a timeout or a 5xx, when the first may have gone out (SendEmail has no idempotency key).
   */
  readonly client: Pick<SESv2Client, 'send'>;
  /** The configuration set whose event destination publishes the delivery events (and reads the tags). */
  readonly configurationSetName?: string;
  /** Give up waiting after this long (the message may still go out). Default 10 s. */
  readonly timeoutMs?: number;
  /** The Date header's clock; tests fix it. */
  readonly now?: () => Date;
}

const DEFAULT_TIMEOUT_MS = 10_000;

/** The tags the delivery events echo: which hub message, and which conversation it belongs to. */
const tagsFor = (context: MessageContext): MessageTag[] => {
  const conversationId = conversationIdOfTag(context.target.conversationId);
  return [
    { Name: CORRELATION_TAG, Value: sesTagValueOfCorrelation(context.correlationId) },
    ...(conversationId !== undefined ? [{ Name: CONVERSATION_TAG, Value: conversationId }] : []),
  ];
};

class SendTimeout extends Error {
  override readonly name = 'TimeoutError';
}

/** The call, abandoned after `timeoutMs`: the request is aborted and the outcome is ambiguous. */
const sendWithin = async <T>(timeoutMs: number, call: (signal: AbortSignal) => Promise<T>): Promise<T> => {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new SendTimeout('no answer in time'));
    }, timeoutMs);
  });
  try {
    return await Promise.race([call(controller.signal), timeout]);
  } finally {
    clearTimeout(timer);
  }
};

/** Amazon SES v2 `SendEmail` with the raw MIME the hub composed (its Message-ID and threading kept). */
export const createSesSender = (options: SesSenderOptions): ChannelSender => {
  const now = options.now ?? (() => new Date());
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return {
    provider: 'ses',
    prepare: (parts, _policy, target, stored) => prepareEmailParts(parts, stored, 'ses', target),
    send: async (message, context): Promise<SendOutcome> => {
      const composed = await composeEmail('ses', message, context, now);
      if (!isComposed(composed)) return composed;
      const command = new SendEmailCommand({
        FromEmailAddress: context.email?.from,
        Destination: { ToAddresses: [composed.to] },
        Content: { Raw: { Data: composed.raw } },
        EmailTags: tagsFor(context),
        ...(options.configurationSetName ? { ConfigurationSetName: options.configurationSetName } : {}),
      });
      try {
        const output = await sendWithin(timeoutMs, (abortSignal) =>
          options.client.send(command, { abortSignal }),
        );
        return output.MessageId
          ? { kind: 'accepted', providerMessageId: output.MessageId }
          : {
              kind: 'ambiguous',
              error: { code: 'switchboard.no_message_id', title: 'success without a MessageId' },
            };
      } catch (error) {
        return classifySesError(error, context.email?.from);
      }
    },
  };
};
