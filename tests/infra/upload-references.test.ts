import { describe, expect, it } from 'vitest';
import { UPLOAD_REFERENCE_PARTITION_PREFIX } from '#shared/store/keys.ts';
import { buildHub, logicalId, roleIdOf, type Statement, statementsOfRole } from './support.ts';

/*
 * The references of an upload to the conversations it was sent in (`FILE#…` items,
 * shared/store/upload-refs.ts): the sender puts them, and the helpdesk API's erasure deletes them and
 * queries what is left. The functions' table grants are not limited by partition for these actions
 * today; should one be (dynamodb:LeadingKeys), it must still take `FILE#…`, or every send of an
 * upload would fail and every erasure of a recipient with it.
 */

// Prepare (once per file)
const built = buildHub({ helpdeskApi: 'true' });

/**
 * Whether some statement allows `action` on the table's own items (not an index) whose partition key
 * starts with `prefix`: unconditioned, or with a LeadingKeys pattern that takes it.
 */
const allowsOnPartition = (statements: readonly Statement[], action: string, prefix: string): boolean => {
  const table = JSON.stringify({ 'Fn::GetAtt': [logicalId(built.stack.storage.table), 'Arn'] });
  return statements.some((statement) => {
    if (statement.Effect !== 'Allow' || ![statement.Action].flat().includes(action)) return false;
    if (![statement.Resource].flat().some((resource) => JSON.stringify(resource) === table)) return false;
    if (statement.Condition === undefined) return true;
    const patterns = (
      statement.Condition as { 'ForAllValues:StringLike'?: { 'dynamodb:LeadingKeys'?: string[] } }
    )['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'];
    return (patterns ?? []).some((pattern) => pattern === '*' || pattern === `${prefix}*`);
  });
};

describe('upload references in IAM', () => {
  it('lets the sender put them, and not query them (it never reads them)', () => {
    // Act
    const statements = statementsOfRole(built.template, roleIdOf(built.stack.sender.function));
    // Assess
    expect(allowsOnPartition(statements, 'dynamodb:PutItem', UPLOAD_REFERENCE_PARTITION_PREFIX)).toBe(true);
    expect(allowsOnPartition(statements, 'dynamodb:Query', UPLOAD_REFERENCE_PARTITION_PREFIX)).toBe(false);
  });

  it("lets the helpdesk API's erasure delete them and query what is left", () => {
    // Act
    const api = built.stack.helpdeskApi;
    if (!api) throw new Error('no helpdesk API');
    const statements = statementsOfRole(built.template, roleIdOf(api.function));
    // Assess
    for (const action of ['dynamodb:BatchWriteItem', 'dynamodb:Query'])
      expect(allowsOnPartition(statements, action, UPLOAD_REFERENCE_PARTITION_PREFIX)).toBe(true);
  });
});
