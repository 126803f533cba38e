import type { buildApp } from 'fauxqs';
import { z } from 'zod';

/*
 * What the local SQS emulator accepted, as it accepts it: a hook on fauxqs' own HTTP server that sees
 * every SendMessage and SendMessageBatch answered with success, whoever sent it (the recorder and the
 * sender run in worker threads and send over HTTP like any client). It reads the request and the
 * answer and changes neither, so a queue's consumers see exactly what they would without it.
 */

/** A message the emulator accepted: its queue's name and its body. */
export interface SentMessage {
  readonly queueName: string;
  readonly body: string;
}

const SendMessageSchema = z.looseObject({ QueueUrl: z.string(), MessageBody: z.string() });
const SendMessageBatchSchema = z.looseObject({
  QueueUrl: z.string(),
  Entries: z.array(z.looseObject({ Id: z.string(), MessageBody: z.string() })),
});
const BatchAnswerSchema = z.looseObject({
  Successful: z.array(z.looseObject({ Id: z.string() })).default([]),
});

const queueNameOf = (queueUrl: string): string => {
  try {
    return new URL(queueUrl).pathname.split('/').pop() ?? '';
  } catch {
    return '';
  }
};

const parseAnswer = (payload: unknown): unknown => {
  if (typeof payload !== 'string') return undefined;
  try {
    return JSON.parse(payload);
  } catch {
    return undefined;
  }
};

/** The messages one answered request put on a queue (none for other actions or failed ones). */
const acceptedBy = (target: unknown, body: unknown, payload: unknown): SentMessage[] => {
  if (target === 'AmazonSQS.SendMessage') {
    const request = SendMessageSchema.safeParse(body);
    return request.success
      ? [{ queueName: queueNameOf(request.data.QueueUrl), body: request.data.MessageBody }]
      : [];
  }
  if (target === 'AmazonSQS.SendMessageBatch') {
    const request = SendMessageBatchSchema.safeParse(body);
    const answer = BatchAnswerSchema.safeParse(parseAnswer(payload));
    if (!request.success || !answer.success) return [];
    const accepted = new Set(answer.data.Successful.map((entry) => entry.Id));
    const queueName = queueNameOf(request.data.QueueUrl);
    return request.data.Entries.filter((entry) => accepted.has(entry.Id)).map((entry) => ({
      queueName,
      body: entry.MessageBody,
    }));
  }
  return [];
};

/** Calls `listener` with the messages of every send the emulator answers with success. */
export const observeSentMessages = (
  app: ReturnType<typeof buildApp>,
  listener: (messages: readonly SentMessage[]) => void,
): void => {
  app.addHook('onSend', async (request, reply, payload) => {
    if (reply.statusCode === 200) {
      const messages = acceptedBy(request.headers['x-amz-target'], request.body, payload);
      if (messages.length > 0) listener(messages);
    }
    return payload;
  });
};
