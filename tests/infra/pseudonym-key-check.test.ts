import { describe, expect, it } from 'vitest';
import { PSEUDONYM_KEY_MISMATCH } from '#shared/observability/metric-names.ts';
import { PSEUDONYM_KEY_CHECK_KEY } from '#shared/store/keys.ts';
import {
  ALL_CHANNELS_CONTEXT,
  buildHub,
  logicalId,
  roleIdOf,
  type Statement,
  statementsOfRole,
} from './support.ts';

/*
 * The pseudonym key's check item (shared/store/pseudonym-key-check.ts) in the deployed stack. The
 * functions that load the key (the sender, the recorder, the helpdesk API) read the check item and
 * write it at the table's first use: their roles must allow GetItem and PutItem of its key, however
 * their table grants are scoped (the local DynamoDB enforces no IAM, so only this catches a grant
 * narrowed past it); no other function may write it. A refused key is counted from the readers' log
 * groups (the one fixed error line) and raises an alarm.
 */

// Prepare (once per file)
const all = buildHub({ ...ALL_CHANNELS_CONTEXT, helpdeskApi: 'true' });
const { stack, template } = all;
const tableArn = JSON.stringify({ 'Fn::GetAtt': [logicalId(stack.storage.table), 'Arn'] });

const globMatches = (pattern: string, value: string): boolean =>
  new RegExp(
    `^${pattern
      .split('*')
      .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  ).test(value);

/** Whether `statement` allows `action` on the table item whose partition key is `pk`. */
const allowsOnItem = (statement: Statement, action: string, pk: string): boolean => {
  if (statement.Effect !== 'Allow') return false;
  const actions = [statement.Action].flat();
  if (!actions.some((each) => globMatches(each, action))) return false;
  if (!JSON.stringify([statement.Resource].flat()).includes(tableArn)) return false;
  if (statement.Condition === undefined) return true;
  // The only condition the hub's table grants carry: partition keys by prefix.
  const condition = statement.Condition as Record<string, Record<string, string[] | string>>;
  const keys = Object.keys(condition);
  if (keys.length !== 1 || keys[0] !== 'ForAllValues:StringLike') return false;
  const leading = condition['ForAllValues:StringLike'] ?? {};
  if (Object.keys(leading).length !== 1 || leading['dynamodb:LeadingKeys'] === undefined) return false;
  return [leading['dynamodb:LeadingKeys']].flat().some((pattern) => globMatches(pattern, pk));
};

const mayOnCheck = (roleId: string, action: string): boolean =>
  statementsOfRole(template, roleId).some((statement) =>
    allowsOnItem(statement, action, PSEUDONYM_KEY_CHECK_KEY.pk),
  );

const readers = () => ({
  sender: stack.sender.function,
  recorder: stack.recorder.function,
  helpdeskApi: stack.helpdeskApi?.function ?? stack.sender.function,
});

describe('the pseudonym key check item', () => {
  it.each(['sender', 'recorder', 'helpdeskApi'] as const)(
    'may be read and written by the %s, which loads the key',
    (name) => {
      // Act
      const roleId = roleIdOf(readers()[name]);
      // Assess
      expect(mayOnCheck(roleId, 'dynamodb:GetItem')).toBe(true);
      expect(mayOnCheck(roleId, 'dynamodb:PutItem')).toBe(true);
    },
  );

  it('may be put by no other function', () => {
    // Act
    const writers = Object.entries(template.findResources('AWS::IAM::Role'))
      .filter(([roleId]) => mayOnCheck(roleId, 'dynamodb:PutItem'))
      .map(([roleId]) => roleId)
      .sort();
    // Assess
    expect(writers).toEqual(Object.values(readers()).map(roleIdOf).sort());
  });

  it('counts the readers’ refusal line into one metric, which raises an alarm', () => {
    // Act
    const filters = Object.values(template.findResources('AWS::Logs::MetricFilter'));
    const alarm = Object.values(template.findResources('AWS::CloudWatch::Alarm')).find(
      (candidate) => candidate.Properties.MetricName === PSEUDONYM_KEY_MISMATCH.metricName,
    );
    // Assess
    expect(filters.map((filter) => JSON.stringify(filter.Properties.LogGroupName)).sort()).toEqual(
      Object.values(readers())
        .map((fn) => JSON.stringify({ Ref: logicalId(fn.functionLogGroup) }))
        .sort(),
    );
    for (const filter of filters) {
      expect(filter.Properties.FilterPattern).toContain(`$.message = "${PSEUDONYM_KEY_MISMATCH.logMessage}"`);
      expect(filter.Properties.FilterPattern).toContain('$.level = "error"');
      expect(filter.Properties.MetricTransformations).toEqual([
        { MetricNamespace: 'Switchboard', MetricName: PSEUDONYM_KEY_MISMATCH.metricName, MetricValue: '1' },
      ]);
    }
    expect(alarm?.Properties).toMatchObject({
      Namespace: 'Switchboard',
      Statistic: 'Sum',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 1,
      AlarmActions: [{ Ref: logicalId(stack.monitoring.topic) }],
    });
    expect(alarm?.Properties.Dimensions).toBeUndefined();
  });

  it('has no metric filter for a helpdesk API the stack does not have', () => {
    // Prepare
    const without = buildHub({ ...ALL_CHANNELS_CONTEXT });
    // Act
    const filters = Object.values(without.template.findResources('AWS::Logs::MetricFilter'));
    // Assess
    expect(filters).toHaveLength(2);
  });
});
