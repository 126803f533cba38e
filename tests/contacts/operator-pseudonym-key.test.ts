import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '#infra/constructs/hub-function.ts';
import { deployedPseudonymKeyArn, PseudonymKeyError } from '#shared/aws/pseudonym-key.ts';
import { swallowedDryRun, tableCommandOptions } from '#shared/cli/table-command.ts';
import { memoryOutput } from '#shared/local/cli-output.ts';
import { type RunningEmulators, startEmulators } from '#shared/local/emulators.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '#shared/local/local-aws.ts';
import { contactKeyFor, kindOfKey, legacySuppressionKey } from '#shared/store/keys.ts';
import { appliedIdOf, timeOrder } from '#shared/store/registers.ts';

/*
 * The operator tools run against a deployed table (SWITCHBOARD_TABLE_NAME set) refuse the public
 * development key: `SWITCHBOARD_PSEUDONYM_KEY_ARN=local` left exported from a local session, or an
 * inline SWITCHBOARD_PSEUDONYM_KEY, would have npm run rekey-opt-outs move every legacy kept opt-out
 * to keys the deployed functions never read (deleting the originals), and npm run erase file what it
 * keeps there. Here the "deployed" table is the emulator's, reached through the SDK's endpoint
 * variable, so the harm the refusal prevents would show in it.
 */

const run = promisify(execFile);

/** A CLI run as `npm run` runs it, with `env` on top of a bare environment; its exit code and stderr. */
const cli = async (script: string, args: readonly string[], env: Record<string, string>) => {
  try {
    await run(process.execPath, ['--import', 'tsx', `shared/cli/${script}`, ...args], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '', ...env },
      encoding: 'utf8',
    });
    return { code: 0, stderr: '' };
  } catch (error) {
    const failed = error as { code?: number; stderr?: string };
    return { code: failed.code ?? -1, stderr: failed.stderr ?? '' };
  }
};

describe('the operator tools against a deployed table', () => {
  let emulators: RunningEmulators;
  let deployed: Record<string, string>;
  const legacy = legacySuppressionKey(
    contactKeyFor('sms', { identities: [{ type: 'phone', value: '+306912360501' }] }),
  );
  const legacyLeft = async () =>
    (
      (await emulators.clients.dynamodb.send(new ScanCommand({ TableName: emulators.resources.tableName })))
        .Items ?? []
    )
      .map((raw) => unmarshall(raw))
      .filter((item) => kindOfKey({ pk: String(item.pk), sk: String(item.sk) }) === 'legacySuppression')
      .map((item) => item.pk);

  beforeAll(async () => {
    emulators = await startEmulators();
    deployed = {
      SWITCHBOARD_TABLE_NAME: emulators.resources.tableName,
      AWS_ENDPOINT_URL_DYNAMODB: emulators.endpoints.dynamodb,
      AWS_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    };
    // A kept opt-out an earlier version filed under the unkeyed hash.
    const at = '2026-11-22T10:00:00.000Z';
    await emulators.clients.dynamodb.send(
      new PutItemCommand({
        TableName: emulators.resources.tableName,
        Item: marshall({
          ...legacy,
          smsConsent: {
            order: timeOrder(at, undefined, 'evt_guard'),
            eventId: 'evt_guard',
            value: JSON.stringify({ consent: 'opted_out', trigger: 'STOP', at }),
          },
          applied: new Set([appliedIdOf('evt_guard')]),
        }),
      }),
    );
  });
  afterAll(async () => {
    await emulators?.stop();
  });

  it('refuses the development key by ARN or inline, and names the stack’s', () => {
    // Act
    const refusals = [
      {},
      { SWITCHBOARD_PSEUDONYM_KEY_ARN: 'local' },
      {
        SWITCHBOARD_PSEUDONYM_KEY_ARN:
          'arn:aws:secretsmanager:eu-west-1:123456789012:secret:acme/pseudonym-key',
        SWITCHBOARD_PSEUDONYM_KEY: 'an-inline-development-key-of-32-characters',
      },
    ].map((env) => {
      try {
        return deployedPseudonymKeyArn(env);
      } catch (error) {
        return error;
      }
    });
    const arn = deployedPseudonymKeyArn({
      SWITCHBOARD_PSEUDONYM_KEY_ARN:
        'arn:aws:secretsmanager:eu-west-1:123456789012:secret:acme/pseudonym-key',
    });
    // Assess
    for (const refusal of refusals) expect(refusal).toBeInstanceOf(PseudonymKeyError);
    expect(String(refusals[2])).not.toContain('an-inline-development-key');
    expect(arn).toBe('arn:aws:secretsmanager:eu-west-1:123456789012:secret:acme/pseudonym-key');
  });

  it('npm run rekey-opt-outs with SWITCHBOARD_PSEUDONYM_KEY_ARN=local left exported refuses, and moves nothing', async () => {
    // Act
    const result = await cli('rekey-opt-outs.ts', [], {
      ...deployed,
      SWITCHBOARD_PSEUDONYM_KEY_ARN: 'local',
    });
    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('PseudonymKeyError: SWITCHBOARD_PSEUDONYM_KEY_ARN=local');
    expect(await legacyLeft()).toEqual([legacy.pk]);
  });

  it('npm run erase with SWITCHBOARD_PSEUDONYM_KEY_ARN=local or an inline key refuses before it erases', async () => {
    // Prepare: the rest of the deployed configuration
    const erase = {
      ...deployed,
      SWITCHBOARD_PAYLOAD_BUCKET: 'acme-payloads',
      SWITCHBOARD_HELPDESK_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/acme-helpdesk.fifo',
      SWITCHBOARD_OUTBOX_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/acme-outbox.fifo',
    };
    // Act
    const byArn = await cli('erase.ts', ['ct_sms_guard', '--deployed', '--yes'], {
      ...erase,
      SWITCHBOARD_PSEUDONYM_KEY_ARN: 'local',
    });
    const inline = await cli('erase.ts', ['ct_sms_guard', '--deployed', '--yes'], {
      ...erase,
      SWITCHBOARD_PSEUDONYM_KEY_ARN:
        'arn:aws:secretsmanager:us-east-1:123456789012:secret:acme/pseudonym-key',
      SWITCHBOARD_PSEUDONYM_KEY: 'an-inline-development-key-of-32-characters',
    });
    // Assess
    expect(byArn.code).toBe(1);
    expect(byArn.stderr).toContain('PseudonymKeyError: SWITCHBOARD_PSEUDONYM_KEY_ARN=local');
    expect(inline.code).toBe(1);
    expect(inline.stderr).toContain('PseudonymKeyError: SWITCHBOARD_PSEUDONYM_KEY (a development key)');
    expect(inline.stderr).not.toContain('an-inline-development-key');
  });
});

