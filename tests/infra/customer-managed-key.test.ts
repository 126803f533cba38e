import { describe, expect, it } from 'vitest';
import { ALL_CHANNELS_CONTEXT, buildHub } from './support.ts';

/*
 * With `customerManagedKey`, the queues, the table and the secrets are encrypted with one KMS key,
 * and a call on them works only if the caller may also use that key (SQS, DynamoDB and Secrets
 * Manager call KMS as the caller): a SendMessage without kms:GenerateDataKey fails with
 * KMS.AccessDenied, though every other grant is right. Every grant takes the key as an optional
 * argument, so one left out synthesizes fine. This walks the whole synthesized stack: for each IAM
 * principal (a role with its policies, a managed policy), each action on a resource encrypted with a
 * key of the stack, the key actions that call needs on that key. The pairs come from the template
 * (policies × resources × each resource's key), so a new function, queue or grant is covered.
 */

// Prepare (once per file): every function and the helpdesk policy, under a customer-managed key.
const { template } = buildHub({
  ...ALL_CHANNELS_CONTEXT,
  helpdeskApi: 'true',
  customerManagedKey: 'true',
  production: 'true',
  alarmEmail: 'ops@example.com',
  publicBaseUrl: 'https://hooks.example.com',
});

type Json = unknown;
interface Resource {
  readonly Type: string;
  readonly Properties?: Record<string, Json>;
}
interface PolicyStatement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: Json;
  readonly Condition?: Json;
}

const resources = template.toJSON().Resources as Record<string, Resource>;
const asArray = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/** The logical ids an expression names (Ref, Fn::GetAtt), however deep. */
const referenced = (expression: Json): string[] => {
  if (Array.isArray(expression)) return expression.flatMap(referenced);
  if (expression === null || typeof expression !== 'object') return [];
  const object = expression as Record<string, Json>;
  if (typeof object.Ref === 'string') return [object.Ref];
  const getAtt = object['Fn::GetAtt'];
  if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') return [getAtt[0]];
  return Object.values(object).flatMap(referenced);
};

