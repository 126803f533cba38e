import { existsSync } from 'node:fs';
import path from 'node:path';
import { Duration, RemovalPolicy, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, type NodejsFunctionProps, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { NagSuppressions } from 'cdk-nag';
import type { Construct } from 'constructs';
import { parseRuntimeConfig, type RuntimeEnvironment } from '#shared/config/runtime.ts';
import {
  BUNDLE_LOG_OVERRIDES,
  BUNDLE_MAIN_FIELDS,
  BUNDLE_TARGET,
  bundleAliasOption,
  ESM_REQUIRE_BANNER,
  entryPath,
  type HubFunctionEntry,
  REPO_ROOT,
  TSCONFIG_PATH,
  WITHOUT_RUNTIME_SOURCE_MAPS,
} from '../bundling/options.ts';

export type { HubFunctionEntry } from '../bundling/options.ts';
export { ESM_REQUIRE_BANNER, entryPath, REPO_ROOT, ZOD_WITHOUT_LOCALES } from '../bundling/options.ts';

/** esbuild's CLI spelling of the shared aliases and log overrides (see infra/bundling/options.ts). */
const esbuildCliArgs = (): Record<string, string> => {
  const args: Record<string, string> = {};
  for (const [module, replacement] of Object.entries(bundleAliasOption()))
    args[`--alias:${module}`] = replacement;
  for (const [message, level] of Object.entries(BUNDLE_LOG_OVERRIDES))
    args[`--log-override:${message}`] = level;
  return args;
};

/**
 * The hub's runtime environment: the variables shared/config/runtime.ts parses, as strings. Only
 * the ARN of the channel secret travels here; its value is fetched at run time.
 */
export type HubRuntimeEnvironment = RuntimeEnvironment;

export interface HubFunctionProps
  extends Omit<NodejsFunctionProps, 'entry' | 'environment' | 'runtime' | 'architecture' | 'logGroup'> {
  /** Which file in functions/ to bundle. */
  readonly entryName: HubFunctionEntry;
  /** Runtime variables; NODE_OPTIONS is added for source maps unless `sourceMapsAtRunTime` is false. */
  readonly runtimeEnvironment: HubRuntimeEnvironment;
  /**
   * Retention of the function's own log group.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * What happens to the log group when the stack is deleted.
   * @default RemovalPolicy.DESTROY
   */
  readonly logRemovalPolicy?: RemovalPolicy;
  /**
   * Memory in MB.
   * @default 256
   */
  readonly memorySize?: number;
  /**
   * @default Duration.seconds(10)
   */
  readonly timeout?: Duration;
  /**
   * Active X-Ray tracing. Off by default: it costs per trace and needs extra IAM.
   * @default false
   */
  readonly tracingEnabled?: boolean;
  /**
   * Reserved concurrency, to cap a function's share of the account's concurrency.
   * @default none (unreserved)
   */
  readonly reservedConcurrentExecutions?: number;
  /**
   * Whether Node maps stack traces through the bundle's source map (`--enable-source-maps`). Node
   * then reads and decodes the whole map at import: about 11 ms and 7 MB more on a webhook's cold
   * start, 30–50 ms on the larger functions (`npm run bench -- --only=cold-start`). The map ships
   * with the code either way, so a stack can still be mapped by hand.
   * @default true, but false for the webhooks (WITHOUT_RUNTIME_SOURCE_MAPS, infra/bundling/options.ts)
   */
  readonly sourceMapsAtRunTime?: boolean;
}

/**
 * A Switchboard Lambda function with the project's defaults: Node.js 22 on arm64, one minified ESM
 * bundle (AWS SDK included, so the code runs the SDK version it was tested with), source maps,
 * its own log group with retention, and its own role that may only write to that log group. Grants
 * for everything else are added by the construct that uses it.
 */
export class HubFunction extends NodejsFunction {
  /** The function's dedicated log group (also reachable as the base class's `logGroup`). */
  public readonly functionLogGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: HubFunctionProps) {
    const entry = entryPath(props.entryName);
    if (!existsSync(entry)) throw new Error(`Lambda entry not found: ${entry}`);

    const {
      entryName,
      runtimeEnvironment,
      logRetention,
      logRemovalPolicy,
      tracingEnabled,
      bundling,
      sourceMapsAtRunTime = !WITHOUT_RUNTIME_SOURCE_MAPS.has(props.entryName),
      ...functionProps
    } = props;

    const logGroup = new logs.LogGroup(scope, `${id}LogGroup`, {
      retention: logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: logRemovalPolicy ?? RemovalPolicy.DESTROY,
    });

    // A role of our own instead of AWSLambdaBasicExecutionRole, which may write to any log group.
    const role =
      functionProps.role ??
      new iam.Role(scope, `${id}Role`, {
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
        description: `Switchboard ${entryName} function`,
      });

    // A function parses each variable on its first read (shared/config/runtime.ts); a bad literal
    // value fails here, at synth, naming the variable, instead of on a rare path in production.
    // Tokens (queue URLs, table names…) resolve at deploy time and are CloudFormation's to check.
    parseRuntimeConfig(
      Object.fromEntries(
        Object.entries(runtimeEnvironment).filter(
          ([, value]) => value !== undefined && !Token.isUnresolved(value),
        ),
      ),
    );
    const environment: Record<string, string> = sourceMapsAtRunTime
      ? { NODE_OPTIONS: '--enable-source-maps' }
      : {};
    for (const [key, value] of Object.entries(runtimeEnvironment)) {
      if (value !== undefined) environment[key] = value;
    }

    super(scope, id, {
      ...functionProps,
      entry,
      handler: 'handler',
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(10),
      tracing: tracingEnabled ? Tracing.ACTIVE : Tracing.DISABLED,
      role,
      logGroup,
      environment,
      projectRoot: REPO_ROOT,
      depsLockFilePath: path.join(REPO_ROOT, 'package-lock.json'),
      bundling: {
        format: OutputFormat.ESM,
        target: BUNDLE_TARGET,
        mainFields: [...BUNDLE_MAIN_FIELDS],
        banner: ESM_REQUIRE_BANNER,
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        // Bundle the AWS SDK rather than use the runtime's copy.
        externalModules: [],
        tsconfig: TSCONFIG_PATH,
        // zod without its locales; a zod export the slim entry lacks fails the build.
        esbuildArgs: esbuildCliArgs(),
        ...bundling,
      },
    });
    this.functionLogGroup = logGroup;

    if (!functionProps.role) {
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [logGroup.logGroupArn],
        }),
      );
    }

    NagSuppressions.addResourceSuppressions(this, [
      {
        id: 'AwsSolutions-L1',
        reason:
          'Pinned to nodejs22.x, the runtime the project builds, tests and benchmarks on; moved deliberately.',
      },
    ]);
  }
}
