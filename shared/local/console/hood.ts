import type { SQSClient } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import type { LocalResources } from '#shared/local/emulators.ts';
import { peekQueue } from '#shared/local/peek.ts';
import { queueDepths } from '#shared/local/queue-depth.ts';
import {
  REDRIVE_QUEUE_DEFINITIONS,
  REDRIVE_QUEUES,
  type RedriveQueue,
  redriveByResending,
} from '#shared/local/redrive.ts';
import { FAULT_SWITCHES, type FaultSwitch, faultSwitch } from '#shared/local/simulators/fault-switches.ts';
import type { ArmedFault, RunningProviderSimulators } from '#shared/local/simulators/index.ts';
import { SIMULATED_PROVIDERS } from '#shared/local/simulators/types.ts';

/*
 * The console's "under the hood" endpoints: every queue's depth, what sits in each dead-letter
 * queue (its type, why and how old, never its body), a redrive through the same code as
 * `npm run redrive -- <queue> --local`, and the provider simulators' fault switches.
 * The guard (loopback Host, bearer token) is the console's own, in ./server.ts.
 */

const HOOD_PATH = '/_local/console/hood';
const REDRIVE_PREFIX = '/_local/console/redrive/';
const FAULTS_PATH = '/_local/console/faults';

/** At most this many dead-lettered messages are listed per queue (the count is always whole). */
const LISTED_PER_DLQ = 50;
const REASON_MAX = 200;

/** Which channels each simulated provider carries, as a person thinks of them. */
const PROVIDER_CHANNELS: Readonly<Record<(typeof SIMULATED_PROVIDERS)[number], string>> = {
  whatsapp: 'WhatsApp (Cloud API)',
  messenger: 'Messenger',
  twilio: 'SMS (Twilio; WhatsApp through Twilio too)',
  ses: 'E-mail (SES)',
  mailgun: 'E-mail (Mailgun)',
};

export interface HoodOptions {
  readonly sqs: SQSClient;
  /** The local SQS endpoint (its inspection route lists messages without receiving them). */
  readonly sqsEndpoint: string;
  readonly resources: LocalResources;
  /** The provider simulators, once they listen (absent when the hub runs without them). */
  readonly providers: () => RunningProviderSimulators | undefined;
}

export interface HoodAnswer {
  readonly statusCode: number;
  readonly body: unknown;
}

const urlsOf = (resources: LocalResources, queue: RedriveQueue): { queueUrl: string; dlqUrl: string } => {
  switch (queue) {
    case 'ingest':
      return { queueUrl: resources.ingestQueueUrl, dlqUrl: resources.ingestDlqUrl };
    case 'helpdesk':
      return { queueUrl: resources.helpdeskQueueUrl, dlqUrl: resources.helpdeskDlqUrl };
    case 'outbox':
      return { queueUrl: resources.outboxQueueUrl, dlqUrl: resources.outboxDlqUrl };
    case 'media':
      return { queueUrl: resources.mediaQueueUrl, dlqUrl: resources.mediaDlqUrl };
  }
};

const TYPE_NAME = /^[a-z][a-z0-9]*(?:\.[a-z0-9_]+)+$/;
const TypedSchema = z.looseObject({ type: z.string().regex(TYPE_NAME) });

/** What a dead-lettered body is, by its `type` alone (a name like `switchboard.message.received`). */
const typeOf = (body: string): string => {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return 'not JSON';
  }
  const typed = TypedSchema.safeParse(json);
  return typed.success ? typed.data.type : 'no known type';
};

const dlqMessages = async (options: HoodOptions, queue: RedriveQueue, dlqUrl: string, now: number) => {
  const peeked = await peekQueue(options.sqsEndpoint, dlqUrl);
  const fallback = `failed ${REDRIVE_QUEUE_DEFINITIONS[queue].maxReceiveCount} receives`;
  return peeked.slice(0, LISTED_PER_DLQ).map((message) => ({
    messageId: message.messageId,
    type: typeOf(message.body),
    reason: (message.attributes.reason ?? fallback).slice(0, REASON_MAX),
    ...(message.sentAt !== undefined
      ? { ageSeconds: Math.max(0, Math.floor((now - message.sentAt) / 1000)) }
      : {}),
  }));
};

const queuesView = (options: HoodOptions) => {
  const now = Date.now();
  return Promise.all(
    REDRIVE_QUEUES.map(async (queue) => {
      const { queueUrl, dlqUrl } = urlsOf(options.resources, queue);
      const [depths, dlqDepths, messages] = await Promise.all([
        queueDepths(options.sqs, queueUrl),
        queueDepths(options.sqs, dlqUrl),
        dlqMessages(options, queue, dlqUrl, now),
      ]);
      return {
        queue,
        name: REDRIVE_QUEUE_DEFINITIONS[queue].name,
        depths,
        dlq: { name: REDRIVE_QUEUE_DEFINITIONS[queue].deadLetterQueue.name, depths: dlqDepths, messages },
      };
    }),
  );
};

