import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import { ESM_REQUIRE_BANNER, entryPath, HubFunction } from '#infra/constructs/hub-function.ts';
import { actionsOfRole, bareStack, logicalId, resourcesFor, roleIdOf } from './support.ts';

// Prepare (once per file): one function with defaults, one with every option set.
const stack = bareStack();
const runtimeEnvironment = {
  SWITCHBOARD_TABLE_NAME: 'table',
  SWITCHBOARD_INGEST_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/ingest.fifo',
  SWITCHBOARD_HELPDESK_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/helpdesk.fifo',
  SWITCHBOARD_PAYLOAD_BUCKET: 'bucket',
  SWITCHBOARD_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:x',
};
const plain = new HubFunction(stack, 'Plain', { entryName: 'recorder', runtimeEnvironment });
const tuned = new HubFunction(stack, 'Tuned', {
  entryName: 'webhook-messenger',
  runtimeEnvironment: { ...runtimeEnvironment, SWITCHBOARD_LOG_LEVEL: 'debug' },
  memorySize: 1024,
  timeout: Duration.seconds(20),
  tracingEnabled: true,
  reservedConcurrentExecutions: 50,
  logRetention: RetentionDays.ONE_WEEK,
  logRemovalPolicy: RemovalPolicy.RETAIN,
});
const template = Template.fromStack(stack);
const functionResource = (fn: HubFunction) => template.findResources('AWS::Lambda::Function')[logicalId(fn)];

describe('HubFunction', () => {
  it('resolves entries from functions/<name>.ts', () => {
    expect(entryPath('webhook-sms-twilio')).toMatch(/\/functions\/webhook-sms-twilio\.ts$/);
  });

  it('runs Node.js 22 on arm64 with 256 MB, 10 s, source maps and no tracing by default', () => {
    // Act
    const properties = functionResource(plain)?.Properties;
    // Assess
    expect(properties).toMatchObject({
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: 256,
      Timeout: 10,
      Environment: { Variables: { NODE_OPTIONS: '--enable-source-maps', ...runtimeEnvironment } },
    });
    expect(properties?.TracingConfig).toBeUndefined();
    expect(properties?.ReservedConcurrentExecutions).toBeUndefined();
  });

  it('applies the options it documents', () => {
    // Act
    const properties = functionResource(tuned)?.Properties;
    // Assess
    expect(properties).toMatchObject({
      MemorySize: 1024,
      Timeout: 20,
      TracingConfig: { Mode: 'Active' },
      ReservedConcurrentExecutions: 50,
      Environment: { Variables: { SWITCHBOARD_LOG_LEVEL: 'debug' } },
    });
    template.hasResource('AWS::Logs::LogGroup', {
      Properties: { RetentionInDays: 7 },
      DeletionPolicy: 'Retain',
    });
  });

  it('decodes source maps at run time in every function but the webhooks', () => {
    // Act
    const options = [plain, tuned].map(
      (fn) => functionResource(fn)?.Properties.Environment.Variables.NODE_OPTIONS,
    );
    // Assess: the recorder maps its stacks; a webhook's cold start does not decode the map
    expect(options).toEqual(['--enable-source-maps', undefined]);
  });

  it('logs to its own log group with a retention', () => {
    // Act
    const properties = functionResource(plain)?.Properties;
    // Assess
    expect(properties?.LoggingConfig).toEqual({ LogGroup: { Ref: logicalId(plain.functionLogGroup) } });
    template.hasResource('AWS::Logs::LogGroup', {
      Properties: { RetentionInDays: 30 },
      DeletionPolicy: 'Delete',
    });
  });

  it('has a role of its own that may only write to its log group (no AWS managed policy)', () => {
    // Act
    const roleId = roleIdOf(plain);
    // Assess
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [Match.objectLike({ Principal: { Service: 'lambda.amazonaws.com' } })],
      },
    });
    expect(template.findResources('AWS::IAM::Role')[roleId]?.Properties.ManagedPolicyArns).toBeUndefined();
    expect(actionsOfRole(template, roleId)).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
    expect(resourcesFor(template, roleId, 'logs:PutLogEvents')).toEqual([
      JSON.stringify({ 'Fn::GetAtt': [logicalId(plain.functionLogGroup), 'Arn'] }),
    ]);
  });

  it('gives ESM bundles a require for bundled CommonJS', () => {
    expect(ESM_REQUIRE_BANNER).toContain('createRequire');
    expect(ESM_REQUIRE_BANNER).toContain('import.meta.url');
  });

  it('lets a function choose its source maps against the default, either way', () => {
    // Prepare
    const other = bareStack();
    const webhookWithMaps = new HubFunction(other, 'WebhookWithMaps', {
      entryName: 'webhook-sms-twilio',
      runtimeEnvironment,
      sourceMapsAtRunTime: true,
    });
    const recorderWithout = new HubFunction(other, 'RecorderWithout', {
      entryName: 'recorder',
      runtimeEnvironment,
      sourceMapsAtRunTime: false,
    });
    // Act
    const functions = Template.fromStack(other).findResources('AWS::Lambda::Function');
    const options = [webhookWithMaps, recorderWithout].map(
      (fn) => functions[logicalId(fn)]?.Properties.Environment.Variables.NODE_OPTIONS,
    );
    // Assess
    expect(options).toEqual(['--enable-source-maps', undefined]);
  });

  it('refuses at synth a runtime variable its function would refuse on first read', () => {
    // Prepare
    const other = bareStack();
    // Act
    const create = () =>
      new HubFunction(other, 'Misconfigured', {
        entryName: 'recorder',
        runtimeEnvironment: { ...runtimeEnvironment, SWITCHBOARD_MESSAGE_RETENTION_DAYS: '3' },
      });
    // Assess: the variable is named; a token (resolved at deploy) is not checked here
    expect(create).toThrow(/SWITCHBOARD_MESSAGE_RETENTION_DAYS/);
  });

  it('refuses an entry that does not exist', () => {
    // Act
    const create = () =>
      new HubFunction(bareStack(), 'Missing', {
        entryName: 'nope' as 'recorder',
        runtimeEnvironment,
      });
    // Assess
    expect(create).toThrow(/Lambda entry not found/);
  });
});
