import { isAnswered } from '#shared/local/cli-args.ts';
import { reshardLegacyIndexEntries } from '#shared/store/index-shards.ts';
import { openTable, tableCommandOptions } from './table-command.ts';

const USAGE = `usage: npm run reshard-indexes -- [--dry-run] [--hub http://127.0.0.1:3000]
  Moves the conversations' by-status and waiting index entries written before 2026-12-05, still in
  the unsharded partitions (gsi1 STATUS#<status>, gsi4 WAITING), into their shards, and rewrites in
  UTC the time of each snooze kept with an offset before 2026-12-02 (gsi4 SNOOZED), which woke up to
  14 hours late. Reads only those partitions, then writes one conditional update per entry moved or
  rewritten. Safe to run while the hub runs,
  and again (the waiting list a helpdesk pages through meanwhile may show a moved conversation
  twice: run it at a quiet hour). With --hub, against the local hub there, whatever the environment
  holds. Else deployed: with SWITCHBOARD_TABLE_NAME set (the stack's table), AWS_REGION (its region)
  and AWS credentials that may query the table's gsi1 and gsi4 and update its items; else against
  the local hub at http://127.0.0.1:3000.
  --dry-run counts them and changes nothing.`;

const main = async (): Promise<void> => {
  const command = tableCommandOptions('reshard-indexes', USAGE);
  if (isAnswered(command)) {
    process.exitCode = command.exitCode;
    return;
  }
  const { context, dynamodb } = await openTable(command);
  try {
    const report = await reshardLegacyIndexEntries(context, { dryRun: command.dryRun });
    console.log(JSON.stringify({ ...report, dryRun: command.dryRun }, null, 2));
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