describe('the table maintenance commands (reindex-people, reshard-indexes, rekey-opt-outs): their command line', () => {
  const SCRIPTS = ['reindex-people', 'reshard-indexes', 'rekey-opt-outs'] as const;
  /** No region the SDK finds, and no credentials. */
  const bare = {
    AWS_CONFIG_FILE: '/nonexistent/aws-config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
    AWS_EC2_METADATA_DISABLED: 'true',
  };

  it('answer an unknown option with why and the usage, exit 2, as the other commands do (found by a review)', async () => {
    // Act
    const runs = await Promise.all(SCRIPTS.map((script) => cli(`${script}.ts`, ['--dry-rnu'], bare)));
    // Assess: before, `failed: TypeError: Unknown option` and exit 1
    runs.forEach((run, index) => {
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(
        new RegExp(
          `^Unknown option '--dry-rnu'.*\\nusage: npm run ${SCRIPTS[index]} -- \\[--dry-run\\]`,
          's',
        ),
      );
      expect(run.stderr).not.toMatch(/TypeError/);
    });
  }, 60_000);

  it('refuse to run for real when npm kept --dry-run for itself (npm run X --dry-run, without the --), naming the right spelling (found by a review)', async () => {
    // Act: what the script sees under `npm run <script> --dry-run`
    const runs = await Promise.all(
      SCRIPTS.map((script) => cli(`${script}.ts`, [], { ...bare, npm_config_dry_run: 'true' })),
    );
    // Assess
    runs.forEach((run, index) => {
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(`npm run ${SCRIPTS[index]} -- --dry-run`);
      expect(run.stderr).not.toMatch(/no local hub|failed/);
    });
  }, 60_000);

  it('run a dry run given after the -- even when npm kept one for itself too', () => {
    // Prepare
    const err = memoryOutput();
    // Act
    const both = tableCommandOptions(
      'reshard-indexes',
      'usage',
      ['--dry-run'],
      { npm_config_dry_run: 'true' },
      err,
      err,
    );
    const plain = tableCommandOptions('reshard-indexes', 'usage', [], {}, err, err);
    // Assess
    expect(both).toEqual({ dryRun: true, hub: 'http://127.0.0.1:3000', deployed: false });
    expect(plain).toEqual({ dryRun: false, hub: 'http://127.0.0.1:3000', deployed: false });
    expect(swallowedDryRun('reshard-indexes', { npm_config_dry_run: 'false' })).toBeUndefined();
    expect(err.lines).toEqual([]);
  });

  it('against a deployed table with no region configured, say to set AWS_REGION instead of "Region is missing" (found by a review)', async () => {
    // Act
    const runs = await Promise.all(
      SCRIPTS.map((script) =>
        cli(`${script}.ts`, ['--dry-run'], {
          ...bare,
          SWITCHBOARD_TABLE_NAME: 'acme-table',
          SWITCHBOARD_PSEUDONYM_KEY_ARN:
            'arn:aws:secretsmanager:eu-west-1:123456789012:secret:acme/pseudonym-key',
        }),
      ),
    );
    // Assess
    runs.forEach((run, index) => {
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(
        new RegExp(`^${SCRIPTS[index]} failed: MissingRegionError: no AWS region: set AWS_REGION `, 'm'),
      );
      expect(run.stderr).not.toMatch(/Region is missing/);
    });
  }, 60_000);
});
