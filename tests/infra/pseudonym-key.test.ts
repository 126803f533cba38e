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

  it('is decrypted with the data key by its readers when a customer-managed key is used', () => {
    // Act
    const { stack } = withKey;
    const secret = withKey.template.findResources('AWS::SecretsManager::Secret')[
      logicalId(stack.storage.pseudonymKey)
    ];
    const decrypting = [stack.sender.function, stack.recorder.function].map((fn) =>
      statementsOfRole(withKey.template, roleIdOf(fn)).some(
        (statement) =>
          [statement.Action].flat().includes('kms:Decrypt') &&
          JSON.stringify(statement.Resource).includes(logicalId(stack.storage.dataKey ?? stack)),
      ),
    );
    // Assess
    expect(secret?.Properties.KmsKeyId).toEqual({
      'Fn::GetAtt': [logicalId(stack.storage.dataKey ?? stack), 'Arn'],
    });
    expect(decrypting).toEqual([true, true]);
  });
});
