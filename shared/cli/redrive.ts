import { parseArgs } from 'node:util';
import { GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '#shared/local/emulators.ts';
import { redriveByResending, redriveWithMoveTask } from '#shared/local/redrive.ts';
import { HELPDESK_QUEUE, INGEST_QUEUE, OUTBOX_QUEUE } from '#shared/resources/definitions.ts';

const USAGE = `usage: npm run redrive -- <ingest|helpdesk|outbox> [--local] [--sqs-endpoint URL]
  AWS:   starts an SQS message-move task from the queue's DLQ back to it (queue URL from
         SWITCHBOARD_INGEST_QUEUE_URL / SWITCHBOARD_HELPDESK_QUEUE_URL / SWITCHBOARD_OUTBOX_QUEUE_URL) and reports its progress.
  local: re-sends every DLQ message to its queue on the emulator (AWS_ENDPOINT_URL_SQS or --sqs-endpoint).`;

const QueueChoiceSchema = z.enum(['ingest', 'helpdesk', 'outbox']);
const DEFINITIONS = { ingest: INGEST_QUEUE, helpdesk: HELPDESK_QUEUE, outbox: OUTBOX_QUEUE } as const;
const URL_VARIABLES = {
  ingest: 'SWITCHBOARD_INGEST_QUEUE_URL',
  helpdesk: 'SWITCHBOARD_HELPDESK_QUEUE_URL',
  outbox: 'SWITCHBOARD_OUTBOX_QUEUE_URL',
} as const;

const main = async (): Promise<void> => {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { local: { type: 'boolean', default: false }, 'sqs-endpoint': { type: 'string' } },
  });
  const choice = QueueChoiceSchema.safeParse(positionals[0]);
  if (!choice.success) {
    console.error(USAGE);
    process.exitCode = 2;
    return;
  }
  const definition = DEFINITIONS[choice.data];

  if (values.local) {
    const endpoint =
      values['sqs-endpoint'] ?? process.env.AWS_ENDPOINT_URL_SQS ?? process.env.AWS_ENDPOINT_URL;
    if (!endpoint) throw new Error('--local needs AWS_ENDPOINT_URL_SQS or --sqs-endpoint');
    const sqs = new SQSClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
    const urlOf = async (name: string) =>
      (await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl ?? '';
    const counts = await redriveByResending(
      sqs,
      await urlOf(definition.deadLetterQueue.name),
      await urlOf(definition.name),
    );
    console.log(
      `redrive ${choice.data} (local): received ${counts.received}, re-sent ${counts.resent}, deleted ${counts.deleted}, failed ${counts.failed}`,
    );
    sqs.destroy();
    return;
  }

  const variable = URL_VARIABLES[choice.data];
  const sourceUrl = z.url().safeParse(process.env[variable]);
  if (!sourceUrl.success) throw new Error(`${variable} must hold the ${choice.data} queue URL`);
  const sqs = new SQSClient({});
  const result = await redriveWithMoveTask(sqs, sourceUrl.data, (progress) =>
    console.log(
      `move task ${progress.status}: ${progress.moved}${progress.toMove !== undefined ? ` of ${progress.toMove}` : ''} moved`,
    ),
  );
  sqs.destroy();
  if (result.status !== 'COMPLETED') process.exitCode = 1;
};

main().catch((error: unknown) => {
  console.error(
    `redrive failed: ${error instanceof Error ? error.name : 'error'}: ${error instanceof Error ? error.message : ''}`,
  );
  process.exitCode = 1;
});
