import { hubMessageIdFor, type Message } from '#shared/contract/index.ts';
import type { MessageEvent } from '#shared/domain/conversation.ts';

/** Above this the e-mail bodies are left out: they travel in the event and the raw MIME is in S3. */
export const MESSAGE_DATA_SOFT_LIMIT_BYTES = 4 * 1024;
/** Far below the 400 KB item limit; past it only the envelope of the message is kept. */
export const MESSAGE_DATA_HARD_LIMIT_BYTES = 64 * 1024;

export interface StoredMessageData {
  readonly message: Message;
  /** What was left out to keep the item small; the helpdesk event carried it in full. */
  readonly omitted?: readonly ('email_bodies' | 'parts')[];
}

const byteLength = (value: unknown): number => Buffer.byteLength(JSON.stringify(value), 'utf8');

/** The message as stored: the event's data, minus what is too large for a cheap item. */
export const storedMessageData = (event: MessageEvent): StoredMessageData => {
  const message = event.data;
  if (byteLength(message) <= MESSAGE_DATA_SOFT_LIMIT_BYTES) return { message };
  const omitted: ('email_bodies' | 'parts')[] = [];
  let trimmed: Message = message;
  if (message.email) {
    const { textBody: _text, htmlBody: _html, ...email } = message.email;
    trimmed = { ...trimmed, email };
    omitted.push('email_bodies');
  }
  if (byteLength(trimmed) > MESSAGE_DATA_HARD_LIMIT_BYTES) {
    trimmed = { ...trimmed, parts: [] };
    omitted.push('parts');
  }
  return omitted.length > 0 ? { message: trimmed, omitted } : { message };
};

export const hubMessageIdOf = (event: MessageEvent): string =>
  hubMessageIdFor(event.data.channel, event.data.providerMessageId);
