import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { fetchHubInfo } from '#shared/local/hub-info.ts';
import { reshardLegacyIndexEntries } from '#shared/store/index-shards.ts';

const USAGE = `usage: npm run reshard-indexes -- [--dry-run] [--hub http://127.0.0.1:3000]
  Moves the conversations' by-status and waiting index entries written before 2026-12-05, still in
  the unsharded partitions (gsi1 STATUS#<status>, gsi4 WAITING), into their shards. Reads only those
  partitions, then writes one conditional update per entry moved. Safe to run while the hub runs,
  and again. Deployed: with SWITCHBOARD_TABLE_NAME set (the stack's table) and AWS credentials that
  may query the table's gsi1 and gsi4 and update its items; else against the local hub at --hub.
  --dry-run counts them and moves nothing.`;

const main = async (): Promise<void> => {
  const { values } = parseArgs({
    options: {
      hub: { type: 'string', default: 'http://127.0.0.1:3000' },
      'dry-run': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const tableName = process.env.SWITCHBOARD_TABLE_NAME;
  const deployed = tableName !== undefined && tableName !== '';
  const info = deployed ? undefined : await fetchHubInfo(values.hub);
  if (!deployed && !info) throw new Error(`no local hub at ${values.hub}, and no deployed hub configured`);
  const dynamodb = new DynamoDBClient(
    info ? { region: info.region, credentials: info.credentials, endpoint: info.endpoints.dynamodb } : {},
  );
  try {
    const report = await reshardLegacyIndexEntries(
      { client: dynamodb, tableName: info?.resources.tableName ?? tableName ?? '', now: () => new Date() },
      { dryRun: values['dry-run'] },
    );
    console.log(JSON.stringify({ ...report, dryRun: values['dry-run'] }, null, 2));
  } finally {
    dynamodb.destroy();
  }
};

main().catch((error: unknown) => {
  console.error(
    `reshard-indexes failed: ${error instanceof Error ? `${error.name}: ${error.message}` : 'error'}`,
  );
  process.exitCode = 1;
});
