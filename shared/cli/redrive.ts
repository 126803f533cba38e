import { parseArgs } from 'node:util';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import { cliAwsRegion } from '#shared/local/aws-region.ts';
import { swallowedHub, swallowedUrlOption } from '#shared/local/cli-args.ts';
import { type CliOutput, isEntryPoint, terminalOutput } from '#shared/local/cli-output.ts';
import { fetchHubInfo } from '#shared/local/hub-info.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '#shared/local/local-aws.ts';
import {
  FAILED_EVENT_QUEUES,
  type FailedEventQueue,
  REDRIVE_QUEUE_DEFINITIONS,
  REDRIVE_QUEUES,
  type RedriveQueue,
  redriveByInvoking,
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

/**
 * The variables holding, in AWS, each failed-event queue's URL and the name of the function it
 * belongs to (stack outputs SesIntakeFailedEventsQueueUrl, SesIntakeFunctionName,
 * SesDeliveryEventsFailedQueueUrl, SesDeliveryEventsFunctionName).
 */
const FAILED_EVENT_VARIABLES: Readonly<
  Record<FailedEventQueue, { readonly queueUrl: string; readonly functionName: string }>
> = {
  'ses-intake': {
    queueUrl: 'SWITCHBOARD_SES_INTAKE_FAILED_QUEUE_URL',
    functionName: 'SWITCHBOARD_SES_INTAKE_FUNCTION_NAME',
  },
  'ses-events': {
    queueUrl: 'SWITCHBOARD_SES_EVENTS_FAILED_QUEUE_URL',
    functionName: 'SWITCHBOARD_SES_EVENTS_FUNCTION_NAME',
  },
};

const USAGE = `usage: npm run redrive -- <${REDRIVE_QUEUES.join('|')}> --local [--hub URL | --sqs-endpoint URL]
       npm run redrive -- <${REDRIVE_QUEUES.join('|')}>
       npm run redrive -- <${FAILED_EVENT_QUEUES.join('|')}>
  Puts the messages of the queue's dead-letter queue back on the queue.
  --local             the running local hub (npm start): re-sends every message its DLQ holds to the
                      queue on the hub's SQS emulator (the console's Redrive button runs the same code)
  --hub URL           the local hub to ask for its SQS endpoint (default ${DEFAULT_HUB}); implies --local
  --sqs-endpoint URL  an SQS endpoint to use instead of asking the hub; implies --local
  --help              this text
  Without them, AWS: starts an SQS message-move task from the queue's DLQ back to it and reports its
  progress; the queue URL comes from SWITCHBOARD_<QUEUE>_QUEUE_URL (e.g. ${URL_VARIABLES.outbox}), the
  region from that URL, else from AWS_REGION.
  ${FAILED_EVENT_QUEUES.join(', ')} (AWS only): the SES intake and SES delivery-event functions' failed
  invocations (their Lambda dead-letter queues): invokes the function again, asynchronously, with each
  message's body (the event that failed), deletes the message once Lambda accepted it, and stops at the
  first invoke Lambda refuses. The queue URL and the function name come from
  ${FAILED_EVENT_VARIABLES['ses-intake'].queueUrl} and ${FAILED_EVENT_VARIABLES['ses-intake'].functionName}, or
  ${FAILED_EVENT_VARIABLES['ses-events'].queueUrl} and ${FAILED_EVENT_VARIABLES['ses-events'].functionName}.
  Exit 0 when every message was moved, 1 when some are left.`;

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
  | { readonly kind: 'aws'; readonly queue: RedriveQueue; readonly queueUrl: string }
  | {
      readonly kind: 'aws-invoke';
      readonly queue: FailedEventQueue;
      readonly queueUrl: string;
      readonly functionName: string;
    };

/** A failed-event queue: AWS only, the queue URL and the function name from their variables. */
const resolveInvokeTarget = (
  queue: FailedEventQueue,
  values: ReturnType<typeof parseRedriveArgs>['values'],
  env: Readonly<Record<string, string | undefined>>,
): RedriveTarget => {
  if (values.local || values.hub !== undefined || values['sqs-endpoint'] !== undefined)
    return {
      kind: 'refused',
      message: `${queue} is AWS only: the local hub has no SES intake function and no SES failed-event queue (it runs the SES event function directly, answering a failure to the simulator); run it without --local, --hub or --sqs-endpoint`,
    };
  const variables = FAILED_EVENT_VARIABLES[queue];
  const queueUrl = z.url().safeParse(env[variables.queueUrl]);
  if (!queueUrl.success)
    return {
      kind: 'refused',
      message: `${variables.queueUrl} must hold the ${queue} failed-event queue URL`,
    };
  const functionName = z.string().min(1).safeParse(env[variables.functionName]);
  if (!functionName.success)
    return { kind: 'refused', message: `${variables.functionName} must hold the ${queue} function's name` };
  return { kind: 'aws-invoke', queue, queueUrl: queueUrl.data, functionName: functionName.data };
};

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
  if (positionals.length > 1) return { kind: 'refused', message: USAGE };
  // `--hub=URL` or `--sqs-endpoint=URL` before the `--`: npm keeps it and passes nothing on, so this
  // would move the deployed queue's messages instead (found by a review). A `--local` npm keeps is
  // not told to the command at all (npm 11 sets no variable for it): the README says so.
  if (values.hub === undefined && values['sqs-endpoint'] === undefined && !values.local) {
    const kept = swallowedHub('redrive', env) ?? swallowedUrlOption('redrive', 'sqs-endpoint', env);
    if (kept) return { kind: 'refused', message: kept };
  }
  const failedEventQueue = z.enum(FAILED_EVENT_QUEUES).safeParse(positionals[0]);
  if (failedEventQueue.success) return resolveInvokeTarget(failedEventQueue.data, values, env);
  const queue = z.enum(REDRIVE_QUEUES).safeParse(positionals[0]);
  if (!queue.success)
    return {
      kind: 'refused',
      message:
        positionals[0] === undefined
          ? USAGE
          : `${positionals[0]} is not a queue name (${[...REDRIVE_QUEUES, ...FAILED_EVENT_QUEUES].join(', ')})\n${USAGE}`,
    };
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
    // As the usage says: 1 when some are left on the dead-letter queue (not re-sent, or re-sent and
    // not deleted from it).
    return counts.failed > 0 || counts.deleted < counts.resent ? 1 : 0;
  } finally {
    sqs.destroy();
  }
};

let lambda: LambdaClient | undefined;

/** Created on first use: only the ses-intake and ses-events redrives invoke a function. */
const lambdaClient = (region: string): LambdaClient => {
  lambda ??= new LambdaClient({ region });
  return lambda;
};

const redriveByInvokingInAws = async (
  target: Extract<RedriveTarget, { kind: 'aws-invoke' }>,
  out: CliOutput,
): Promise<number> => {
  // The region: the queue URL's, which is the function's too, else the SDK's (AWS_REGION).
  const region = await cliAwsRegion([target.queueUrl]);
  const sqs = new SQSClient({ region });
  try {
    const result = await redriveByInvoking(sqs, lambdaClient(region), target.queueUrl, target.functionName);
    out.line(
      `redrive ${target.queue} (invoking ${target.functionName}): moved ${result.moved}, left ${result.left}${result.refused !== undefined ? `; stopped, Lambda refused an invoke: ${result.refused}` : ''}`,
    );
    return result.left === 0 && result.refused === undefined ? 0 : 1;
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
      const sqs = new SQSClient({ region: await cliAwsRegion([target.queueUrl]) });
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
    case 'aws-invoke':
      return redriveByInvokingInAws(target, out);
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
