import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { toApiGatewayResult, toWebhookRequest } from '#shared/aws/apigw.ts';
import { channelSecrets } from '#shared/aws/secrets.ts';
import { textResponse, type WebhookOutcome, type WebhookRequest } from '#shared/channels/inbound.ts';
import { runtimeConfig } from '#shared/config/runtime.ts';
import type { ChannelSecrets } from '#shared/config/secrets.ts';
import type { Channel } from '#shared/contract/types.ts';
import { errorNameOf, logger } from '#shared/observability/logger.ts';
import { logRequestId } from '#shared/observability/middleware.ts';
import { type ProcessWebhookDeps, processWebhook, UNAVAILABLE_RESPONSE } from './process-webhook.ts';
import { webhookDeps } from './wiring.ts';

const NOT_FOUND_RESPONSE = textResponse(
  404,
  JSON.stringify({ error: 'no webhook at this path' }),
  'application/json',
);

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
        const paths = runtimeConfig().SWITCHBOARD_WEBHOOK_PATHS;
        if (paths && !paths.includes(request.path)) {
          // Behind a function URL every path arrives; a provider registered with a wrong URL learns it here.
          log.warn('webhook path not served', { outcome: 'reject', statusCode: 404 });
          return toApiGatewayResult(NOT_FOUND_RESPONSE);
        }
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
