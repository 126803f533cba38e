import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { interceptLocalhostDns } from 'fauxqs';
import { resetAwsClients } from '#shared/aws/clients.ts';
import { resetPseudonymKey } from '#shared/aws/pseudonym-key.ts';
import { resetChannelSecrets } from '#shared/aws/secrets.ts';
import { resetRuntimeConfig } from '#shared/config/runtime.ts';
import { localSecretsFromEnv } from '#shared/config/secrets.ts';
import { resetWebhookDeps } from '#shared/intake/wiring.ts';
import {
  ATTENTION_SWEEPER,
  HELPDESK_QUEUE,
  INGEST_SPILL_DRAIN,
  MEDIA_FETCHER,
  RECORDER,
  SENDER,
} from '#shared/resources/definitions.ts';
import { createSendStore } from '#shared/store/sends.ts';
import { addAwsCommandCounts } from './aws-command-counter.ts';
import { postCustomerMessage } from './console/customer.ts';
import { createEventTap } from './console/event-tap.ts';
import { consoleStreams } from './console/live.ts';
import { consoleHandler } from './console/server.ts';
import { lockDataDir } from './data-dir-lock.ts';
import {
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  type LocalEndpoints,
  type LocalResources,
  type RunningEmulators,
  startEmulators,
} from './emulators.ts';
import { type BatchReport, type RunningEventSource, startSqsEventSource } from './event-source.ts';
import { allowSupplementaryCharactersInFauxqs } from './fauxqs-fidelity.ts';
import { type HttpHandler, type RequestLogLine, startLocalApi } from './http-server.ts';
import type { HubInfo } from './hub-info.ts';
import { DEFAULT_MAX_ENVIRONMENTS, type LambdaFunction, startLambdaFunction } from './lambda-environments.ts';
import { httpOrigin } from './origin-guard.ts';
import { waitUntilDrained } from './queue-depth.ts';
import {
  HELPDESK_API_ROUTES,
  HUB_INFO_PATH,
  LOCAL_SES_EVENTS_PATH,
  type LocalRoute,
  providerRoutePath,
  routeKeyOf,
  WEBHOOK_ROUTES,
} from './routes.ts';
import { type RunningSchedule, startSchedule } from './schedule.ts';
import {
  type ProviderSimulatorOptions,
  type RunningProviderSimulators,
  startProviderSimulators,
} from './simulators/index.ts';
import { snsEventOf } from './sns-event.ts';
import { threadCpuMicros } from './thread-cpu.ts';

/** Starts the emulators; a start that fails releases the data directory it was given. */
const startEmulatorsOrUnlock = async (
  options: Parameters<typeof startEmulators>[0],
  unlock: () => void,
): Promise<RunningEmulators> => {
  try {
    return await startEmulators(options);
  } catch (error) {
    unlock();
    throw error;
  }
};

export const DEFAULT_PORT = 3000;
export const DEFAULT_DATA_DIR = '.switchboard-data';
/**
 * Batches in hand for an event source the CDK app sets no maximum concurrency for (the recorder's):
 * in AWS a FIFO event source then scales with the active message groups. Measured at full-speed
 * replay on two cores (2026-12-02, three runs each): 4 in hand, 131-199 events/s and 3.7-4.3 s to the
 * helpdesk at the median; 8, 196-218 events/s and 2.0-2.6 s; 16 was slower again (one run, 146).
 */
const LOCAL_BATCHES_IN_HAND = 8;

/** Under the data dir: fauxqs' SQLite file with the queues (and their messages) and the payload bucket. */
const FAUXQS_DATA_SUBDIR = 'sqs-s3';
/** Failed recorder batches come back after this many seconds locally (AWS: the queue's visibility timeout). */
export const LOCAL_RETRY_VISIBILITY_SECONDS = 5;

const FUNCTIONS_DIR = resolve(import.meta.dirname, '../../functions');

