import { reindexLegacyPeople } from '#shared/store/legacy-person-index.ts';
import { openTable, tableCommandOptions } from './table-command.ts';

const USAGE = `usage: npm run reindex-people -- [--dry-run] [--hub http://127.0.0.1:3000]
  Files under their person (gsi3 PERSON#<contactId>) the conversations and channel contacts written
  before 2026-12-01: a conversation listed under its channel contact (CONTACT#<contactKey>) or not
  at all, a contact item in no gsi3 partition. Until then GET /v1/contacts/{contactId}, its export,
  its erasure (and npm run erase), merges and the conversation list by contact do not find them. A
  conversation still active moves by itself at its next save; this moves the rest. Scans the whole
  table once (read units for every item), then writes one conditional update per item moved. Safe
  to run while the hub runs, and again (an item written meanwhile keeps what that write gave it).
  Deployed: with SWITCHBOARD_TABLE_NAME set (the stack's table) and AWS credentials that may scan
  the table and update its items (dynamodb:Scan, dynamodb:UpdateItem on the table); else against the
  local hub at --hub. --dry-run counts them and moves nothing.`;

const main = async (): Promise<void> => {
  const command = tableCommandOptions(USAGE);
  if (!command) return;
  const { context, dynamodb } = await openTable(command);
  try {
    const report = await reindexLegacyPeople(context, { dryRun: command.dryRun });
    console.log(JSON.stringify({ ...report, dryRun: command.dryRun }, null, 2));
    // Written meanwhile and perhaps still legacy: a second run takes them.
    if (report.changedMeanwhile > 0 && !command.dryRun) process.exitCode = 1;
  } finally {
    dynamodb.destroy();
  }
};

main().catch((error: unknown) => {
  console.error(
    `reindex-people failed: ${error instanceof Error ? `${error.name}: ${error.message}` : 'error'}`,
  );
  process.exitCode = 1;
});
