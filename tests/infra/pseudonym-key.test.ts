import { describe, expect, it } from 'vitest';
import { ALL_CHANNELS_CONTEXT, buildHub, logicalId, roleIdOf, statementsOfRole } from './support.ts';

/*
 * The pseudonym key (kept opt-outs are filed under a keyed hash: shared/store/suppressions.ts) is
 * read by exactly the functions that read or write kept opt-outs: the sender (a send's consent), the
 * recorder (a consent event of an erased contact) and the helpdesk API (erasure). No webhook, the
 * media fetcher, the attention sweeper, the e-mail intake or its delivery events: their roles may not
 * read it, and their environments do not name it. The two that move a legacy kept opt-out may
 * delete kept opt-outs and no other item.
 */

// Prepare (once per file): every function there is, with and without a customer-managed key.
const all = buildHub({ ...ALL_CHANNELS_CONTEXT, helpdeskApi: 'true' });
const withKey = buildHub({ ...ALL_CHANNELS_CONTEXT, helpdeskApi: 'true', customerManagedKey: 'true' });

type Built = typeof all;

const functionsOf = ({ template }: Built) =>
  Object.entries(template.findResources('AWS::Lambda::Function')).filter(
    // The hub's own functions (CDK's custom-resource providers name no role of ours).
    ([, resource]) => resource.Properties.Environment?.Variables?.SWITCHBOARD_LOG_LEVEL !== undefined,
  );

const roleIdOfResource = (resource: Record<string, unknown>): string =>
  (resource as { Properties: { Role: { 'Fn::GetAtt': [string, string] } } }).Properties.Role['Fn::GetAtt'][0];

const readsSecret = (built: Built, roleId: string, secret: object): boolean =>
  statementsOfRole(built.template, roleId).some(
    (statement) =>
      [statement.Action].flat().includes('secretsmanager:GetSecretValue') &&
      JSON.stringify([statement.Resource].flat()).includes(
        JSON.stringify({ Ref: logicalId(secret as never) }),
      ),
  );

describe('the pseudonym key', () => {
  it('is read by the sender, the recorder and the helpdesk API only, each told its ARN', () => {
    // Act
    const { stack } = all;
    const secret = stack.storage.pseudonymKey;
    const readers = functionsOf(all)
      .filter(([, resource]) => readsSecret(all, roleIdOfResource(resource), secret))
      .map(([id]) => id)
      .sort();
    const told = functionsOf(all)
      .filter(([, resource]) => resource.Properties.Environment.Variables.SWITCHBOARD_PSEUDONYM_KEY_ARN)
      .map(([id, resource]) => [id, resource.Properties.Environment.Variables.SWITCHBOARD_PSEUDONYM_KEY_ARN]);
    // Assess
    const expected = [stack.sender.function, stack.recorder.function, stack.helpdeskApi?.function ?? stack]
      .map((fn) => logicalId(fn))
      .sort();
    expect(functionsOf(all).length).toBeGreaterThan(expected.length + 4);
    expect(readers).toEqual(expected);
    expect(told.map(([id]) => id).sort()).toEqual(expected);
    for (const [, arn] of told) expect(arn).toEqual({ Ref: logicalId(secret) });
  });

  it('lets the sender and the recorder delete kept opt-outs (SUPPRESS#…) and no other item', () => {
    // Act
    const { stack } = all;
    const deletes = [stack.sender.function, stack.recorder.function].map((fn) =>
      statementsOfRole(all.template, roleIdOf(fn)).filter((statement) =>
        [statement.Action].flat().includes('dynamodb:DeleteItem'),
      ),
    );
    // Assess
    for (const statements of deletes)
      expect(statements.map((statement) => [statement.Action, statement.Condition])).toEqual([
        ['dynamodb:DeleteItem', { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['SUPPRESS#*'] } }],
      ]);
  });

  it('is under the data key, which its readers may decrypt with, when a customer-managed key is used', () => {
    // The readers' kms:Decrypt on the data key comes with their table grants (the table is under the
    // same key); the secret's own grant adds only the key policy's use through Secrets Manager. Held
    // here whatever its source: without it, a reader's GetSecretValue fails and so does its send.
    // Act
    const { stack } = withKey;
    const dataKey = logicalId(stack.storage.dataKey ?? stack);
    const secret = withKey.template.findResources('AWS::SecretsManager::Secret')[
      logicalId(stack.storage.pseudonymKey)
    ];
    const decrypting = [
      stack.sender.function,
      stack.recorder.function,
      stack.helpdeskApi?.function ?? {},
    ].map((fn) =>
      statementsOfRole(withKey.template, roleIdOf(fn)).some(
        (statement) =>
          [statement.Action].flat().includes('kms:Decrypt') &&
          JSON.stringify(statement.Resource) === JSON.stringify({ 'Fn::GetAtt': [dataKey, 'Arn'] }),
      ),
    );
    const keyPolicy = withKey.template.findResources('AWS::KMS::Key')[dataKey]?.Properties.KeyPolicy as {
      Statement: { Action: string | string[]; Condition?: unknown }[];
    };
    // Assess
    expect(secret?.Properties.KmsKeyId).toEqual({ 'Fn::GetAtt': [dataKey, 'Arn'] });
    expect(decrypting).toEqual([true, true, true]);
    expect(
      keyPolicy.Statement.some(
        (statement) =>
          [statement.Action].flat().includes('kms:Decrypt') &&
          JSON.stringify(statement.Condition ?? {}).includes('secretsmanager.'),
      ),
    ).toBe(true);
  });

  it('keeps its logical ID, its name, its generated value and RETAIN in production', () => {
    // Why pinned: every kept opt-out is filed under the value of this secret, found only under it.
    // A new logical ID or name makes CloudFormation replace the secret, and an edited
    // generateSecretString makes it generate a new value: either way the functions read a new key,
    // find no kept opt-out, and send to numbers that said STOP. If this fails, do not update the
    // expectations: undo the change (a new key needs every kept item moved to it, which nothing does).
    // Prepare
    const production = buildHub({ ...ALL_CHANNELS_CONTEXT, helpdeskApi: 'true', production: 'true' });
    const prefixed = buildHub({ ...ALL_CHANNELS_CONTEXT, namePrefix: 'acme' });
    // Act
    const id = logicalId(production.stack.storage.pseudonymKey);
    const secret = production.template.findResources('AWS::SecretsManager::Secret')[id];
    const prefixedSecret = prefixed.template.findResources('AWS::SecretsManager::Secret')[
      logicalId(prefixed.stack.storage.pseudonymKey)
    ];
    // Assess
    expect(id).toBe('StoragePseudonymKeyC76FDFA6');
    expect(logicalId(prefixed.stack.storage.pseudonymKey)).toBe(id);
    expect(secret?.Properties.Name).toBe('switchboard/pseudonym-key');
    expect(prefixedSecret?.Properties.Name).toBe('acme/pseudonym-key');
    for (const each of [secret, prefixedSecret])
      expect(each?.Properties.GenerateSecretString).toEqual({
        ExcludePunctuation: true,
        IncludeSpace: false,
        PasswordLength: 64,
      });
    expect(secret?.DeletionPolicy).toBe('Retain');
    expect(secret?.UpdateReplacePolicy).toBe('Retain');
  });
});
