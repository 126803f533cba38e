import { parseArgs } from 'node:util';
import { GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import { type CliOutput, isEntryPoint, terminalOutput } from '#shared/local/cli-output.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '#shared/local/emulators.ts';
import { fetchHubInfo } from '#shared/local/hub-info.ts';
import {
  REDRIVE_QUEUE_DEFINITIONS,
  REDRIVE_QUEUES,
  type RedriveQueue,
  redriveByResending,
  redriveWithMoveTask,
} from '#shared/local/redrive.ts';

const DEFAULT_HUB = 'http://127.0.0.1:3000';

/** The variable holding each queue's URL in AWS (the queue the move task puts messages back on). */
const URL_VARIABLES: Readonly<Record<RedriveQueue, string>> = {
  ingest: 'SWITCHBOARD_INGEST_QUEUE_URL',
  helpdesk: 'SWITCHBOARD_HELPDESK_QUEUE_URL',
  outbox: 'SWITCHBOARD_OUTBOX_QUEUE_URL',
  media: 'SWITCHBOARD_MEDIA_QUEUE_URL',
};

const USAGE = `usage: npm run redrive -- <${REDRIVE_QUEUES.join('|')}> --local [--hub URL | --sqs-endpoint URL]
       npm run redrive -- <${REDRIVE_QUEUES.join('|')}>
  Puts the messages of the queue's dead-letter queue back on the queue.
  --local             the running local hub (npm start): re-sends every message its DLQ holds to the
                      queue on the hub's SQS emulator (the console's Redrive button runs the same code)
  --hub URL           the local hub to ask for its SQS endpoint (default ${DEFAULT_HUB}); implies --local
  --sqs-endpoint URL  an SQS endpoint to use instead of asking the hub; implies --local
  --help              this text
  Without them, AWS: starts an SQS message-move task from the queue's DLQ back to it and reports its
  progress; the queue URL comes from SWITCHBOARD_<QUEUE>_QUEUE_URL (e.g. ${URL_VARIABLES.outbox}).`;

const parseRedriveArgs = (argv: readonly string[]) =>
  parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      local: { type: 'boolean', default: false },
      hub: { type: 'string' },
      'sqs-endpoint': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });

/** What `npm run redrive` does, decided from its arguments and environment alone (nothing is read yet). */
export type RedriveTarget =
  | { readonly kind: 'help'; readonly text: string }
  | { readonly kind: 'refused'; readonly message: string }
  | { readonly kind: 'local'; readonly queue: RedriveQueue; readonly hubUrl: string }
  | { readonly kind: 'local-endpoint'; readonly queue: RedriveQueue; readonly sqsEndpoint: string }
  | { readonly kind: 'aws'; readonly queue: RedriveQueue; readonly queueUrl: string };

/**
 * `--local` (or `--hub`) asks the running local hub where its SQS emulator listens, as `npm run send`
 * and `npm run consume` do; `--sqs-endpoint` names one instead; without either, AWS.
 */
export const resolveRedriveTarget = (
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): RedriveTarget => {
  let parsed: ReturnType<typeof parseRedriveArgs>;
  try {
    parsed = parseRedriveArgs(argv);
  } catch (error) {
    return {
      kind: 'refused',
      message: `${error instanceof Error ? error.message : 'bad arguments'}\n${USAGE}`,
    };
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: 'help', text: USAGE };
  const queue = z.enum(REDRIVE_QUEUES).safeParse(positionals[0]);
  if (!queue.success || positionals.length > 1) return { kind: 'refused', message: USAGE };
  const sqsEndpoint = values['sqs-endpoint'];
  if (sqsEndpoint !== undefined) {
    if (values.hub !== undefined)
      return { kind: 'refused', message: 'pass either --hub or --sqs-endpoint, not both' };
    return { kind: 'local-endpoint', queue: queue.data, sqsEndpoint };
  }
  if (values.local || values.hub !== undefined)
    return { kind: 'local', queue: queue.data, hubUrl: values.hub ?? DEFAULT_HUB };
  const variable = URL_VARIABLES[queue.data];
  const queueUrl = z.url().safeParse(env[variable]);
  if (!queueUrl.success)
    return {
      kind: 'refused',
      message: `${variable} must hold the ${queue.data} queue URL (AWS), or pass --local for the local hub`,
    };
  return { kind: 'aws', queue: queue.data, queueUrl: queueUrl.data };
};

const redriveLocally = async (
  target: Extract<RedriveTarget, { kind: 'local' | 'local-endpoint' }>,
  { out, err }: Required<Omit<RedriveIo, 'env'>>,
): Promise<number> => {
  const info = target.kind === 'local' ? await fetchHubInfo(target.hubUrl) : undefined;
  if (target.kind === 'local' && !info) {
    err.line(
      `no local hub at ${target.hubUrl} (start one with npm start; another port: --hub URL; an SQS endpoint: --sqs-endpoint URL)`,
    );
    return 1;
  }
  const endpoint = target.kind === 'local-endpoint' ? target.sqsEndpoint : (info?.endpoints.sqs ?? '');
  const sqs = new SQSClient({
    endpoint,
    region: info?.region ?? LOCAL_REGION,
    credentials: info?.credentials ?? LOCAL_CREDENTIALS,
  });
  try {
    const definition = REDRIVE_QUEUE_DEFINITIONS[target.queue];
    const urlOf = async (name: string) =>
      (await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl ?? '';
    const counts = await redriveByResending(
      sqs,
      await urlOf(definition.deadLetterQueue.name),
      await urlOf(definition.name),
    );
    out.line(
      `redrive ${target.queue} (local, SQS ${endpoint}): received ${counts.received}, re-sent ${counts.resent}, deleted ${counts.deleted}, failed ${counts.failed}`,
    );
    return 0;
  } finally {
    sqs.destroy();
  }
};

/** Where a run writes (the report on `out`, usage and refusals on `err`) and the environment it reads. */
interface RedriveIo {
  readonly out?: CliOutput;
  readonly err?: CliOutput;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** Runs the redrive; returns the process exit code. */
export const main = async (argv: readonly string[], io: RedriveIo = {}): Promise<number> => {
  const out = io.out ?? terminalOutput();
  const err = io.err ?? terminalOutput(process.stderr);
  const target = resolveRedriveTarget(argv, io.env ?? process.env);
  switch (target.kind) {
    case 'help':
      out.line(target.text);
      return 0;
    case 'refused':
      err.line(target.message);
      return 2;
    case 'local':
    case 'local-endpoint':
      return redriveLocally(target, { out, err });
    case 'aws': {
      const sqs = new SQSClient({});
      try {
        const result = await redriveWithMoveTask(sqs, target.queueUrl, (progress) =>
          out.line(
            `move task ${progress.status}: ${progress.moved}${progress.toMove !== undefined ? ` of ${progress.toMove}` : ''} moved`,
          ),
        );
        return result.status === 'COMPLETED' ? 0 : 1;
      } finally {
        sqs.destroy();
      }
    }
  }
};

if (isEntryPoint(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(
        `redrive failed: ${error instanceof Error ? error.name : 'error'}: ${error instanceof Error ? error.message : ''}`,
      );
      process.exitCode = 1;
    },
  );
}