export interface LocalHubOptions {
  readonly port?: number;
  readonly host?: string;
  /** DynamoDB's files, and the queues' and bucket's SQLite file, go here (default `.switchboard-data`). */
  readonly dataDir?: string;
  /** Keep the table, the queues and the bucket in memory: nothing survives a restart. */
  readonly inMemory?: boolean;
  /** 0 = any free port. Fixed ports keep printed endpoints stable across restarts. */
  readonly dynamoPort?: number;
  readonly sqsPort?: number;
  /** Lambda's pollers use 20 s; tests may shorten it. */
  readonly pollWaitSeconds?: number;
  readonly retryVisibilitySeconds?: number;
  /** Where the hub reports what it does; silent when absent. */
  readonly log?: (line: string) => void;
  /**
   * The HTTP API's routes (default: the CDK app's, `WEBHOOK_ROUTES`). A `functionFile` is resolved
   * against functions/, so tests can route to a fixture by absolute path.
   */
  readonly routes?: readonly LocalRoute[];
  /** API Gateway gives up on an integration after 30 s; tests may shorten it. */
  readonly integrationTimeoutSeconds?: number;
  /** Execution environments one function may run at once (see lambda-environments.ts). */
  readonly maxEnvironmentsPerFunction?: number;
  /**
   * Count the AWS commands the functions send (into shared/local/aws-command-counter.ts, as if they
   * ran in this process): the benchmark's requests per message.
   * @default false
   */
  readonly countAwsCommands?: boolean;
  /**
   * Play the providers' sending APIs (Graph, Twilio, SES, Mailgun) on a local server, with their
   * status webhooks posted back to this hub; the sender talks to it. Off: the sender calls the URLs
   * in SWITCHBOARD_GRAPH_API_URL, SWITCHBOARD_TWILIO_API_URL… (the real providers by default).
   * @default true
   */
  readonly simulateProviders?: boolean;
  /** How long the simulated providers wait before each status webhook (see shared/local/simulators). */
  readonly providerStatusDelaysMs?: ProviderSimulatorOptions['statusDelaysMs'];
  /** Runtime settings for the functions beyond the hub's own (e.g. SWITCHBOARD_PROVIDER_TIMEOUT_MS in tests). */
  readonly functionSettings?: Readonly<Record<string, string>>;
  /**
   * Serve the helpdesk API (`/v1/…`) on the hub's port, behind a development bearer token.
   * @default true
   */
  readonly helpdeskApi?: boolean;
  /** The development bearer token (default: SWITCHBOARD_API_TOKEN, else a random one per start). */
  readonly apiToken?: string;
  /**
   * How often the attention sweeper runs (AWS: every minute), waking snoozes and reporting answers
   * overdue; `false`: never (it is not loaded). Response targets come from
   * SWITCHBOARD_RESPONSE_TARGET_SECONDS, in `functionSettings` or the environment.
   * @default ATTENTION_SWEEPER.localIntervalMs (5 s)
   */
  readonly attentionSweepIntervalMs?: number | false;
  /**
   * How often the spill drain runs (AWS: every minute), queueing the events a webhook kept when
   * the ingest queue refused them; `false`: never (it is not loaded).
   * @default INGEST_SPILL_DRAIN.localIntervalMs (5 s)
   */
  readonly spillDrainIntervalMs?: number | false;
  /**
   * Batches each queue's event source hands its function at once, for every queue; by default the
   * maximum concurrency the CDK app gives that event source (the outbox and media queues: 10), else
   * LOCAL_BATCHES_IN_HAND. FIFO order holds either way: a message group with a batch in hand gets no other.
   */
  readonly eventSourceConcurrency?: number;
  /** DynamoDB's emulator in a thread of its own (see emulators.ts); `false` only for the benchmark's baseline. */
  readonly dynamoInThread?: boolean;
  /**
   * The SDK clients of DynamoDB and SQS, the functions' and the hub's own, send a placeholder in
   * place of a signature, which the emulators never check (placeholder-signing.ts); `false` signs
   * every request as in AWS (the benchmark's baseline, and measurements of a function's own CPU).
   * @default true
   */
  readonly placeholderSigning?: boolean;
}

