import { Metrics } from '@aws-lambda-powertools/metrics';
import { runtimeConfig } from '#shared/config/runtime.ts';

/** A function's metrics, in its hub's namespace (SWITCHBOARD_METRICS_NAMESPACE, set by the CDK app). */
export const hubMetrics = (serviceName: string): Metrics =>
  new Metrics({ namespace: runtimeConfig().SWITCHBOARD_METRICS_NAMESPACE, serviceName });
