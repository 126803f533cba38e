import { normalizeInboundEmail } from '#shared/channels/email/inbound/normalize.ts';
import type { ConversationState, Message } from '#shared/contract/types.ts';
import { applyEvent, isMessageEvent } from '#shared/domain/conversation.ts';

/**
 * A customer's plain-text mail to support@acme.example as Mailgun hands it over, read by the hub:
 * the conversation it opens and the message an answer answers. `headers` are the mail's own after
 * From and To (Subject, Message-ID, threading).
 */
export const customerMail = async (
  headers: readonly string[],
): Promise<{ conversation: ConversationState; answered: Message }> => {
  const raw = Buffer.from(
    [
      'From: Ann <ann@customer.example>',
      'To: support@acme.example',
      ...headers,
      'Content-Type: text/plain; charset=utf-8',
      '',
      'still waiting',
    ].join('\r\n'),
  );
  const { events } = await normalizeInboundEmail(raw, {
    provider: 'mailgun',
    receivedAt: new Date('2026-11-22T12:00:00.000Z'),
    envelopeRecipients: ['support@acme.example'],
  });
  const [event] = events;
  if (event === undefined || !isMessageEvent(event)) throw new Error('no message event');
  return { conversation: applyEvent(undefined, event).model.state, answered: event.data as Message };
};

/** A mail whose body is `text` and `html` as multipart/alternative, after its own `headers` (From, To…). */
export const alternativeMail = (headers: readonly string[], text: string, html: string): Buffer =>
  Buffer.from(
    [
      ...headers,
      'MIME-Version: 1.0',
      'Content-Type: multipart/alternative; boundary="alt"',
      '',
      '--alt',
      'Content-Type: text/plain; charset=utf-8',
      '',
      text,
      '--alt',
      'Content-Type: text/html; charset=utf-8',
      '',
      html,
      '--alt--',
      '',
    ].join('\r\n'),
  );
