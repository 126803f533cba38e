import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { fetchHubInfo } from '#shared/local/hub-info.ts';
import type { TableContext } from '#shared/store/table.ts';

/**
 * What the table's maintenance commands (`npm run rekey-opt-outs`, `npm run reshard-indexes`,
 * `npm run reindex-people`) share: their options (`--dry-run`, `--hub`, `--help`), and the table
 * they work on, the deployed one when SWITCHBOARD_TABLE_NAME is set, else the local hub's at `--hub`.
 */
export interface TableCommand {
  readonly dryRun: boolean;
  readonly hub: string;
  /** Whether SWITCHBOARD_TABLE_NAME names a deployed table. */
  readonly deployed: boolean;
}

/** The command's options; undefined when it only printed its usage (`--help`). */
export const tableCommandOptions = (usage: string): TableCommand | undefined => {
  const { values } = parseArgs({
    options: {
      hub: { type: 'string', default: 'http://127.0.0.1:3000' },
      'dry-run': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(usage);
    return undefined;
  }
  const tableName = process.env.SWITCHBOARD_TABLE_NAME;
  return {
    dryRun: values['dry-run'],
    hub: values.hub,
    deployed: tableName !== undefined && tableName !== '',
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
    throw new Error(`no local hub at ${command.hub}, and no deployed hub configured`);
  const dynamodb = new DynamoDBClient(
    info ? { region: info.region, credentials: info.credentials, endpoint: info.endpoints.dynamodb } : {},
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
