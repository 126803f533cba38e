import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { cliAwsRegion } from '#shared/local/aws-region.ts';
import { type AnsweredArgs, isAnswered, parseOrAnswer, swallowedHub } from '#shared/local/cli-args.ts';
import { type CliOutput, terminalOutput } from '#shared/local/cli-output.ts';
import { fetchHubInfo } from '#shared/local/hub-info.ts';
import type { TableContext } from '#shared/store/table.ts';

/**
 * What the table's maintenance commands (`npm run rekey-opt-outs`, `npm run reshard-indexes`,
 * `npm run reindex-people`) share: their options (`--dry-run`, `--hub`, `--help`), and the table
 * they work on: with `--hub`, the local hub's there, whatever the environment holds (as `npm run
 * send` and `npm run erase` take it; until 2026-12-07 SWITCHBOARD_TABLE_NAME won over it, found by a
 * review); else the deployed one when SWITCHBOARD_TABLE_NAME is set, else the local hub's at the
 * default address.
 */
export interface TableCommand {
  readonly dryRun: boolean;
  readonly hub: string;
  /** Whether the command works on the deployed table SWITCHBOARD_TABLE_NAME names. */
  readonly deployed: boolean;
}

const DEFAULT_HUB = 'http://127.0.0.1:3000';

/**
 * `npm run <script> --dry-run` without the `--`: npm takes `--dry-run` as its own option, sets
 * npm_config_dry_run=true in the script's environment and does not pass it on, so the command would
 * run for real (found by a review). The refusal saying how to write it, or undefined.
 */
export const swallowedDryRun = (
  script: string,
  env: Readonly<Record<string, string | undefined>>,
): string | undefined =>
  env.npm_config_dry_run === 'true'
    ? `npm took --dry-run as its own option and did not pass it on, so this would run for real: nothing was done. Write npm run ${script} -- --dry-run (the -- passes it to the command)`
    : undefined;

/**
 * The command's options, or its answer when there is nothing to run: `--help` (exit 0), an unknown
 * option (why and the usage, exit 2, as the other commands answer; before, a bare `TypeError` and
 * exit 1), or a `--dry-run` or `--hub` npm kept for itself (exit 2: see swallowedDryRun, swallowedHub).
 */
export const tableCommandOptions = (
  script: string,
  usage: string,
  argv: readonly string[] = process.argv.slice(2),
  env: Readonly<Record<string, string | undefined>> = process.env,
  out: CliOutput = terminalOutput(),
  err: CliOutput = terminalOutput(process.stderr),
): TableCommand | AnsweredArgs => {
  const parsed = parseOrAnswer(
    () =>
      parseArgs({
        args: [...argv],
        options: {
          hub: { type: 'string' },
          'dry-run': { type: 'boolean', default: false },
          help: { type: 'boolean', short: 'h', default: false },
        },
      }),
    usage,
    out,
    err,
  );
  if (isAnswered(parsed)) return parsed;
  const { values } = parsed;
  // Given after the `--` as well, it is a dry run all the same.
  const swallowed =
    (values['dry-run'] ? undefined : swallowedDryRun(script, env)) ??
    (values.hub === undefined ? swallowedHub(script, env) : undefined);
  if (swallowed) {
    err.line(swallowed);
    return { exitCode: 2 };
  }
  const tableName = env.SWITCHBOARD_TABLE_NAME;
  const named = tableName !== undefined && tableName !== '';
  if (named && values.hub !== undefined)
    err.line(
      `note: SWITCHBOARD_TABLE_NAME (${tableName}) is set but ignored: --hub names the local hub at ${values.hub}, whose table this works on (leave out --hub to work on ${tableName})`,
    );
  return {
    dryRun: values['dry-run'],
    hub: values.hub ?? DEFAULT_HUB,
    deployed: named && values.hub === undefined,
  };
};

/** The table, through a client of its own (`destroy` it when done). */
export const openTable = async (
  command: TableCommand,
): Promise<{
  readonly context: TableContext;
  readonly dynamodb: DynamoDBClient;
  readonly local: boolean;
}> => {
  const info = command.deployed ? undefined : await fetchHubInfo(command.hub);
  if (!command.deployed && !info)
    throw new Error(
      `no local hub at ${command.hub} (start one with npm start; a deployed table: SWITCHBOARD_TABLE_NAME, without --hub)`,
    );
  const dynamodb = new DynamoDBClient(
    info
      ? { region: info.region, credentials: info.credentials, endpoint: info.endpoints.dynamodb }
      : { region: await cliAwsRegion() },
  );
  return {
    dynamodb,
    local: info !== undefined,
    context: {
      client: dynamodb,
      tableName: info?.resources.tableName ?? process.env.SWITCHBOARD_TABLE_NAME ?? '',
      now: () => new Date(),
    },
  };
};