export interface LocalHub {
  readonly urls: {
    readonly base: string;
    readonly webhooks: Readonly<Record<string, string>>;
    readonly info: string;
    /** The provider simulators' base URL (with `simulateProviders`). */
    readonly providers?: string;
    /** The helpdesk API's base (`<base>/v1`), with `helpdeskApi`. */
    readonly api?: string;
    /** The local console (`<base>/`), with `helpdeskApi` on a loopback host. */
    readonly console?: string;
  };
  /** With `helpdeskApi`: send `Authorization: Bearer <apiToken>`. */
  readonly apiToken?: string;
  /** With `simulateProviders`: their request log and fault book. */
  readonly providers?: RunningProviderSimulators;
  readonly endpoints: LocalEndpoints;
  readonly resources: LocalResources;
  readonly region: string;
  readonly credentials: typeof LOCAL_CREDENTIALS;
  readonly dataDir: string | undefined;
  /** Functions that could not be loaded (their routes answer 500). */
  readonly missingFunctions: readonly string[];
  /** How often the attention sweeper runs here; absent when it does not. */
  readonly attentionSweepIntervalMs?: number;
  /** Waits until the recorder has emptied the ingest queue; false on timeout. */
  waitForRecorder(timeoutMs?: number): Promise<boolean>;
  /** Waits until the sender has emptied the outbox; false on timeout. */
  waitForSender(timeoutMs?: number): Promise<boolean>;
  /** Waits until the media fetcher has emptied the media queue; false on timeout. */
  waitForMedia(timeoutMs?: number): Promise<boolean>;
  /**
   * CPU microseconds each of the hub's threads has used since it started: `main` (the HTTP API,
   * fauxqs, the pollers, the simulators and whatever else runs on the caller's thread),
   * `dynamodb` (the emulator's own thread), and each function's environments' invocations as of
   * their last one, init phases left out (counted with `countAwsCommands` only). A thread Node
   * cannot measure is left out.
   */
  threadCpuMicros(): Promise<Readonly<Record<string, number>>>;
  stop(): Promise<void>;
}

/**
 * The SDK sends SQS calls to the host of the QueueUrl whenever it differs from the configured
 * endpoint (with a warning per call). Naming the queues' own origin, which `interceptLocalhostDns`
 * resolves to loopback in this process, keeps the handlers' clients quiet and on the emulator.
 */
const sqsEndpointForQueueUrls = (endpoints: LocalEndpoints, resources: LocalResources): string => {
  try {
    return new URL(resources.ingestQueueUrl).origin;
  } catch {
    return endpoints.sqs;
  }
};

/**
 * The runtime environment the CDK app gives the functions, pointed at the emulators. It has to be in
 * place before the handlers are imported: they read it when their modules load.
 */
const hubEnvironment = (
  endpoints: LocalEndpoints,
  resources: LocalResources,
  env: NodeJS.ProcessEnv = process.env,
): Record<string, string> => ({
  SWITCHBOARD_TABLE_NAME: resources.tableName,
  SWITCHBOARD_INGEST_QUEUE_URL: resources.ingestQueueUrl,
  SWITCHBOARD_HELPDESK_QUEUE_URL: resources.helpdeskQueueUrl,
  SWITCHBOARD_MEDIA_QUEUE_URL: resources.mediaQueueUrl,
  SWITCHBOARD_PAYLOAD_BUCKET: resources.bucketName,
  SWITCHBOARD_SECRET_ARN: 'local',
  // The fixed development key (shared/config/secrets.ts): a data directory's kept opt-outs stay found.
  SWITCHBOARD_PSEUDONYM_KEY_ARN: 'local',
  SWITCHBOARD_S3_FORCE_PATH_STYLE: 'true',
  SWITCHBOARD_LOG_LEVEL: env.SWITCHBOARD_LOG_LEVEL ?? 'info',
  // Metrics are CloudWatch's embedded format on stdout: nothing reads them locally.
  POWERTOOLS_METRICS_DISABLED: 'true',
  AWS_ENDPOINT_URL_SQS: sqsEndpointForQueueUrls(endpoints, resources),
  AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
  AWS_ENDPOINT_URL_S3: endpoints.s3,
  AWS_REGION: LOCAL_REGION,
  AWS_DEFAULT_REGION: LOCAL_REGION,
  AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
});

/** Variables that would mix a developer's real AWS identity into calls meant for the emulators. */
const REAL_AWS_VARIABLES = ['AWS_SESSION_TOKEN', 'AWS_PROFILE', 'AWS_ENDPOINT_URL'] as const;

