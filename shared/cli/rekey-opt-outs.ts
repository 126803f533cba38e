import { resetAwsClients } from '#shared/aws/clients.ts';
import { deployedPseudonymKeyArn, localPseudonymKey } from '#shared/aws/pseudonym-key.ts';
import { isAnswered } from '#shared/local/cli-args.ts';
import { createLogger } from '#shared/observability/logger.ts';
import { checkedPseudonymKey } from '#shared/store/pseudonym-key-check.ts';
import { rekeyLegacySuppressions } from '#shared/store/suppressions.ts';
import { openTable, tableCommandOptions } from './table-command.ts';

const USAGE = `usage: npm run rekey-opt-outs -- [--dry-run] [--hub http://127.0.0.1:3000]
  Moves every kept opt-out still filed under the unkeyed SHA-256 of its contact key (kept before the
  pseudonym key) to the keyed key, as the hub moves one when it reads it. Scans the whole table once
  (read units for every item), then writes two items per one moved. Safe to run while the hub runs,
  and again. With --hub, against the local hub there, whatever the environment holds. Else deployed:
  with SWITCHBOARD_TABLE_NAME and SWITCHBOARD_PSEUDONYM_KEY_ARN set (the stack outputs; "local" and
  SWITCHBOARD_PSEUDONYM_KEY are refused), AWS_REGION (the stack's region) and AWS credentials that
  may scan the table, put and delete its items and read that secret; else against the local hub at
  http://127.0.0.1:3000.
  --dry-run counts them and moves nothing.`;

const main = async (): Promise<void> => {
  const command = tableCommandOptions('rekey-opt-outs', USAGE);
  if (isAnswered(command)) {
    process.exitCode = command.exitCode;
    return;
  }
  // Deployed, only the stack's key: a development key would move every item where no function looks.
  if (command.deployed) deployedPseudonymKeyArn();
  const { context, dynamodb, local } = await openTable(command);
  try {
    // Checked against the table's check item before anything moves: a key the functions would
    // refuse must not move legacy items to keys they never read (and delete the originals).
    const pseudonymKey = await checkedPseudonymKey(
      context,
      local ? localPseudonymKey : async () => (await import('#shared/aws/secrets.ts')).pseudonymKey(),
      {
        logger: createLogger({ level: 'warn', write: (line) => process.stderr.write(`${line}\n`) }),
        // Deployed, compared only: a key named wrongly must not become the table's check, and
        // then the key every legacy opt-out is moved under.
        firstWrite: !command.deployed,
      },
    )();
    const report = await rekeyLegacySuppressions(context, pseudonymKey, { dryRun: command.dryRun });
    console.log(JSON.stringify({ ...report, dryRun: command.dryRun }, null, 2));
    if (report.left > 0) process.exitCode = 1;
  } finally {
    dynamodb.destroy();
    // The Secrets Manager client the key was read with.
    resetAwsClients();
  }
};

main().catch((error: unknown) => {
  console.error(
    `rekey-opt-outs failed: ${error instanceof Error ? `${error.name}: ${error.message}` : 'error'}`,
  );
  process.exitCode = 1;
});
