import { z } from 'zod';

/**
 * Non-destructive look at a queue on the local emulator (fauxqs' inspection endpoint). A receive
 * with VisibilityTimeout 0 would not do on FIFO queues: it counts as a receive, and enough peeks
 * would send a message to the dead-letter queue before the real consumer ever saw it.
 */

const InspectedMessageSchema = z.looseObject({
  messageId: z.string(),
  body: z.string(),
  sentTimestamp: z.number().optional(),
  messageAttributes: z
    .record(z.string(), z.looseObject({ DataType: z.string(), StringValue: z.string().optional() }))
    .default({}),
});
const InspectionSchema = z.looseObject({
  messages: z.looseObject({
    ready: z.array(InspectedMessageSchema).default([]),
    delayed: z.array(InspectedMessageSchema).default([]),
    inflight: z.array(z.looseObject({ message: InspectedMessageSchema })).default([]),
  }),
});

export interface PeekedMessage {
  readonly messageId: string;
  readonly body: string;
  /** When it was sent to this queue (ms since the epoch), when the emulator says. */
  readonly sentAt?: number;
  /** Its string message attributes (e.g. the sender's `reason` on the outbox DLQ). */
  readonly attributes: Readonly<Record<string, string>>;
}

const queueNameOf = (queueUrl: string): string => new URL(queueUrl).pathname.split('/').pop() ?? '';

export const peekQueue = async (sqsEndpoint: string, queueUrl: string): Promise<PeekedMessage[]> => {
  const response = await fetch(
    new URL(`/_fauxqs/queues/${encodeURIComponent(queueNameOf(queueUrl))}`, sqsEndpoint),
    { signal: AbortSignal.timeout(5000) },
  );
  if (!response.ok) throw new Error(`queue inspection answered ${response.status}`);
  const { messages } = InspectionSchema.parse(await response.json());
  return [...messages.ready, ...messages.delayed, ...messages.inflight.map((entry) => entry.message)].map(
    (message) => ({
      messageId: message.messageId,
      body: message.body,
      ...(message.sentTimestamp !== undefined ? { sentAt: message.sentTimestamp } : {}),
      attributes: Object.fromEntries(
        Object.entries(message.messageAttributes).flatMap(([name, value]) =>
          value.StringValue === undefined ? [] : [[name, value.StringValue]],
        ),
      ),
    }),
  );
};