const applyEnvironment = (values: Record<string, string>): (() => void) => {
  const previous = new Map<string, string | undefined>();
  for (const name of [...Object.keys(values), ...REAL_AWS_VARIABLES]) previous.set(name, process.env[name]);
  for (const name of REAL_AWS_VARIABLES) delete process.env[name];
  Object.assign(process.env, values);
  return () => {
    for (const [name, value] of previous) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
};

/** The functions keep clients, settings and secrets for the life of the process, as in Lambda. */
const forgetCachedRuntime = () => {
  resetAwsClients();
  resetWebhookDeps();
  resetRuntimeConfig();
  resetChannelSecrets();
  resetPseudonymKey();
};

const describeBatch = (name: string, done: string, report: BatchReport): string =>
  `${name}: batch of ${report.received} → ${report.succeeded} ${done}, ${report.failed} to retry` +
  (report.wholeBatchFailure ? ` (${report.wholeBatchFailure})` : '');

/** The SES configuration set the local sender names (the simulator sends events only for one). */
const LOCAL_SES_CONFIGURATION_SET = 'switchboard-local';

const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['127.0.0.1', 'localhost', '::1']);

const describeRequest = (line: RequestLogLine): string =>
  `${line.method} ${line.path} → ${line.status} (${line.durationMs} ms)`;

/**
 * Runs all of Switchboard on one machine: DynamoDB and SQS/S3 emulators, the real webhook handlers
 * behind a local HTTP API, the real recorder and sender behind local SQS event sources, and the
 * attention sweeper on a timer.
 */
