import type { CliOutput } from '#shared/local/cli-output.ts';

/** A command line answered without running the command: the exit code to leave with. */
export interface AnsweredArgs {
  readonly exitCode: 0 | 2;
}

/**
 * A local CLI's parsed command line, or its answer when there is nothing to run: `--help` prints the
 * usage on `out` (exit 0); an option the command does not know (node's parseArgs throws on it) prints
 * why and the usage on `err` (exit 2), as replay, redrive and erase answer. Without it a command
 * ended in a bare `TypeError: Unknown option '--help'` and no usage (found by a review).
 * `parse` is the command's own parseArgs call, which declares a boolean `help` option.
 */
export const parseOrAnswer = <T extends { readonly values: { readonly help?: boolean | undefined } }>(
  parse: () => T,
  usage: string,
  out: CliOutput,
  err: CliOutput = out,
): T | AnsweredArgs => {
  let parsed: T;
  try {
    parsed = parse();
  } catch (error) {
    err.line(error instanceof Error ? error.message : 'bad arguments');
    err.line(usage);
    return { exitCode: 2 };
  }
  if (parsed.values.help) {
    out.line(usage);
    return { exitCode: 0 };
  }
  return parsed;
};

/** Whether the command line was answered (help or refused) rather than parsed. */
export const isAnswered = <T extends object>(args: T | AnsweredArgs): args is AnsweredArgs =>
  'exitCode' in args;

/**
 * `npm run <script> --hub=URL` without the `--`: npm takes `--hub` as its own config, sets
 * npm_config_hub in the script's environment and passes nothing on, so the command would not see it
 * and work elsewhere: the table commands on the deployed table SWITCHBOARD_TABLE_NAME names,
 * send on the deployed outbox, consume on the deployed helpdesk queue, erase at the default hub,
 * redrive on the deployed queue.
 * The refusal, or undefined.
 */
export const swallowedHub = (
  script: string,
  env: Readonly<Record<string, string | undefined>>,
): string | undefined => swallowedUrlOption(script, 'hub', env);

/**
 * The same for any `--<option>=URL` npm keeps (it sets npm_config_<option>, dashes as underscores):
 * redrive's `--sqs-endpoint` too. The refusal, or undefined.
 */
export const swallowedUrlOption = (
  script: string,
  option: string,
  env: Readonly<Record<string, string | undefined>>,
): string | undefined => {
  const kept = env[`npm_config_${option.replaceAll('-', '_')}`];
  return kept !== undefined && kept !== ''
    ? `npm took --${option} as its own option and did not pass it on, so this would not work on that ${option === 'hub' ? 'hub' : 'endpoint'}: nothing was done. Write npm run ${script} -- --${option} URL (the -- passes it to the command)`
    : undefined;
};
