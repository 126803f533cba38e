import { parseArgs } from 'node:util';
import { LOCAL_DEV_SECRETS } from '#shared/config/secrets.ts';
import { isAnswered, parseOrAnswer } from '#shared/local/cli-args.ts';
import { type CliOutput, isEntryPoint, terminalOutput } from '#shared/local/cli-output.ts';
import {
  DEFAULT_DATA_DIR,
  DEFAULT_PORT,
  LOCAL_RETRY_VISIBILITY_SECONDS,
  type LocalHub,
  startLocalHub,
} from '#shared/local/hub.ts';
import { stopSignalAction } from '#shared/local/stop-signal.ts';
import { demoSucceeded, runDemo } from './demo.ts';

/**
 * `npm start [-- --port N --data-dir D --in-memory --demo [--exit]]`
 *
 * Runs all of Switchboard on this machine and prints what a developer needs: webhook URLs, the
 * emulators' endpoints and credentials, the queues, and the local development secrets.
 */

const USAGE = `Usage: npm start -- [--port N] [--data-dir DIR] [--in-memory] [--demo [--exit]]
                   [--sqs-port N] [--dynamodb-port N]

  --port N           HTTP port of the webhooks (default $PORT or ${DEFAULT_PORT})
  --data-dir DIR     where conversations, queued events and payloads are kept
                     (default $SWITCHBOARD_DATA_DIR or ${DEFAULT_DATA_DIR})
  --in-memory        keep nothing on disk
  --sqs-port N       SQS/S3 emulator port (default: webhook port + 1)
  --dynamodb-port N  DynamoDB emulator port (default: webhook port + 2)
  --demo             replay every sample in events/ and print the conversations
  --exit             with --demo: stop the hub once the demo has run`;

const portValue = (value: string | undefined, name: string, fallback: number): number => {
  if (value === undefined || value === '') return fallback;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`${name} must be a port number`);
  return port;
};

/** Shows the documented default, or only the variable's name when it was overridden: real secrets stay off screen. */
const secretLine = (label: string, variable: string, fallback: string): string =>
  process.env[variable]
    ? `  ${label.padEnd(22)} (from ${variable}, not shown)`
    : `  ${label.padEnd(22)} ${fallback.padEnd(28)} override: ${variable}`;

export const describeHub = (hub: LocalHub): string[] => [
  'Switchboard local hub is running. Ctrl-C stops it.',
  '',
  ...(hub.urls.console
    ? [`Console: open ${hub.urls.console} in a browser: conversations live, reply, act as the customer.`, '']
    : []),
  'Webhooks (point providers here, e.g. through a tunnel that forwards /webhooks/ only; set SWITCHBOARD_PUBLIC_BASE_URL to its https URL):',
  ...Object.entries(hub.urls.webhooks).map(
    ([routeKey, url]) => `  ${routeKey.split(' ')[0]?.padEnd(5)} ${url}`,
  ),
  '',
  `AWS emulators (region ${hub.region}, access key id "${hub.credentials.accessKeyId}", secret "${hub.credentials.secretAccessKey}"):`,
  `  DynamoDB        ${hub.endpoints.dynamodb}   table ${hub.resources.tableName}`,
  `  SQS and S3      ${hub.endpoints.sqs}   bucket ${hub.resources.bucketName}`,
  `  helpdesk queue  ${hub.resources.helpdeskQueueUrl}`,
  `  helpdesk DLQ    ${hub.resources.helpdeskDlqUrl}`,
  `  ingest queue    ${hub.resources.ingestQueueUrl}`,
  `  ingest DLQ      ${hub.resources.ingestDlqUrl}`,
  `  outbox queue    ${hub.resources.outboxQueueUrl}`,
  `  outbox DLQ      ${hub.resources.outboxDlqUrl}`,
  `  media queue     ${hub.resources.mediaQueueUrl}`,
  `  media DLQ       ${hub.resources.mediaDlqUrl}`,
  '  Give SDK clients the endpoint explicitly (new SQSClient({ endpoint, region, credentials })): the queue',
  '  URLs name sqs.<region>.localhost, which the SDK would otherwise try to resolve.',
  `  Read the helpdesk stream: npm run consume -- --hub ${hub.urls.base}`,
  `  Answer a conversation:    npm run send -- <conversationId> "text" --hub ${hub.urls.base}`,
  '',
  ...(hub.urls.api && hub.apiToken
    ? [
        `Helpdesk API: ${hub.urls.api}`,
        `  development bearer token: ${hub.apiToken}   (fixed one: SWITCHBOARD_API_TOKEN)`,
        `  curl -H 'Authorization: Bearer ${hub.apiToken}' '${hub.urls.api}/conversations?waiting=true'`,
        '',
      ]
    : []),
  ...(hub.urls.providers
    ? [
        `Provider simulators (the sender's Graph, Twilio, SES and Mailgun; statuses come back to the webhooks): ${hub.urls.providers}`,
        `  their requests: GET ${hub.urls.providers}/_local/providers/requests   faults: POST ${hub.urls.providers}/_local/providers/faults`,
        '',
      ]
    : []),
  hub.dataDir
    ? `Data: conversations (DynamoDB), queued events (SQS) and payloads (S3) persist in ${hub.dataDir}: what a webhook acknowledged survives a restart or a crash.`
    : 'Data: in memory (--in-memory): nothing survives a restart.',
  `Retries: messages the recorder fails come back after ${LOCAL_RETRY_VISIBILITY_SECONDS} s here (in AWS, after the queue's visibility timeout).`,
  hub.attentionSweepIntervalMs === undefined
    ? 'Attention sweeper: not running (snoozes do not wake, no response_overdue).'
    : `Attention sweeper: every ${hub.attentionSweepIntervalMs / 1000} s here (every minute in AWS): snoozes wake, customers waiting past their channel's target (SWITCHBOARD_RESPONSE_TARGET_SECONDS) get one response_overdue per wait.`,
  '',
  'Local development secrets (public defaults, never valid in production):',
  secretLine('Meta verify token', 'SWITCHBOARD_META_VERIFY_TOKEN', LOCAL_DEV_SECRETS.meta.verifyToken),
  secretLine('Meta app secret', 'SWITCHBOARD_META_APP_SECRET', LOCAL_DEV_SECRETS.meta.appSecret),
  secretLine('Twilio auth token', 'SWITCHBOARD_TWILIO_AUTH_TOKEN', LOCAL_DEV_SECRETS.twilio.authToken),
  secretLine('Mailgun signing key', 'SWITCHBOARD_MAILGUN_SIGNING_KEY', LOCAL_DEV_SECRETS.mailgun.signingKey),
  ...(hub.missingFunctions.length > 0
    ? [
        '',
        `Not loaded (their routes answer 500): ${hub.missingFunctions.map((file) => `functions/${file}`).join(', ')}`,
      ]
    : []),
  '',
];

