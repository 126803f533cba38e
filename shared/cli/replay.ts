import { parseArgs } from 'node:util';
import { localSecretsFromEnv } from '#shared/config/secrets.ts';
import { isAnswered, parseOrAnswer } from '#shared/local/cli-args.ts';
import { type CliOutput, isEntryPoint, terminalOutput } from '#shared/local/cli-output.ts';
import { renderTable } from '#shared/local/describe.ts';
import { fetchHubInfo } from '#shared/local/hub-info.ts';
import { type ReplayResult, replaySamples } from '#shared/local/replay-kit.ts';
import {
  collectSamples,
  DEFAULT_EVENTS_DIR,
  type Sample,
  type SampleChannel,
} from '#shared/local/samples.ts';

/**
 * `npm run replay -- <file|folder ...> [--target URL | --hub URL] [--repeat N] [--concurrency N] [--tamper]`
 *
 * Posts sample payloads to a hub exactly as the providers would: Meta bodies signed with the app
 * secret, Twilio parameters form-encoded and signed over the target URL (a local hub's public URL
 * instead when a tunnel exposes it: the one its webhook checks), e-mails as Mailgun
 * `body-mime` posts with a fresh token. Secrets come from the same SWITCHBOARD_* variables as the hub.
 */

const DEFAULT_TARGET = 'http://127.0.0.1:3000';

/**
 * The variables that bring a deployment's signing secrets, by the channels whose samples they sign.
 * A deployed hub never holds the public development defaults the kit falls back to, so a replay to
 * one without them would be refused request by request (403): it is refused before any is sent.
 */
const DEPLOYED_SIGNING_SECRETS: readonly {
  readonly channels: readonly SampleChannel[];
  /** Any one of them set is enough (Twilio's further accounts bring their own tokens). */
  readonly variables: readonly string[];
  readonly what: string;
}[] = [
  {
    channels: ['messenger', 'whatsapp'],
    variables: ['SWITCHBOARD_META_APP_SECRET'],
    what: "the Meta app secret (appSecret of the deployment's meta channel secret)",
  },
  {
    channels: ['sms'],
    variables: ['SWITCHBOARD_TWILIO_AUTH_TOKEN', 'SWITCHBOARD_TWILIO_ACCOUNTS'],
    what: "the Twilio auth token (authToken of the deployment's twilio channel secret)",
  },
  {
    channels: ['email'],
    variables: ['SWITCHBOARD_MAILGUN_SIGNING_KEY'],
    what: "the Mailgun webhook signing key (signingKey of the deployment's mailgun channel secret)",
  },
];

/** Whether anything answers HTTP at the base URL (any status). */
const answers = async (baseUrl: string): Promise<boolean> => {
  try {
    const response = await fetch(new URL('/', baseUrl), {
      method: 'HEAD',
      signal: AbortSignal.timeout(3000),
    });
    await response.body?.cancel();
    return true;
  } catch {
    return false;
  }
};

/** Whether the URL names this machine (where `npm start` runs a hub), not a deployment. */
const isLoopback = (baseUrl: string): boolean => {
  if (!URL.canParse(baseUrl)) return false;
  const host = new URL(baseUrl).hostname;
  return host === 'localhost' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
};

/** The secrets a replay of these samples to a deployed hub lacks (their variables unset). */
export const missingDeployedSecrets = (
  samples: readonly Pick<Sample, 'channel'>[],
  env: NodeJS.ProcessEnv = process.env,
): typeof DEPLOYED_SIGNING_SECRETS =>
  DEPLOYED_SIGNING_SECRETS.filter(
    (secret) =>
      samples.some((sample) => secret.channels.includes(sample.channel)) &&
      secret.variables.every((variable) => env[variable] === undefined),
  );

const USAGE = `Usage: npm run replay -- [file|folder ...] [--target URL | --hub URL] [--repeat N] [--concurrency N] [--tamper]

  file|folder     samples under events/<channel>/ (default: all of events/)
  --target URL    hub base URL (default ${DEFAULT_TARGET})
  --hub URL       the same (the name send, consume and erase use)
  --repeat N      send every sample N times (duplicates must not double anything)
  --concurrency N requests in flight at once (default 4)
  --tamper        sign with a wrong key: every request must be refused with 401 or 403 (exit 1 otherwise,
                  network errors and other statuses included)`;

const positiveInteger = (value: string | undefined, name: string, fallback: number): number => {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new Error(`--${name} must be a positive integer`);
  return parsed;
};

