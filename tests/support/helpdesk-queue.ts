import { ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { type HubEvent, HubEventSchema } from '#shared/contract/index.ts';
import { deleteReceived } from '#shared/local/sqs-receipts.ts';

/** Takes every event now on the helpdesk queue (received, parsed, deleted), as a helpdesk would. */
export const takeHelpdeskEvents = async (
  sqs: Pick<SQSClient, 'send'>,
  queueUrl: string,
): Promise<HubEvent[]> => {
  const events: HubEvent[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 }),
    );
    if (Messages.length === 0) return events;
    events.push(...Messages.map((message) => HubEventSchema.parse(JSON.parse(message.Body ?? ''))));
    await deleteReceived(
      sqs,
      queueUrl,
      Messages.map((message) => message.ReceiptHandle),
    );
  }
};

/** Events taken until `done` holds for what arrived, or the time is up. */
export const collectHelpdeskUntil = async (
  sqs: Pick<SQSClient, 'send'>,
  queueUrl: string,
  done: (events: HubEvent[]) => boolean,
  timeoutMs = 20_000,
): Promise<HubEvent[]> => {
  const events: HubEvent[] = [];
  const until = Date.now() + timeoutMs;
  while (Date.now() < until && !done(events)) {
    events.push(...(await takeHelpdeskEvents(sqs, queueUrl)));
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return events;
};
