import { isAnswered } from '#shared/local/cli-args.ts';
import { reindexLegacyPeople } from '#shared/store/legacy-person-index.ts';
import { openTable, tableCommandOptions } from './table-command.ts';

const USAGE = `usage: npm run reindex-people -- [--dry-run] [--hub http://127.0.0.1:3000]
  Gives today's index entries to the items written without them, in one pass over the table:
  - conversations and channel contacts written before 2026-12-01, filed under their person (gsi3
    PERSON#<contactId>): a conversation listed under its channel contact (CONTACT#<contactKey>) or
    not at all, a contact item in no gsi3 partition. Until then GET /v1/contacts/{contactId}, its
    export, its erasure (and npm run erase), merges and the conversation list by contact do not
    find them. A conversation still active moves by itself at its next save; this moves the rest;
  - send records claimed on 2026-11-30/12-01 (840a19e..7a027d0), listed in gsi2 under
    CONVSENDS#<conversationId>: listed in gsi3 instead, where erasure and export find a conversation's
    sends (a refused or failed send, which names the customer's number, is found by neither before);
  - pending provider redactions an erasure left on 2026-12-01 (a29d2b5..de0a1f0), without the gsi4
    REDACT entry the attention sweeper retries them from: given it, due at once;
  - counted-markers (a message its conversation counted whose record a failed delivery did not
    write) of before 2026-12-06: filed under their conversation (gsi3 CONVMARKS#<conversationId>),
    where an erasure of it finds them.
  Scans the whole table once (read units for every item), then writes one conditional update per
  item. Safe to run while the hub runs, and again (an item written meanwhile keeps what that write
  gave it). With --hub, against the local hub there, whatever the environment holds. Else deployed:
  with SWITCHBOARD_TABLE_NAME set (the stack's table), AWS_REGION (its region) and AWS credentials
  that may scan the table and update its items (dynamodb:Scan, dynamodb:UpdateItem on the table);
  else against the local hub at http://127.0.0.1:3000.
  --dry-run counts them (foundByKind) and changes nothing.`;

const main = async (): Promise<void> => {
  const command = tableCommandOptions('reindex-people', USAGE);
  if (isAnswered(command)) {
    process.exitCode = command.exitCode;
    return;
  }
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