/** The run's summary, then (against a local hub) the events it left on the helpdesk queue. */
export const printResult = (result: ReplayResult, output: CliOutput, tamper: boolean) => {
  output.line('');
  output.line(`sent ${result.sent}, accepted ${result.accepted}, rejected ${result.rejected}`);
  for (const [reason, count] of [...result.rejections].sort((a, b) => b[1] - a[1])) {
    output.line(`  ${String(count).padStart(5)} × ${reason}`);
  }
  if (tamper && result.accepted > 0) output.line('warning: tampered requests were accepted');
  const notRefused = result.sent - result.accepted - result.refusedAsUnauthorized;
  if (tamper && notRefused > 0) {
    output.line(
      `warning: ${notRefused} tampered request(s) got neither 401 nor 403 (network errors or other statuses): nothing shows the signature check refused them`,
    );
  }
  if (!result.hub) {
    output.line('(target is not a local hub: helpdesk queue not inspected)');
    return;
  }
  if (!result.recorderSettled) output.line('note: the recorder had not emptied the ingest queue in time');
  output.line('');
  if (result.helpdeskEvents.length === 0) {
    output.line('no new events on the helpdesk queue');
  } else {
    output.line(
      `${result.helpdeskEvents.length} new event(s) on the helpdesk queue (peeked, still there for consumers):`,
    );
    output.line(
      renderTable(
        ['type', 'id', 'subject', 'detail'],
        result.helpdeskEvents.map((event) => [
          event.type.replace(/^switchboard\./, ''),
          event.id,
          event.subject,
          event.detail,
        ]),
      ),
    );
  }
  if (result.invalidHelpdeskMessages > 0) {
    output.line(`warning: ${result.invalidHelpdeskMessages} helpdesk message(s) are not valid events`);
  }
};

/**
 * The exit code of a run: 0 when every request was accepted, or, with --tamper, when every one was
 * refused with 401 or 403 (a network error or any other status shows nothing about the signature check).
 */
export const replayExitCode = (
  result: Pick<ReplayResult, 'sent' | 'accepted' | 'rejected' | 'refusedAsUnauthorized'>,
  tamper: boolean,
): 0 | 1 => {
  if (tamper) return result.refusedAsUnauthorized === result.sent ? 0 : 1;
  return result.rejected > 0 ? 1 : 0;
};

const parseReplayArgs = (argv: readonly string[]) =>
  parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      target: { type: 'string' },
      // The other local CLIs' name for the same URL.
      hub: { type: 'string' },
      repeat: { type: 'string' },
      concurrency: { type: 'string' },
      tamper: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });

/** Runs the replay; returns the process exit code (1 when something was refused unexpectedly, 2 for bad arguments). */
export const main = async (
  argv: readonly string[],
  output: CliOutput = terminalOutput(),
): Promise<number> => {
  const parsed = parseOrAnswer(() => parseReplayArgs(argv), USAGE, output);
  if (isAnswered(parsed)) return parsed.exitCode;
  const { values, positionals } = parsed;
  if (values.target !== undefined && values.hub !== undefined && values.target !== values.hub) {
    output.line('--hub and --target name the same thing: pass one of them');
    return 2;
  }
  const target = values.target ?? values.hub ?? DEFAULT_TARGET;
  const { samples, skipped } = collectSamples(positionals.length > 0 ? positionals : [DEFAULT_EVENTS_DIR]);
  for (const skip of skipped) output.line(`skipped ${skip.path}: ${skip.reason}`);
  if (samples.length === 0) {
    output.line('no samples found');
    return 1;
  }
  // A server that answers and is no local hub (whose secrets the kit shares) is a deployed one, which
  // only its own secrets sign for. Nothing answering on this machine is a hub not started: said before
  // anything is sent, as send, consume and erase say it (before, every request failed one by one and
  // the run ended "target is not a local hub"; found by a review). Nothing answering elsewhere is left
  // to the requests' own network errors.
  const hub = await fetchHubInfo(target);
  const answering = hub !== undefined || (await answers(target));
  if (!answering && isLoopback(target)) {
    output.line(`no local hub at ${target} (start one with npm start)`);
    return 1;
  }
  if (!values.tamper && !hub && answering) {
    const missing = missingDeployedSecrets(samples);
    if (missing.length > 0) {
      output.line(
        `${target} is not a local hub: sign with the deployment's secrets, or every request is refused.`,
      );
      for (const secret of missing) output.line(`  export ${secret.variables[0]}=<${secret.what}>`);
      return 2;
    }
  }
  const repeat = positiveInteger(values.repeat, 'repeat', 1);
  const total = samples.length * repeat;
  output.line(`replaying ${samples.length} sample(s)${repeat > 1 ? ` × ${repeat}` : ''} to ${target}`);
  const result = await replaySamples({
    samples,
    targetBaseUrl: target,
    secrets: localSecretsFromEnv(),
    repeat,
    concurrency: positiveInteger(values.concurrency, 'concurrency', 4),
    tamper: values.tamper,
    onProgress: (done) => output.status(`${done}/${total} sent`),
  });
  printResult(result, output, values.tamper);
  return replayExitCode(result, values.tamper);
};

if (isEntryPoint(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exitCode = 2;
    },
  );
}