const globMatches = (pattern: string, value: string): boolean =>
  new RegExp(
    `^${pattern
      .split('*')
      .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
    'i',
  ).test(value);

/** Where each kind of resource names its encryption key. */
const KEY_PROPERTY: Record<string, (properties: Record<string, Json>) => Json> = {
  'AWS::SQS::Queue': (properties) => properties.KmsMasterKeyId,
  'AWS::SNS::Topic': (properties) => properties.KmsMasterKeyId,
  'AWS::DynamoDB::Table': (properties) =>
    (properties.SSESpecification as { KMSMasterKeyId?: Json } | undefined)?.KMSMasterKeyId,
  'AWS::SecretsManager::Secret': (properties) => properties.KmsKeyId,
};

/** Resource logical id → the logical id of the stack's KMS key it is encrypted with. */
const keyOf = new Map(
  Object.entries(resources).flatMap(([id, resource]) => {
    const property = KEY_PROPERTY[resource.Type];
    const keyId = property ? referenced(property(resource.Properties ?? {}))[0] : undefined;
    return keyId !== undefined && resources[keyId]?.Type === 'AWS::KMS::Key' ? [[id, keyId] as const] : [];
  }),
);

const DYNAMODB_READS = ['GetItem', 'BatchGetItem', 'Query', 'Scan', 'ConditionCheckItem'];
const DYNAMODB_WRITES = ['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem'];

/**
 * The key actions a call needs, by the call's action and the encrypted resource's type: a sender
 * encrypts a new message under a data key (and SQS decrypts it to check it), a receiver decrypts; a
 * table read decrypts, a write also encrypts (as CDK's own table grants give); a secret is decrypted.
 */
const NEEDS: Record<string, Record<string, readonly string[]>> = {
  'AWS::SQS::Queue': {
    'sqs:SendMessage': ['kms:GenerateDataKey', 'kms:Decrypt'],
    'sqs:ReceiveMessage': ['kms:Decrypt'],
  },
  'AWS::SNS::Topic': { 'sns:Publish': ['kms:GenerateDataKey', 'kms:Decrypt'] },
  'AWS::DynamoDB::Table': Object.fromEntries([
    ...DYNAMODB_READS.map((action) => [`dynamodb:${action}`, ['kms:Decrypt']] as const),
    ...DYNAMODB_WRITES.map(
      (action) => [`dynamodb:${action}`, ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey']] as const,
    ),
  ]),
  'AWS::SecretsManager::Secret': {
    'secretsmanager:GetSecretValue': ['kms:Decrypt'],
    // The deploy's copy into the per-provider secrets (ChannelSecretUpgrade).
    'secretsmanager:PutSecretValue': ['kms:GenerateDataKey', 'kms:Decrypt'],
  },
};

/** Each principal's statements: a role with its policies (attached, inline, managed), a managed policy alone. */
const principals = new Map<string, PolicyStatement[]>();
const add = (principal: string, statements: Json) => {
  principals.set(principal, [
    ...(principals.get(principal) ?? []),
    ...asArray(statements as PolicyStatement[]),
  ]);
};
for (const [id, resource] of Object.entries(resources)) {
  const properties = resource.Properties ?? {};
  const document = (properties.PolicyDocument as { Statement?: Json } | undefined)?.Statement;
  if (resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy') {
    // A managed policy is also checked on its own: the helpdesk's is attached outside the stack.
    if (resource.Type === 'AWS::IAM::ManagedPolicy') add(`policy ${id}`, document);
    for (const kind of ['Roles', 'Users', 'Groups'])
      for (const principal of referenced(properties[kind])) add(`${kind} ${principal}`, document);
  }
  if (resource.Type === 'AWS::IAM::Role') {
    add(`Roles ${id}`, []);
    for (const policy of asArray(properties.Policies as { PolicyDocument: { Statement: Json } }[]))
      add(`Roles ${id}`, policy.PolicyDocument.Statement);
    for (const managed of referenced(properties.ManagedPolicyArns))
      add(
        `Roles ${id}`,
        (resources[managed]?.Properties?.PolicyDocument as { Statement?: Json } | undefined)?.Statement,
      );
  }
}

interface Need {
  readonly principal: string;
  readonly action: string;
  readonly resource: string;
  readonly key: string;
  readonly keyAction: string;
}

const allowed = (statements: readonly PolicyStatement[]) =>
  statements.filter((statement) => statement.Effect === 'Allow');

/** Every key action each principal's calls on encrypted resources need. */
const needs: Need[] = [...principals].flatMap(([principal, statements]) =>
  allowed(statements).flatMap((statement) =>
    asArray(statement.Resource).flatMap((target) =>
      referenced(target).flatMap((resource) => {
        const key = keyOf.get(resource);
        const byAction = NEEDS[resources[resource]?.Type ?? ''];
        if (key === undefined || byAction === undefined) return [];
        return Object.entries(byAction)
          .filter(([action]) => asArray(statement.Action).some((pattern) => globMatches(pattern, action)))
          .flatMap(([action, keyActions]) =>
            keyActions.map((keyAction) => ({ principal, action, resource, key, keyAction })),
          );
      }),
    ),
  ),
);

/** The service that uses each kind of encrypted resource's key for its caller (`kms:ViaService`). */
const SERVICE_OF: Record<string, string> = {
  'AWS::SQS::Queue': 'sqs',
  'AWS::SNS::Topic': 'sns',
  'AWS::DynamoDB::Table': 'dynamodb',
  'AWS::SecretsManager::Secret': 'secretsmanager',
};

/** The service a key statement is limited to (`kms:ViaService`, `<service>.<region>.amazonaws.com`), if any. */
const viaServiceOf = (statement: PolicyStatement): string | undefined => {
  const condition = (statement.Condition as Record<string, Record<string, Json>> | undefined)?.StringEquals;
  const via = condition?.['kms:ViaService'];
  return via === undefined ? undefined : (/"([a-z]+)\./.exec(JSON.stringify(via))?.[1] ?? '?');
};

/** Whether the principal may call `keyAction` on the key, as the service of `resource` uses it. */
const mayUseKey = (principal: string, key: string, keyAction: string, resource: string): boolean =>
  allowed(principals.get(principal) ?? []).some(
    (statement) =>
      asArray(statement.Action).some((pattern) => globMatches(pattern, keyAction)) &&
      asArray(statement.Resource).some((target) => target === '*' || referenced(target).includes(key)) &&
      [undefined, SERVICE_OF[resources[resource]?.Type ?? '']].includes(viaServiceOf(statement)),
  );

/** The stack's customer-managed data key (the one the table is encrypted with). */
const dataKey = [...keyOf].find(([id]) => resources[id]?.Type === 'AWS::DynamoDB::Table')?.[1];

describe('a customer-managed key', () => {
  it('encrypts every queue, the table and both secrets of the hub', () => {
    // Act
    const encrypted = (type: string) =>
      Object.entries(resources).filter(([id, resource]) => resource.Type === type && keyOf.has(id));
    // Assess
    for (const type of ['AWS::SQS::Queue', 'AWS::DynamoDB::Table', 'AWS::SecretsManager::Secret'])
      expect(encrypted(type), type).toHaveLength(
        Object.values(resources).filter((resource) => resource.Type === type).length,
      );
  });

  it('may be used by every principal for every call it may make on what the key encrypts', () => {
    // Act
    const missing = needs
      .filter((need) => !mayUseKey(need.principal, need.key, need.keyAction, need.resource))
      .map(
        (need) =>
          `${need.principal}: ${need.action} on ${need.resource} needs ${need.keyAction} on ${need.key}`,
      );
    // Assess
    expect([...new Set(missing)]).toEqual([]);
  });

  it('is used by every principal only through the service whose data it encrypts, never directly', () => {
    // Act: every statement of every principal that names the data key
    const direct = [...principals].flatMap(([principal, statements]) =>
      allowed(statements)
        .filter((statement) =>
          asArray(statement.Resource).some(
            (target) => dataKey !== undefined && referenced(target).includes(dataKey),
          ),
        )
        .filter((statement) => !['sqs', 'dynamodb', 'secretsmanager'].includes(viaServiceOf(statement) ?? ''))
        .map((statement) => `${principal}: ${asArray(statement.Action).join(',')}`),
    );
    // Assess
    expect(dataKey).toBeDefined();
    expect(direct).toEqual([]);
  });

  it('is checked for every function and for each kind of call', () => {
    // Act
    const checked = new Set(needs.map((need) => need.principal));
    const functionRoles = Object.values(resources)
      .filter((resource) => resource.Type === 'AWS::Lambda::Function')
      .map((resource) => `Roles ${referenced(resource.Properties?.Role)[0]}`);
    const actions = new Set(needs.map((need) => need.action));
    // Assess: every function calls something under the key, so a function without its key grant fails above.
    expect(functionRoles.length).toBeGreaterThan(5);
    for (const role of functionRoles) expect(checked, role).toContain(role);
    expect([...checked].some((principal) => principal.startsWith('policy '))).toBe(true);
    for (const action of [
      'sqs:SendMessage',
      'sqs:ReceiveMessage',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'secretsmanager:GetSecretValue',
    ])
      expect(actions, action).toContain(action);
  });
});
