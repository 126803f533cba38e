import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { WebhookOutcome, WebhookRequest } from '#shared/adapters/types.ts';
import { toApiGatewayResult, toWebhookRequest } from '#shared/aws/apigw.ts';
import { channelSecrets } from '#shared/aws/secrets.ts';
import type { ChannelSecrets } from '#shared/config/secrets.ts';
import type { Channel } from '#shared/contract/index.ts';
import { errorNameOf, logger } from '#shared/observability/logger.ts';
import { logRequestId } from '#shared/observability/middleware.ts';
import { webhookDeps } from './deps.ts';
import { type ProcessWebhookDeps, processWebhook, UNAVAILABLE_RESPONSE } from './process-webhook.ts';

/** Binds an adapter to this invocation's secrets. */
export type BindAdapter = (
  request: WebhookRequest,
  secrets: ChannelSecrets,
) => WebhookOutcome | Promise<WebhookOutcome>;

export interface WebhookLambdaOptions {
  /** Defaults to the process-wide S3 store and SQS publisher. */
  readonly deps?: () => Omit<ProcessWebhookDeps, 'logger'>;
  readonly secrets?: () => Promise<ChannelSecrets>;
}

/**
 * One HTTP API route: API Gateway event → WebhookRequest → adapter → processWebhook → response.
 * Nothing here decides anything about the provider's payload.
 */
export const createWebhookHandler = (
  channel: Channel,
  bind: BindAdapter,
  options: WebhookLambdaOptions = {},
) => {
  const log = logger.child({ channel });
  return middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
    .use(logRequestId())
    .handler(async (event) => {
      const request = toWebhookRequest(event, new Date());
      let secrets: ChannelSecrets;
      let deps: Omit<ProcessWebhookDeps, 'logger'>;
      try {
        secrets = await (options.secrets ?? channelSecrets)();
        deps = (options.deps ?? webhookDeps)();
      } catch (error) {
        // Secrets Manager down or a misconfigured function: the provider must retry, not give up.
        log.error('webhook dependencies unavailable', { errorName: errorNameOf(error), statusCode: 503 });
        return toApiGatewayResult(UNAVAILABLE_RESPONSE);
      }
      const response = await processWebhook(request, (bound) => bind(bound, secrets), {
        ...deps,
        logger: log.child({ route: request.path }),
      });
      return toApiGatewayResult(response);
    });
};