/**
 * What to do when the hub cannot start because a port is taken: the likeliest cause is another
 * `npm start` (the hub, its SQS and DynamoDB emulators take PORT, PORT+1 and PORT+2). Undefined for
 * any other failure, which is reported as it is. Before 2026-12-05 the emulator's bare
 * "listen EADDRINUSE" was all it said (found by a review).
 */
export const startFailureHint = (error: unknown, port: number): string | undefined => {
  const text =
    error instanceof Error ? `${error.message} ${String((error as { code?: unknown }).code ?? '')}` : '';
  if (!text.includes('EADDRINUSE')) return undefined;
  return `a port the hub needs is taken (${text.match(/[\d.]+:\d+/)?.[0] ?? `${port}, ${port + 1} or ${port + 2}`}): is another npm start running? Stop it, or start this one with --port N (it takes N, N+1 and N+2).`;
};

export const main = async (
  argv: readonly string[],
  output: CliOutput = terminalOutput(),
): Promise<number> => {
  const args = parseOrAnswer(
    () =>
      parseArgs({
        args: [...argv],
        options: {
          port: { type: 'string' },
          'data-dir': { type: 'string' },
          'in-memory': { type: 'boolean', default: false },
          'sqs-port': { type: 'string' },
          'dynamodb-port': { type: 'string' },
          demo: { type: 'boolean', default: false },
          exit: { type: 'boolean', default: false },
          help: { type: 'boolean', short: 'h', default: false },
        },
      }),
    USAGE,
    output,
  );
  if (isAnswered(args)) return args.exitCode;
  const { values } = args;
  // --exit stops the hub after the demo: alone it would be silently ignored, the hub left running.
  if (values.exit && !values.demo) {
    output.line('--exit goes with --demo (npm start -- --demo --exit)');
    output.line(USAGE);
    return 2;
  }
  const port = portValue(values.port ?? process.env.PORT, 'port', DEFAULT_PORT);
  let hub: Awaited<ReturnType<typeof startLocalHub>>;
  try {
    hub = await startLocalHub({
      port,
      host: '127.0.0.1',
      dataDir: values['data-dir'] ?? process.env.SWITCHBOARD_DATA_DIR ?? DEFAULT_DATA_DIR,
      inMemory: values['in-memory'],
      sqsPort: portValue(values['sqs-port'], 'sqs-port', port === 0 ? 0 : port + 1),
      dynamoPort: portValue(values['dynamodb-port'], 'dynamodb-port', port === 0 ? 0 : port + 2),
      log: (line) => output.line(`[hub] ${line}`),
    });
  } catch (error) {
    const hint = startFailureHint(error, port);
    if (hint === undefined) throw error;
    output.line(hint);
    return 1;
  }
  for (const line of describeHub(hub)) output.line(line);

  // One Ctrl-C arrives more than once (the terminal's, then tsx's relay): see stopSignalAction.
  let firstSignalAt: number | undefined;
  const shutdown = (signal: string) => {
    const now = Date.now();
    const action = stopSignalAction(firstSignalAt, now);
    if (action === 'same-request') return;
    if (action === 'exit-now') {
      output.line('second signal: exiting now');
      process.exit(130);
    }
    firstSignalAt = now;
    output.line(`${signal}: stopping (no new requests, recorder drains, emulators close)…`);
    hub.stop().then(
      () => {
        output.line('stopped');
        process.exit(0);
      },
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));

  if (values.demo) {
    // With --exit the hub stops right after: the demo then prints no link into it.
    const summary = await runDemo(hub, output, { hubStaysUp: !values.exit });
    if (values.exit) {
      await hub.stop();
      if (demoSucceeded(summary)) return 0;
      output.line(
        'demo: not every sample was accepted or not every reply reached its furthest status (above)',
      );
      return 1;
    }
    output.line('');
    output.line('demo done; the hub keeps running. Ctrl-C stops it.');
  }
  return 0;
};

if (isEntryPoint(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => {
      if (code !== 0 || process.argv.includes('--exit')) process.exit(code);
    },
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(2);
    },
  );
}
