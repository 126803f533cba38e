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
