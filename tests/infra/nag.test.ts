import { Aspects } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { readConfig } from '#infra/config.ts';
import { SwitchboardStack } from '#infra/switchboard-stack.ts';
import { ALL_CHANNELS_CONTEXT, testApp } from './support.ts';

// Prepare (once per file): the shapes that differ most, each checked by the AwsSolutions pack.
const checked = (context: Record<string, unknown>) => {
  const app = testApp(context);
  const config = readConfig((key) => app.node.tryGetContext(key));
  const stack = new SwitchboardStack(app, config.namePrefix, { config });
  Aspects.of(stack).add(new AwsSolutionsChecks({ verbose: true }));
  return { stack, annotations: Annotations.fromStack(stack) };
};
const deployments = {
  development: checked(ALL_CHANNELS_CONTEXT),
  'production with a customer-managed key': checked({
    ...ALL_CHANNELS_CONTEXT,
    production: 'true',
    customerManagedKey: 'true',
    alarmEmail: 'ops@example.com',
    publicBaseUrl: 'https://hooks.example.com',
    helpdeskApi: 'true',
  }),
  'function URLs instead of the HTTP API': checked({
    ...ALL_CHANNELS_CONTEXT,
    ingress: 'function-urls',
    helpdeskApi: 'true',
  }),
};

/** Rules waived in every shape, each for a reason documented where it is suppressed. */
const ALWAYS_WAIVED = ['AwsSolutions-IAM5', 'AwsSolutions-L1', 'AwsSolutions-SMG4'];
/** Rules waived only where the shape has the resource they are about. */
const WAIVED = {
  development: ['AwsSolutions-APIG4', ...ALWAYS_WAIVED],
  'production with a customer-managed key': ['AwsSolutions-APIG4', ...ALWAYS_WAIVED],
  'function URLs instead of the HTTP API': ALWAYS_WAIVED,
} satisfies Record<keyof typeof deployments, string[]>;

interface Suppression {
  readonly id: string;
  readonly reason: string;
  readonly applies_to?: unknown[];
}

describe('cdk-nag AwsSolutions', () => {
  it.each(Object.entries(deployments))('%s: no unsuppressed errors or warnings', (_name, { annotations }) => {
    // Act
    const findings = [
      ...annotations.findError('*', Match.stringLikeRegexp('AwsSolutions-.*')),
      ...annotations.findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*')),
    ].map((finding) => `${finding.id}: ${String(finding.entry.data).split('\n')[0]}`);
    // Assess
    expect(findings).toEqual([]);
  });

  it.each(
    Object.entries(deployments) as Array<
      [keyof typeof deployments, (typeof deployments)[keyof typeof deployments]]
    >,
  )('%s: every suppression is narrow and says why', (name, { stack }) => {
    // Act
    const suppressions = stack.node
      .findAll()
      .flatMap((construct) =>
        construct.node.metadata
          .filter((entry) => entry.type === 'cdk_nag')
          .flatMap((entry) => (entry.data as { rules_to_suppress: Suppression[] }).rules_to_suppress),
      );
    const fromCfnMetadata = stack.node.findAll().flatMap((construct) => {
      const metadata = (
        construct as { cfnOptions?: { metadata?: { cdk_nag?: { rules_to_suppress: Suppression[] } } } }
      ).cfnOptions?.metadata?.cdk_nag?.rules_to_suppress;
      return metadata ?? [];
    });
    const all = [...suppressions, ...fromCfnMetadata];
    // Assess
    expect(all.length).toBeGreaterThan(0);
    for (const suppression of all) {
      expect(suppression.reason.length, suppression.id).toBeGreaterThan(60);
      if (suppression.id === 'AwsSolutions-IAM5')
        expect(suppression.applies_to?.length, suppression.reason).toBeGreaterThan(0);
    }
    // Only these rules are ever waived, each for a reason documented where it is suppressed.
    expect([...new Set(all.map((suppression) => suppression.id))].sort()).toEqual([...WAIVED[name]].sort());
  });
});
