import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { afterAll } from 'vitest';
import { readConfig } from '#infra/config.ts';
import type { HubApi } from '#infra/constructs/hub-api.ts';
import { REPO_ROOT } from '#infra/constructs/hub-function.ts';
import { SwitchboardStack } from '#infra/switchboard-stack.ts';

/** cdk.json's context (feature flags), so tests synthesize what `cdk deploy` would. */
const cdkJsonContext = (): Record<string, unknown> =>
  (JSON.parse(readFileSync(`${REPO_ROOT}cdk.json`, 'utf8')) as { context: Record<string, unknown> }).context;

/** Every channel on, SES included, so one template shows everything. */
export const ALL_CHANNELS_CONTEXT = {
  channels: 'messenger,whatsapp,sms,email-mailgun,email-ses',
  sesInboundDomain: 'support.example.com',
} as const;

export interface AppOptions {
  /** Real esbuild bundling; off by default to keep infra tests fast. */
  readonly bundling?: boolean;
  readonly outdir?: string;
}

/**
 * The test file's Apps synthesize under one temporary directory, removed when its tests end. Without an `outdir`,
 * CDK gives every App a new temporary directory and never removes it: a full test run left about 120 of them.
 */
const outRoot = mkdtempSync(join(tmpdir(), 'switchboard-cdk-'));
afterAll(() => rmSync(outRoot, { recursive: true, force: true }));

export const testApp = (context: Record<string, unknown> = {}, options: AppOptions = {}): App =>
  new App({
    outdir: options.outdir ?? mkdtempSync(join(outRoot, 'app-')),
    context: {
      ...cdkJsonContext(),
      ...(options.bundling ? {} : { 'aws:cdk:bundling-stacks': [] }),
      ...context,
    },
  });

export interface BuiltStack {
  readonly app: App;
  readonly stack: SwitchboardStack;
  readonly template: Template;
}

/** The whole hub as `infra/app.ts` builds it, from context values. */
export const buildHub = (context: Record<string, unknown> = {}, options: AppOptions = {}): BuiltStack => {
  const app = testApp(context, options);
  const config = readConfig((key) => app.node.tryGetContext(key));
  const stack = new SwitchboardStack(app, config.namePrefix, { config });
  return { app, stack, template: Template.fromStack(stack) };
};

/** The HTTP API of a stack built with the default ingress. */
export const apiOf = (stack: SwitchboardStack): HubApi => {
  if (!stack.api) throw new Error('stack has no HTTP API (ingress is not http-api)');
  return stack.api;
};

/** A bare stack for testing one construct on its own. */
export const bareStack = (): Stack => new Stack(testApp(), 'TestStack');

export const logicalId = (construct: IConstruct): string =>
  Stack.of(construct).getLogicalId((construct.node.defaultChild ?? construct) as CfnElement);

export interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: unknown;
}

const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/** Every statement in every IAM policy attached to the role with this logical id. */
export const statementsOfRole = (template: Template, roleLogicalId: string): Statement[] => {
  const policies = template.findResources('AWS::IAM::Policy');
  return Object.values(policies)
    .filter((policy) =>
      asArray(policy.Properties.Roles as unknown[]).some(
        (role) => JSON.stringify(role) === JSON.stringify({ Ref: roleLogicalId }),
      ),
    )
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
};

/** The sorted set of actions a role is allowed. */
export const actionsOfRole = (template: Template, roleLogicalId: string): string[] =>
  [
    ...new Set(
      statementsOfRole(template, roleLogicalId)
        .filter((statement) => statement.Effect === 'Allow')
        .flatMap((statement) => asArray(statement.Action)),
    ),
  ].sort();

/** Resources (as JSON text) of the statements that allow an action. */
export const resourcesFor = (template: Template, roleLogicalId: string, action: string): string[] =>
  statementsOfRole(template, roleLogicalId)
    .filter((statement) => asArray(statement.Action).includes(action))
    .flatMap((statement) => asArray(statement.Resource))
    .map((resource) => JSON.stringify(resource));

/** The role of a function construct (every HubFunction has its own). */
export const roleIdOf = (fn: { role?: IConstruct }): string => {
  if (!fn.role) throw new Error('function has no role');
  return logicalId(fn.role);
};

/**
 * The key prefixes under `bucket` a role may GetObject (`<bucket ARN>/<prefix>*`) but not list:
 * no s3:ListBucket statement on the bucket whose `s3:prefix` patterns take a ListObjectsV2 of any
 * key under it. S3 answers such a reader 403, not 404, for a missing key.
 */
export const unlistedReadPrefixes = (
  template: Template,
  roleLogicalId: string,
  bucket: IConstruct,
): string[] => {
  const bucketArn = JSON.stringify({ 'Fn::GetAtt': [logicalId(bucket), 'Arn'] });
  const statements = statementsOfRole(template, roleLogicalId).filter(
    (statement) => statement.Effect === 'Allow',
  );
  const listPatterns = statements
    .filter(
      (statement) =>
        asArray(statement.Action).includes('s3:ListBucket') &&
        asArray(statement.Resource).some((resource) => JSON.stringify(resource) === bucketArn),
    )
    .flatMap((statement) => {
      const condition = statement.Condition as
        | { StringLike?: { 's3:prefix'?: string | string[] } }
        | undefined;
      // No condition: the whole bucket.
      return condition === undefined ? ['*'] : asArray(condition.StringLike?.['s3:prefix'] ?? []);
    });
  const read = statements
    .filter((statement) => asArray(statement.Action).includes('s3:GetObject'))
    .flatMap((statement) => asArray(statement.Resource))
    .flatMap((resource) => {
      const parts = (resource as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join']?.[1];
      const [arn, suffix] = parts ?? [];
      return JSON.stringify(arn) === bucketArn && typeof suffix === 'string' && suffix.endsWith('*')
        ? [suffix.slice(1, -1)]
        : [];
    });
  return read.filter(
    (prefix) =>
      !listPatterns.some((pattern) => pattern.endsWith('*') && prefix.startsWith(pattern.slice(0, -1))),
  );
};
