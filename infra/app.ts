import { Annotations, App, Aspects, Tags } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { readConfig, unknownContextKeys } from './config.ts';
import { SwitchboardStack } from './switchboard-stack.ts';

const app = new App();
const config = (() => {
  try {
    return readConfig((key) => app.node.tryGetContext(key));
  } catch (error) {
    // A readable list of bad keys, not a stack trace.
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
})();

// No env: the stack is account- and region-agnostic and synthesizes offline.
const stack = new SwitchboardStack(app, config.namePrefix, { config });
Tags.of(stack).add('project', 'switchboard');
// A misspelt key would deploy the default silently: said at every synth (`cdk synth --strict` fails on it).
for (const { key, meant } of unknownContextKeys(Object.keys(app.node.getAllContext()))) {
  Annotations.of(stack).addWarningV2(
    'switchboard:unknown-context-key',
    `Context key "${key}" is not a Switchboard setting and is ignored${meant ? ` (did you mean "${meant}"?)` : ''}`,
  );
}

// Every synth is checked; a finding without a reasoned suppression fails it.
Aspects.of(app).add(new AwsSolutionsChecks({ verbose: true }));

app.synth();
