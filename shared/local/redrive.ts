import { randomUUID } from 'node:crypto';
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  ReceiveMessageCommand,
  type ReceiveMessageCommandOutput,
  SendMessageBatchCommand,
  type SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { sqsMessageBytes } from '#shared/aws/dead-letter.ts';
import { chunkEntriesOnePerGroup } from '#shared/aws/event-publisher.ts';
import {
  HELPDESK_QUEUE,
  INGEST_QUEUE,
  MEDIA_QUEUE,
  OUTBOX_QUEUE,
  type QueueDefinition,
} from '#shared/resources/definitions.ts';
import { queueDepths } from './queue-depth.ts';
import { deleteReceived } from './sqs-receipts.ts';

/**
 * The queues with a dead-letter queue, by the short names the console's Redrive buttons
 * (`POST /_local/console/redrive/{queue}`) and `npm run redrive -- <queue>` both take: one list.
 */
export const REDRIVE_QUEUES = ['ingest', 'helpdesk', 'outbox', 'media'] as const;
export type RedriveQueue = (typeof REDRIVE_QUEUES)[number];
export const REDRIVE_QUEUE_DEFINITIONS: Readonly<Record<RedriveQueue, QueueDefinition>> = {
  ingest: INGEST_QUEUE,
  helpdesk: HELPDESK_QUEUE,
  outbox: OUTBOX_QUEUE,
  media: MEDIA_QUEUE,
};

/**
 * Lambda's asynchronous-invocation dead-letter queues (AWS only), by the names `npm run redrive`
 * takes: the SES intake function's (invoked by the SES receipt rule) and the SES delivery-event
 * function's (invoked by SNS). Their messages came from no queue, so no SQS move task takes them
 * back: the redrive invokes the function again instead (redriveByInvoking).
 */
export const FAILED_EVENT_QUEUES = ['ses-intake', 'ses-events'] as const;
export type FailedEventQueue = (typeof FAILED_EVENT_QUEUES)[number];

export interface RedriveCounts {
  readonly received: number;
  readonly resent: number;
  readonly deleted: number;
  readonly failed: number;
}

type Received = NonNullable<ReceiveMessageCommandOutput['Messages']>[number];

/**
 * Re-sends received messages to the source in batches SQS takes (10 entries, 1 MiB together: a
 * dead-lettered message may be close to 1 MiB on its own; one entry of a group each), in order,
 * stopping at the first request SQS refuses an entry of, or refuses whole; the indexes of those it
 * accepted.
 */
const resendAll = async (
  sqs: SQSClient,
  sourceUrl: string,
  runId: string,
  messages: readonly Received[],
): Promise<{ readonly accepted: Set<string>; readonly error?: unknown }> => {
  const accepted = new Set<string>();
  const entries = messages.map((message, index) => ({
    message,
    index,
    bytes: sqsMessageBytes(message.Body ?? '', message.MessageAttributes),
  }));
  // One entry of a group per request: SQS takes a request's entries one by one, and a refused entry
  // must not be overtaken by a later one of its group in the same request.
  const batches = chunkEntriesOnePerGroup(
    entries,
    ({ message }) => message.Attributes?.MessageGroupId ?? 'redriven',
  );
  for (const batch of batches) {
    const sent = await sqs
      .send(
        new SendMessageBatchCommand({
          QueueUrl: sourceUrl,
          Entries: batch.map(({ message, index }) => ({
            Id: String(index),
            MessageBody: message.Body ?? '',
            MessageGroupId: message.Attributes?.MessageGroupId ?? 'redriven',
            MessageDeduplicationId: `redrive-${runId}-${message.MessageId ?? index}`,
            ...(message.MessageAttributes ? { MessageAttributes: message.MessageAttributes } : {}),
          })),
        }),
      )
      // A request that fails whole ends the round; what earlier requests moved is deleted before it is thrown.
      .catch((error: unknown) => ({ error }));
    if ('error' in sent) return { accepted, error: sent.error };
    for (const entry of sent.Successful ?? []) if (entry.Id !== undefined) accepted.add(entry.Id);
    // A refused entry stays in the DLQ: a later batch must not put its group's later messages ahead of it.
    if ((sent.Failed ?? []).length > 0) break;
  }
  return { accepted };
};

/**
 * Emulator redrive (fauxqs has no message-move task): receive from the DLQ, re-send to the source
 * keeping the group, and delete each DLQ message only once its re-send was accepted. The
 * deduplication id is fresh because the original may still be inside SQS's five-minute window;
 * that is safe only because the recorder is idempotent. Only the messages the DLQ held when the
 * redrive began are moved: one that fails again meanwhile (a consumer sets a poison message aside in
 * milliseconds) waits in the DLQ for the next redrive instead of going round for as long as this runs.
 */