const sameFault = (armed: ArmedFault, entry: FaultSwitch): boolean => {
  const { times: _times, ...fault } = armed.fault;
  return JSON.stringify(fault) === JSON.stringify(entry.fault);
};

/** An armed fault as shown: its switch's label, or its kind and code (never its recipient). */
const armedView = (armed: ArmedFault) => {
  const known = FAULT_SWITCHES.find((entry) => sameFault(armed, entry));
  const code = 'code' in armed.fault && armed.fault.code !== undefined ? ` ${armed.fault.code}` : '';
  return {
    provider: armed.fault.provider,
    ...(known ? { switch: known.id } : {}),
    label: known?.label ?? `${armed.fault.kind}${code}`,
    ...(armed.fault.recipient !== undefined ? { scope: 'one recipient' } : {}),
    ...(armed.remaining !== undefined ? { remaining: armed.remaining } : {}),
  };
};

const simulatorsView = (providers: RunningProviderSimulators | undefined) => {
  if (!providers) return undefined;
  const armed = providers.faults();
  return SIMULATED_PROVIDERS.map((provider) => ({
    provider,
    channels: PROVIDER_CHANNELS[provider],
    switches: FAULT_SWITCHES.filter((entry) => entry.provider === provider).map(({ id, label }) => ({
      id,
      label,
    })),
    armed: armed.filter((entry) => entry.fault.provider === provider).map(armedView),
  }));
};

const ArmSchema = z.strictObject({
  switch: z.string().min(1).max(100),
  /** The next N matching sends; until cleared when absent. */
  times: z.int().min(1).max(1000).optional(),
});

const invalid = (error: z.ZodError): HoodAnswer => ({
  statusCode: 400,
  body: { errors: error.issues.map((issue) => ({ field: issue.path.join('.'), message: issue.message })) },
});

const arm = (providers: RunningProviderSimulators, body: unknown): HoodAnswer => {
  const parsed = ArmSchema.safeParse(body);
  if (!parsed.success) return invalid(parsed.error);
  const chosen = faultSwitch(parsed.data.switch);
  if (!chosen) return { statusCode: 404, body: { errors: [{ field: 'switch', message: 'no such switch' }] } };
  providers.addFault({
    ...chosen.fault,
    ...(parsed.data.times !== undefined ? { times: parsed.data.times } : {}),
  });
  return { statusCode: 200, body: { armed: simulatorsView(providers) } };
};

const ProviderSchema = z.enum(SIMULATED_PROVIDERS);

const faultsAnswer = (
  options: HoodOptions,
  method: string,
  rawPath: string,
  body: () => unknown,
): HoodAnswer | undefined => {
  if (rawPath !== FAULTS_PATH && !rawPath.startsWith(`${FAULTS_PATH}/`)) return undefined;
  const providers = options.providers();
  if (!providers)
    return { statusCode: 409, body: { title: 'The hub runs without the provider simulators.' } };
  if (method === 'POST' && rawPath === FAULTS_PATH) return arm(providers, body());
  if (method !== 'DELETE') return undefined;
  const rest = rawPath.slice(FAULTS_PATH.length + 1);
  if (rawPath === FAULTS_PATH) providers.clearFaults();
  else {
    const provider = ProviderSchema.safeParse(rest);
    if (!provider.success) return { statusCode: 404, body: { title: 'No such provider.' } };
    providers.clearFaults(provider.data);
  }
  return { statusCode: 200, body: { armed: simulatorsView(providers) } };
};

const QueueNameSchema = z.enum(REDRIVE_QUEUES);

/** The console's under-the-hood routes: an answer, or undefined for other paths. */
export const hoodAnswer = async (
  options: HoodOptions,
  method: string,
  rawPath: string,
  body: () => unknown,
): Promise<HoodAnswer | undefined> => {
  if (method === 'GET' && rawPath === HOOD_PATH) {
    const simulators = simulatorsView(options.providers());
    return {
      statusCode: 200,
      body: { queues: await queuesView(options), ...(simulators ? { simulators } : {}) },
    };
  }
  if (method === 'POST' && rawPath.startsWith(REDRIVE_PREFIX)) {
    const queue = QueueNameSchema.safeParse(rawPath.slice(REDRIVE_PREFIX.length));
    if (!queue.success) return { statusCode: 404, body: { title: 'No such queue.' } };
    const { queueUrl, dlqUrl } = urlsOf(options.resources, queue.data);
    return { statusCode: 200, body: await redriveByResending(options.sqs, dlqUrl, queueUrl) };
  }
  return faultsAnswer(options, method, rawPath, body);
};
