import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { DEFAULT_EVENTS_DIR, type Sample } from '#shared/local/samples.ts';

/**
 * Meta sends up to 1000 updates in one POST. These batches repeat the text samples with a distinct
 * message id per item and 50 distinct senders, so every item is a distinct message.
 */

const BATCH_ITEMS = 1000;
const SENDERS = 50;

const MessengerTextSchema = z.looseObject({
  entry: z.array(
    z.looseObject({
      id: z.string(),
      time: z.number(),
      messaging: z.array(
        z.looseObject({
          sender: z.looseObject({ id: z.string() }),
          message: z.looseObject({ mid: z.string() }),
        }),
      ),
    }),
  ),
});

const WhatsAppTextSchema = z.looseObject({
  entry: z.array(
    z.looseObject({
      id: z.string(),
      changes: z.array(
        z.looseObject({
          value: z.looseObject({
            contacts: z.array(z.looseObject({ wa_id: z.string() })),
            messages: z.array(z.looseObject({ id: z.string(), from: z.string() })),
          }),
        }),
      ),
    }),
  ),
});

const readSample = (channel: 'messenger' | 'whatsapp', variant: string) =>
  JSON.parse(readFileSync(join(DEFAULT_EVENTS_DIR, channel, `${variant}.json`), 'utf8')) as unknown;

const sampleOf = (channel: 'messenger' | 'whatsapp', body: unknown): Sample => ({
  path: `(generated ${channel} batch of ${BATCH_ITEMS})`,
  name: `${channel}/batch-${BATCH_ITEMS}`,
  channel,
  connector: channel,
  payload: Buffer.from(JSON.stringify(body), 'utf8'),
  envelope: [],
});

const senderNumber = (index: number) => String(7319482765100000 + (index % SENDERS));

export const messengerBatchSample = (): Sample => {
  const text = MessengerTextSchema.parse(readSample('messenger', 'text'));
  const [entry] = text.entry;
  const [item] = entry?.messaging ?? [];
  if (!entry || !item) throw new Error('messenger/text.json has no messaging item');
  const entries = Array.from({ length: BATCH_ITEMS }, (_, index) => ({
    ...entry,
    messaging: [
      {
        ...item,
        sender: { ...item.sender, id: senderNumber(index) },
        message: { ...item.message, mid: `${item.message.mid}_${index}` },
      },
    ],
  }));
  return sampleOf('messenger', { ...text, entry: entries });
};

export const whatsappBatchSample = (): Sample => {
  const text = WhatsAppTextSchema.parse(readSample('whatsapp', 'text'));
  const [entry] = text.entry;
  const [change] = entry?.changes ?? [];
  const [contact] = change?.value.contacts ?? [];
  const [message] = change?.value.messages ?? [];
  if (!entry || !change || !contact || !message) throw new Error('whatsapp/text.json has no message');
  const changes = Array.from({ length: BATCH_ITEMS }, (_, index) => {
    const from = String(4915112300000 + (index % SENDERS));
    return {
      ...change,
      value: {
        ...change.value,
        contacts: [{ ...contact, wa_id: from }],
        messages: [{ ...message, from, id: `${message.id.replace(/=+$/, '')}${index}` }],
      },
    };
  });
  return sampleOf('whatsapp', { ...text, entry: [{ ...entry, changes }] });
};