export const redriveByResending = async (
  sqs: SQSClient,
  dlqUrl: string,
  sourceUrl: string,
): Promise<RedriveCounts> => {
  const counts = { received: 0, resent: 0, deleted: 0, failed: 0 };
  const runId = randomUUID();
  const waiting = (await queueDepths(sqs, dlqUrl)).visible;
  while (counts.received < waiting) {
    const output = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: dlqUrl,
        MaxNumberOfMessages: Math.min(10, waiting - counts.received),
        WaitTimeSeconds: 0,
        MessageSystemAttributeNames: ['MessageGroupId', 'MessageDeduplicationId'],
        MessageAttributeNames: ['All'],
      }),
    );
    const messages = output.Messages ?? [];
    if (messages.length === 0) return counts;
    counts.received += messages.length;
    const { accepted, error } = await resendAll(sqs, sourceUrl, runId, messages);
    counts.resent += accepted.size;
    counts.failed += messages.length - accepted.size;
    const toDelete = messages.filter((_, index) => accepted.has(String(index)));
    if (toDelete.length > 0) {
      const { deleted } = await deleteReceived(
        sqs,
        dlqUrl,
        toDelete.map((message) => message.ReceiptHandle),
      );
      counts.deleted += deleted;
    }
    if (error !== undefined) throw error;
    // A refused re-send stays in the DLQ (invisible for now); stop instead of spinning on it.
    if (accepted.size < messages.length) return counts;
  }
  return counts;
};

/** ARNs of a source queue and of the DLQ its redrive policy names. */
const queueArns = async (
  sqs: SQSClient,
  sourceUrl: string,
): Promise<{ sourceArn: string; dlqArn: string }> => {
  const output = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: sourceUrl, AttributeNames: ['QueueArn', 'RedrivePolicy'] }),
  );
  const sourceArn = output.Attributes?.QueueArn;
  const policy = JSON.parse(output.Attributes?.RedrivePolicy ?? '{}') as { deadLetterTargetArn?: unknown };
  if (!sourceArn || typeof policy.deadLetterTargetArn !== 'string') {
    throw new Error('source queue has no ARN or no redrive policy');
  }
  return { sourceArn, dlqArn: policy.deadLetterTargetArn };
};

export interface MoveProgress {
  readonly status: string;
  readonly moved: number;
  readonly toMove?: number;
}

/** AWS redrive: a message-move task from the DLQ back to its source, polled until it ends. */
export const redriveWithMoveTask = async (
  sqs: SQSClient,
  sourceUrl: string,
  report: (progress: MoveProgress) => void,
  pollMs = 2000,
): Promise<MoveProgress> => {
  const { sourceArn, dlqArn } = await queueArns(sqs, sourceUrl);
  await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: dlqArn, DestinationArn: sourceArn }));
  for (;;) {
    const tasks = await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: dlqArn, MaxResults: 1 }));
    const task = tasks.Results?.[0];
    const progress: MoveProgress = {
      status: task?.Status ?? 'UNKNOWN',
      moved: task?.ApproximateNumberOfMessagesMoved ?? 0,
      ...(task?.ApproximateNumberOfMessagesToMove !== undefined
        ? { toMove: task.ApproximateNumberOfMessagesToMove }
        : {}),
    };
    report(progress);
    if (progress.status !== 'RUNNING') return progress;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
};

export interface InvokeRedriveResult {
  /** Re-invoked, accepted by Lambda and deleted from the queue. */
  readonly moved: number;
  /** Of the messages the queue held when the redrive began, those still in it. */
  readonly left: number;
  /** Why Lambda did not take the message the redrive stopped at (a status, or an error's name and message). */
  readonly refused?: string;
}

/** Queues one event for the function as Lambda's own asynchronous invoke would; why not, when Lambda did not accept it. */
const invokeAgain = async (
  lambda: Pick<LambdaClient, 'send'>,
  functionName: string,
  event: string,
): Promise<string | undefined> => {
  try {
    const { StatusCode } = await lambda.send(
      new InvokeCommand({
        FunctionName: functionName,
        InvocationType: 'Event',
        Payload: new TextEncoder().encode(event),
      }),
    );
    return StatusCode === 202 ? undefined : `status ${StatusCode ?? 'none'}`;
  } catch (error) {
    return error instanceof Error ? `${error.name}: ${error.message}` : 'invoke failed';
  }
};

/**
 * Redrive of a Lambda asynchronous-invocation dead-letter queue: each message's body is the event
 * that failed every try (its attributes RequestID, ErrorCode and ErrorMessage are Lambda's notes,
 * not part of the event), so the function is invoked again with it, asynchronously, as SES or SNS
 * did, and the message deleted only once Lambda accepted the invoke (202). Stops at the first invoke
 * Lambda does not accept: the cause is likely not fixed yet, and the rest would fail alike. An
 * invoke accepted whose delete then fails leaves the event to be invoked twice; that is safe only
 * because both functions derive their event ids from the event (the recorder drops a repeat).
 * Only the messages the queue held when the redrive began are taken: one that fails again returns
 * after Lambda's retries, for the next redrive.
 */
export const redriveByInvoking = async (
  sqs: Pick<SQSClient, 'send'>,
  lambda: Pick<LambdaClient, 'send'>,
  queueUrl: string,
  functionName: string,
): Promise<InvokeRedriveResult> => {
  const waiting = (await queueDepths(sqs, queueUrl)).visible;
  let received = 0;
  let moved = 0;
  while (received < waiting) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: Math.min(10, waiting - received),
        // Long polling asks every SQS server: a short poll of a small queue may answer none.
        WaitTimeSeconds: 1,
      }),
    );
    if (Messages.length === 0) break;
    received += Messages.length;
    for (const message of Messages) {
      const refused = await invokeAgain(lambda, functionName, message.Body ?? '');
      // The rest of this batch stays in the queue, received: visible again after its visibility timeout.
      if (refused !== undefined) return { moved, left: waiting - moved, refused };
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
      moved += 1;
    }
  }
  return { moved, left: waiting - moved };
};
