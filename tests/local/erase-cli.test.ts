import { describe, expect, it } from 'vitest';
import { resolveEraseTarget } from '#shared/cli/erase.ts';
import { noRegionEnv, runCli } from '#tests/support/cli-process.ts';

/** The stack outputs an operator may have left exported from a deployed session. */
const STACK_OUTPUTS = {
  SWITCHBOARD_TABLE_NAME: 'acme-switchboard-table',
  SWITCHBOARD_PAYLOAD_BUCKET: 'acme-payloads',
  SWITCHBOARD_HELPDESK_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/acme-helpdesk.fifo',
  SWITCHBOARD_OUTBOX_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/acme-outbox.fifo',
};

describe('npm run erase: where it erases', () => {
  it('an explicit --hub is the local hub even with the stack outputs in the environment', () => {
    // Prepare
    const argv = ['ct_sms_1', '--hub', 'http://127.0.0.1:3000'];
    // Act
    const target = resolveEraseTarget(argv, STACK_OUTPUTS);
    // Assess
    expect(target).toEqual({ kind: 'local', contactId: 'ct_sms_1', hubUrl: 'http://127.0.0.1:3000' });
  });

  it('without a flag it is the local hub, with a note naming the deployed table it did not use', () => {
    // Prepare / Act
    const target = resolveEraseTarget(['ct_sms_1'], STACK_OUTPUTS);
    // Assess
    expect(target).toMatchObject({ kind: 'local', hubUrl: 'http://127.0.0.1:3000' });
    expect(target.kind === 'local' ? target.note : '').toContain('acme-switchboard-table');
  });

  it('--deployed without --yes is refused, naming the table it would erase in', () => {
    // Prepare / Act
    const target = resolveEraseTarget(['ct_sms_1', '--deployed'], STACK_OUTPUTS);
    // Assess
    expect(target.kind).toBe('refused');
    expect(target.kind === 'refused' ? target.message : '').toBe(
      'refusing to erase ct_sms_1 in the deployed table acme-switchboard-table without --yes',
    );
  });

  it('--deployed --yes erases in the deployed table; without the stack outputs, or beside --hub, it is refused', () => {
    // Prepare
    const argv = ['ct_sms_1', '--deployed', '--yes'];
    // Act
    const deployed = resolveEraseTarget(argv, STACK_OUTPUTS);
    const unconfigured = resolveEraseTarget(argv, {});
    const both = resolveEraseTarget([...argv, '--hub', 'http://127.0.0.1:3000'], STACK_OUTPUTS);
    // Assess
    expect(deployed).toEqual({ kind: 'deployed', contactId: 'ct_sms_1', env: STACK_OUTPUTS });
    expect(unconfigured).toMatchObject({ kind: 'refused', code: 2 });
    expect(unconfigured.kind === 'refused' ? unconfigured.message : '').toContain('SWITCHBOARD_TABLE_NAME');
    expect(both).toMatchObject({ kind: 'refused', code: 2 });
  });

  it('a --hub or --deployed npm took for itself (npm run erase --hub=URL without the --) is refused, erasing nowhere (found by a README walkthrough)', () => {
    // Prepare: npm keeps `--hub=URL` and `--deployed` given before the `--`, sets npm_config_hub and
    // npm_config_deployed in the script's environment and passes neither on
    const hubKept = { npm_config_hub: 'http://127.0.0.1:3150', npm_config_yes: '' };
    const deployedKept = { ...STACK_OUTPUTS, npm_config_deployed: 'true', npm_config_yes: 'true' };
    // Act
    const hub = resolveEraseTarget(['ct_sms_1'], hubKept);
    const deployed = resolveEraseTarget(['ct_sms_1'], deployedKept);
    const passedOn = resolveEraseTarget(['ct_sms_1', '--hub', 'http://127.0.0.1:3150'], hubKept);
    // Assess: before, both erased at the default hub, http://127.0.0.1:3000, not where they were told
    expect(hub).toMatchObject({ kind: 'refused', code: 2 });
    expect(hub.kind === 'refused' ? hub.message : '').toContain('npm run erase -- --hub URL');
    expect(deployed).toMatchObject({ kind: 'refused', code: 2 });
    expect(deployed.kind === 'refused' ? deployed.message : '').toContain(
      'npm run erase -- <contactId> --deployed --yes',
    );
    expect(passedOn).toEqual({ kind: 'local', contactId: 'ct_sms_1', hubUrl: 'http://127.0.0.1:3150' });
  });

  it('--help answers the usage (not an unknown option), which names --deployed and --yes', () => {
    // Prepare / Act
    const target = resolveEraseTarget(['--help'], {});
    // Assess
    expect(target.kind).toBe('help');
    const text = target.kind === 'help' ? target.text : '';
    expect(text).toMatch(/^usage: npm run erase -- <contactId>/);
    expect(text).toContain('--deployed');
    expect(text).toContain('--yes');
  });
});

describe('npm run erase -- --deployed: the region (found by a review)', () => {
  it("takes the stack's queue URLs' region when none is configured, else says to set AWS_REGION", async () => {
    // Prepare
    const deployed = {
      ...STACK_OUTPUTS,
      SWITCHBOARD_PSEUDONYM_KEY_ARN:
        'arn:aws:secretsmanager:us-east-1:123456789012:secret:acme/pseudonym-key',
    };
    // Act
    const named = await runCli(
      'shared/cli/erase.ts',
      ['ct_sms_1', '--deployed', '--yes'],
      noRegionEnv(deployed),
    );
    const unnamed = await runCli(
      'shared/cli/erase.ts',
      ['ct_sms_1', '--deployed', '--yes'],
      noRegionEnv({
        ...deployed,
        SWITCHBOARD_HELPDESK_QUEUE_URL: 'http://127.0.0.1:9/1/helpdesk.fifo',
        SWITCHBOARD_OUTBOX_QUEUE_URL: 'http://127.0.0.1:9/1/outbox.fifo',
      }),
    );
    // Assess: the first stops at the credentials this machine lacks, before anything is erased
    expect(named.code).toBe(1);
    expect(named.stderr).not.toMatch(/Region is missing|MissingRegionError/);
    expect(named.stderr).toMatch(/^erase failed: CredentialsProviderError/m);
    expect(unnamed.code).toBe(1);
    expect(unnamed.stderr).toMatch(/^erase failed: MissingRegionError: no AWS region: set AWS_REGION /m);
  }, 60_000);
});