export const startLocalHub = async (options: LocalHubOptions = {}): Promise<LocalHub> => {
  const log = options.log ?? (() => undefined);
  // Read before the hub's own environment sets a default.
  const askedLogLevel = process.env.SWITCHBOARD_LOG_LEVEL ?? options.functionSettings?.SWITCHBOARD_LOG_LEVEL;
  const webhookRoutes = options.routes ?? WEBHOOK_ROUTES;
  const apiToken =
    options.helpdeskApi === false
      ? undefined
      : (options.apiToken ??
        process.env.SWITCHBOARD_API_TOKEN ??
        `sbdev_${randomBytes(24).toString('base64url')}`);
  // The functions' runtime config refuses a shorter one (and would refuse to load at all).
  if (apiToken !== undefined && apiToken.length < 16)
    throw new Error('the development API token (SWITCHBOARD_API_TOKEN) must be at least 16 characters');
  const routes = apiToken ? [...webhookRoutes, ...HELPDESK_API_ROUTES] : webhookRoutes;
  const host = options.host ?? '127.0.0.1';
  const dataDir = options.inMemory ? undefined : resolve(options.dataDir ?? DEFAULT_DATA_DIR);
  // Before anything of the directory is opened: another running hub's files are refused whole.
  const unlock = dataDir ? lockDataDir(dataDir) : () => {};
  const dynamoDataDir = dataDir ? join(dataDir, 'dynamodb') : undefined;
  if (dynamoDataDir) mkdirSync(dynamoDataDir, { recursive: true });
  const sqsDataDir = dataDir ? join(dataDir, FAUXQS_DATA_SUBDIR) : undefined;

  if (!(await allowSupplementaryCharactersInFauxqs())) {
    log(
      'warning: could not widen fauxqs character check; messages with emoji will be refused by the local SQS',
    );
  }
  // The console shows the helpdesk API to whoever can reach the port: only on loopback.
  const serveConsole = apiToken !== undefined && LOOPBACK_HOSTS.has(host);
  // What the hub publishes for helpdesks, seen as the emulator accepts it (the queue is not read).
  const tap = serveConsole ? createEventTap() : undefined;
  const placeholderSigning = options.placeholderSigning ?? true;
  const emulators = await startEmulatorsOrUnlock(
    {
      placeholderSigning,
      ...(dynamoDataDir ? { dynamoDataDir } : {}),
      ...(sqsDataDir ? { sqsDataDir } : {}),
      dynamoPort: options.dynamoPort ?? 0,
      sqsPort: options.sqsPort ?? 0,
      ...(tap
        ? {
            onMessagesSent: (messages) =>
              tap.record(
                messages
                  .filter((message) => message.queueName === HELPDESK_QUEUE.name)
                  .map((message) => message.body),
              ),
          }
        : {}),
      ...(options.dynamoInThread === false ? { dynamoInThread: false } : {}),
    },
    unlock,
  );
  // fauxqs names queues `sqs.<region>.localhost`; the SDK follows a queue URL's host, so make it loopback here.
  const restoreDns = interceptLocalhostDns();
  const restoreEnv = applyEnvironment(hubEnvironment(emulators.endpoints, emulators.resources));
  // A hub started earlier in this process left clients and parsed settings for other endpoints.
  forgetCachedRuntime();

  // What the SMS webhook reads below (the functions' settings over this process's environment): the
  // base it checks Twilio signatures over behind a tunnel, so the simulator and the tools sign over it.
  const publicBaseUrl =
    (options.functionSettings?.SWITCHBOARD_PUBLIC_BASE_URL ?? process.env.SWITCHBOARD_PUBLIC_BASE_URL) ||
    undefined;
  const handlers = new Map<string, HttpHandler>();
  const extraPosts: Record<string, (body: Buffer) => Promise<number>> = {};
  // Known once the simulators listen (after the API: they post to it).
  let providerUrls: HubInfo['providers'];
  const info = (): HubInfo => ({
    service: 'switchboard-local-hub',
    region: LOCAL_REGION,
    credentials: { ...LOCAL_CREDENTIALS },
    endpoints: emulators.endpoints,
    resources: emulators.resources,
    ...(providerUrls ? { providers: providerUrls } : {}),
    ...(publicBaseUrl ? { publicBaseUrl } : {}),
  });
  let listeningPort = 0;
  // Known once the API listens (they post to it); the console's fault switches ask for them.
  let providers: RunningProviderSimulators | undefined;
  const sends = createSendStore({
    client: emulators.clients.dynamodb,
    tableName: emulators.resources.tableName,
    now: () => new Date(),
  });
  // The HTTP API listens before the functions are loaded: until then what needs them answers 503.
  let ready = false;
  const starting = () => !ready;
  const streams =
    tap && apiToken ? consoleStreams({ apiToken, port: () => listeningPort, tap, starting }) : undefined;
  const local =
    tap && apiToken
      ? consoleHandler({
          apiToken,
          hubBaseUrl: () => httpOrigin(host, listeningPort),
          port: () => listeningPort,
          mediaOrigin: emulators.endpoints.s3,
          readSend: (hubMessageId) => sends.get(hubMessageId),
          postCustomerMessage: (message) =>
            postCustomerMessage(
              httpOrigin(host, listeningPort),
              message,
              providers ? { twilio: providers.urls.twilio, baseUrl: providers.baseUrl } : undefined,
            ),
          hood: {
            sqs: emulators.clients.sqs,
            sqsEndpoint: emulators.endpoints.sqs,
            resources: emulators.resources,
            providers: () => providers,
          },
          tap,
          starting,
        })
      : undefined;
  // The API listens first: the provider simulators post to it, and the sender tells Twilio its URL.
  // Requests before the functions are up answer 503 with Retry-After (hub-unavailable.ts), which a
  // client retries: a console tab left open across a restart, a provider redelivering a webhook.
  const api = await startLocalApi({
    host,
    port: options.port ?? DEFAULT_PORT,
    routes,
    starting,
    handlerFor: (route: LocalRoute) => handlers.get(route.functionFile),
    ...(options.integrationTimeoutSeconds
      ? { integrationTimeoutSeconds: options.integrationTimeoutSeconds }
      : {}),
    extraJson: { [HUB_INFO_PATH]: info },
    extraPosts,
    ...(local ? { local } : {}),
    ...(streams ? { stream: streams.handle } : {}),
    onRequest: (line) => {
      if (!line.quiet) log(describeRequest(line));
    },
    onHandlerError: (route, error) =>
      log(`${routeKeyOf(route)}: handler threw ${error instanceof Error ? error.name : 'a non-Error'} → 500`),
  }).catch(async (error: unknown) => {
    await emulators.stop();
    restoreEnv();
    restoreDns();
    forgetCachedRuntime();
    unlock();
    throw error;
  });
  const base = httpOrigin(host, api.port);
  listeningPort = api.port;

  providers =
    options.simulateProviders === false
      ? undefined
      : await startProviderSimulators({
          hubBaseUrl: base,
          ...(publicBaseUrl ? { hubPublicBaseUrl: publicBaseUrl } : {}),
          secrets: localSecretsFromEnv(),
          ...(options.providerStatusDelaysMs ? { statusDelaysMs: options.providerStatusDelaysMs } : {}),
          log: (line) => log(`providers: ${line}`),
        });
  if (providers) providerUrls = { twilio: providers.urls.twilio, graph: providers.urls.graph };

  // Each function runs in environments of its own (worker threads) that see exactly this environment.
  const functionEnvironment: Record<string, string> = {
    ...Object.fromEntries(
      Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined),
    ),
    SWITCHBOARD_INGEST_DLQ_URL: emulators.resources.ingestDlqUrl,
    SWITCHBOARD_OUTBOX_DLQ_URL: emulators.resources.outboxDlqUrl,
    SWITCHBOARD_OUTBOX_QUEUE_URL: emulators.resources.outboxQueueUrl,
    ...(apiToken ? { SWITCHBOARD_API_DEV_TOKEN: apiToken } : {}),
    // Twilio signs the URL it calls; locally that is this hub's SMS webhook.
    SWITCHBOARD_TWILIO_STATUS_CALLBACK_URL: `${base}${providerRoutePath('sms')}`,
    SWITCHBOARD_SES_CONFIGURATION_SET: LOCAL_SES_CONFIGURATION_SET,
    // The sender's environments here share each endpoint's provider rate, as the Lambda's do.
    SWITCHBOARD_SENDER_CONCURRENCY: String(options.maxEnvironmentsPerFunction ?? DEFAULT_MAX_ENVIRONMENTS),
    ...(providers
      ? {
          SWITCHBOARD_GRAPH_API_URL: providers.urls.graph,
          SWITCHBOARD_TWILIO_API_URL: providers.urls.twilio,
          SWITCHBOARD_MAILGUN_API_URL: providers.urls.mailgun,
          AWS_ENDPOINT_URL_SESV2: providers.urls.sesV2,
        }
      : {}),
    ...options.functionSettings,
  };
  // The console reads the helpdesk API every second: its info line per request would flood the
  // terminal, so the API logs warnings and errors only, unless a log level was asked for.
  const quietApiEnvironment =
    serveConsole && askedLogLevel === undefined
      ? { ...functionEnvironment, SWITCHBOARD_LOG_LEVEL: 'warn' }
      : functionEnvironment;
  const missingFunctions: string[] = [];
  const startFunction = async (functionFile: string): Promise<LambdaFunction | undefined> => {
    const functionName = functionFile.replace(/^.*\//, '').replace(/\.ts$/, '');
    const started = await startLambdaFunction({
      functionName,
      functionFile: resolve(FUNCTIONS_DIR, functionFile),
      environment: functionFile === 'helpdesk-api.ts' ? quietApiEnvironment : functionEnvironment,
      ...(options.maxEnvironmentsPerFunction ? { maxEnvironments: options.maxEnvironmentsPerFunction } : {}),
      ...(options.countAwsCommands ? { onAwsCounts: addAwsCommandCounts } : {}),
      placeholderSigning,
      onEnvironmentExit: (errorName) => log(`${functionName}: an execution environment ended (${errorName})`),
      onEnvironmentStart: (running) =>
        log(
          `${functionName}: the others were computing, started another execution environment (${running} now)`,
        ),
    });
    if (started.ok) return started.fn;
    missingFunctions.push(functionFile);
    log(
      `warning: ${functionFile} not loaded (${started.reason}); ${
        functionFile === 'recorder.ts'
          ? 'events stay on the ingest queue'
          : functionFile === 'sender.ts'
            ? 'commands stay on the outbox'
            : functionFile === 'attention-sweeper.ts'
              ? 'snoozes do not wake and no response_overdue is reported'
              : functionFile === 'ingest-spill-drain.ts'
                ? 'events a webhook spilled stay in the payload bucket'
                : functionFile === 'media-fetcher.ts'
                  ? 'attachments stay on the media queue'
                  : 'its routes answer 500'
      }`,
    );
    return undefined;
  };
  // Init phases in parallel, as Lambda prepares functions independently.
  const webhookFiles = [...new Set(routes.map((route) => route.functionFile))];
  const sweepIntervalMs = options.attentionSweepIntervalMs ?? ATTENTION_SWEEPER.localIntervalMs;
  const drainIntervalMs = options.spillDrainIntervalMs ?? INGEST_SPILL_DRAIN.localIntervalMs;
  const [
    recorderFunction,
    senderFunction,
    sesEventsFunction,
    mediaFunction,
    sweeperFunction,
    drainFunction,
    ...webhookFunctions
  ] = await Promise.all([
    ...['recorder.ts', 'sender.ts', 'email-ses-events.ts', 'media-fetcher.ts'].map((functionFile) =>
      startFunction(functionFile),
    ),
    sweepIntervalMs === false ? undefined : startFunction('attention-sweeper.ts'),
    drainIntervalMs === false ? undefined : startFunction('ingest-spill-drain.ts'),
    ...webhookFiles.map((functionFile) => startFunction(functionFile)),
  ]);
  const functions = [
    recorderFunction,
    senderFunction,
    sesEventsFunction,
    mediaFunction,
    sweeperFunction,
    drainFunction,
    ...webhookFunctions,
  ].filter((fn): fn is LambdaFunction => fn !== undefined);
  for (const [index, functionFile] of webhookFiles.entries()) {
    const fn = webhookFunctions[index];
    if (fn) handlers.set(functionFile, (event, context) => fn.invoke(event, context));
  }
  if (sesEventsFunction) {
    // SES → SNS → Lambda in AWS; here the simulator posts the SNS message and this invokes the function.
    extraPosts[LOCAL_SES_EVENTS_PATH] = async (body) => {
      await sesEventsFunction.invoke(snsEventOf(body.toString('utf8')), {
        awsRequestId: `local-${Date.now()}`,
        getRemainingTimeInMillis: () => 30_000,
      });
      return 200;
    };
  }

  const startConsumer = async (
    fn: LambdaFunction | undefined,
    queueUrl: string,
    name: string,
    done: string,
    settings: {
      readonly batchSize: number;
      readonly timeoutSeconds: number;
      readonly maxConcurrency?: number;
    },
    /** The function sets its failed records' visibility itself (a backoff): that is kept, as in SQS. */
    honoursHandlerVisibility = false,
  ): Promise<RunningEventSource | undefined> => {
    if (!fn) return undefined;
    // A hub that was killed mid-batch left those messages in flight; its poller is gone for sure.
    const released = await emulators.releaseInFlight(queueUrl);
    if (released > 0)
      log(`${name}: ${released} message(s) in hand when the hub last stopped are queued again`);
    return startSqsEventSource({
      sqs: emulators.queues,
      queueUrl,
      handler: (event, context) => fn.invoke(event, context),
      functionName: name,
      region: LOCAL_REGION,
      batchSize: settings.batchSize,
      // As many batches in hand as the CDK app lets the event source run at once by default.
      concurrency: options.eventSourceConcurrency ?? settings.maxConcurrency ?? LOCAL_BATCHES_IN_HAND,
      waitTimeSeconds: options.pollWaitSeconds ?? 20,
      timeoutSeconds: settings.timeoutSeconds,
      retryVisibilitySeconds: options.retryVisibilitySeconds ?? LOCAL_RETRY_VISIBILITY_SECONDS,
      ...(honoursHandlerVisibility
        ? { inFlightDeadlines: (handles) => emulators.inFlightDeadlines(queueUrl, handles) }
        : {}),
      onBatch: (report) => log(describeBatch(name, done, report)),
      onError: (error) => log(`${name}: ${error instanceof Error ? error.name : 'error'} (batch retried)`),
    });
  };
  const eventSource = await startConsumer(
    recorderFunction,
    emulators.resources.ingestQueueUrl,
    'recorder',
    'recorded',
    RECORDER,
  );
  const outboxSource = await startConsumer(
    senderFunction,
    emulators.resources.outboxQueueUrl,
    'sender',
    'handled',
    SENDER,
    // A throttled command comes back when its backoff ends (shared/outbound/send-command.ts).
    true,
  );
  const mediaSource = await startConsumer(
    mediaFunction,
    emulators.resources.mediaQueueUrl,
    'media-fetcher',
    'fetched',
    MEDIA_FETCHER,
  );

  // EventBridge's schedule rules in AWS; here timers, one run of each at a time.
  const scheduled = (
    fn: LambdaFunction | undefined,
    intervalMs: number | false,
    rule: {
      readonly name: string;
      readonly label: string;
      readonly timeoutSeconds: number;
      readonly run: string;
    },
  ): RunningSchedule | undefined =>
    fn && intervalMs !== false
      ? startSchedule({
          ruleName: rule.name,
          intervalMs,
          timeoutSeconds: rule.timeoutSeconds,
          invoke: (event, context) => fn.invoke(event, context),
          onError: (error) =>
            log(
              `${rule.label}: ${error instanceof Error ? error.name : 'error'} (the next ${rule.run} retries)`,
            ),
        })
      : undefined;
  const sweeps = scheduled(sweeperFunction, sweepIntervalMs, {
    name: 'attention-sweep',
    label: 'attention-sweeper',
    timeoutSeconds: ATTENTION_SWEEPER.timeoutSeconds,
    run: 'sweep',
  });
  const drains = scheduled(drainFunction, drainIntervalMs, {
    name: 'ingest-spill-drain',
    label: 'ingest-spill-drain',
    timeoutSeconds: INGEST_SPILL_DRAIN.timeoutSeconds,
    run: 'run',
  });

  const release = async () => {
    await drains?.stop();
    await sweeps?.stop();
    await mediaSource?.stop();
    await outboxSource?.stop();
    await eventSource?.stop();
    await Promise.all(functions.map((fn) => fn.close()));
    await providers?.stop();
    await emulators.stop();
    restoreEnv();
    restoreDns();
    forgetCachedRuntime();
    unlock();
  };

  const webhooks = Object.fromEntries(
    webhookRoutes.map((route) => [routeKeyOf(route), `${base}${route.path}`]),
  );
  const waitForRecorder = (timeoutMs = 15_000) =>
    eventSource
      ? waitUntilDrained(
          emulators.clients.sqs,
          emulators.resources.ingestQueueUrl,
          eventSource.isIdle,
          timeoutMs,
        )
      : Promise.resolve(false);
  const waitForSender = (timeoutMs = 15_000) =>
    outboxSource
      ? waitUntilDrained(
          emulators.clients.sqs,
          emulators.resources.outboxQueueUrl,
          outboxSource.isIdle,
          timeoutMs,
        )
      : Promise.resolve(false);

  const waitForMedia = (timeoutMs = 15_000) =>
    mediaSource
      ? waitUntilDrained(
          emulators.clients.sqs,
          emulators.resources.mediaQueueUrl,
          mediaSource.isIdle,
          timeoutMs,
        )
      : Promise.resolve(false);

  // Everything runs: the routes, the console's endpoints and its stream serve from now on.
  ready = true;
  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      streams?.close();
      await api.close();
      // Give the recorder a moment to record what the webhooks already accepted.
      if (eventSource && !(await waitForRecorder(10_000))) {
        log(
          sqsDataDir
            ? `recorder: ingest queue not empty at shutdown; those events stay queued in ${sqsDataDir} and are recorded on the next start`
            : 'recorder: ingest queue not empty at shutdown; those events are lost with the in-memory queue (--in-memory)',
        );
      }
      await release();
    })();
    return stopped;
  };

  return {
    urls: {
      base,
      webhooks,
      info: `${base}${HUB_INFO_PATH}`,
      ...(providers ? { providers: providers.baseUrl } : {}),
      ...(apiToken ? { api: `${base}/v1` } : {}),
      ...(local ? { console: `${base}/` } : {}),
    },
    ...(apiToken ? { apiToken } : {}),
    ...(providers ? { providers } : {}),
    endpoints: emulators.endpoints,
    resources: emulators.resources,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    dataDir,
    missingFunctions,
    ...(sweeps && sweepIntervalMs !== false ? { attentionSweepIntervalMs: sweepIntervalMs } : {}),
    waitForRecorder,
    waitForSender,
    waitForMedia,
    threadCpuMicros: async () => {
      const measured: Record<string, number | undefined> = {
        main: threadCpuMicros(),
        dynamodb: await emulators.dynamoCpuMicros(),
        ...Object.fromEntries(
          options.countAwsCommands
            ? functions.map((fn) => [fn.functionName, fn.stats().threadCpuMicros])
            : [],
        ),
      };
      return Object.fromEntries(
        Object.entries(measured).filter((entry): entry is [string, number] => entry[1] !== undefined),
      );
    },
    stop,
  };
};
