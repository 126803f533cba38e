import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { toApiGatewayResult, toWebhookRequest } from '#shared/aws/apigw.ts';
import { signedCallDeadline } from '#shared/aws/signed/signed-caller.ts';
import { textResponse, type WebhookOutcome, type WebhookRequest } from '#shared/channels/inbound.ts';
import { CONNECTORS, type WebhookConnectorId } from '#shared/channels/registry.ts';
import { runtimeConfig } from '#shared/config/runtime.ts';
import {
  type ChannelSecrets,
  MissingSecretSectionError,
  requireSections,
  SecretSectionUnreadableError,
  type SecretsWith,
  type SectionParsers,
} from '#shared/config/secrets/sections.ts';
import { errorNameOf, logger } from '#shared/observability/logger.ts';
import { logRequestId } from '#shared/observability/middleware.ts';
import { type ProcessWebhookDeps, processWebhook, UNAVAILABLE_RESPONSE } from './process-webhook.ts';
import { webhookDeps, webhookSecrets } from './wiring.ts';

const NOT_FOUND_RESPONSE = textResponse(
  404,
  JSON.stringify({ error: 'no webhook at this path' }),
  'application/json',
);

/** The sections of the channel secret a connector names in the registry. */
type SectionsOf<C extends WebhookConnectorId> = (typeof CONNECTORS)[C]['secretSections'][number];

/** Binds an adapter to this invocation's secrets, narrowed to its connector's sections. */
export type BindAdapter<C extends WebhookConnectorId> = (
  request: WebhookRequest,
  secrets: SecretsWith<SectionsOf<C>>,
) => WebhookOutcome | Promise<WebhookOutcome>;

export interface WebhookLambdaOptions {
  /** Defaults to the process-wide S3 store and SQS publisher. */
  readonly deps?: () => Omit<ProcessWebhookDeps, 'logger'>;
  readonly secrets?: () => Promise<ChannelSecrets>;
}

/**
 * One HTTP API route: API Gateway event → WebhookRequest → adapter → processWebhook → response.
 * Nothing here decides anything about the provider's payload. `parsers` are the connector's secret
 * sections (the registry's `secretSections`, each of them and no other), imported by the function
 * from each section's own module: the bundle holds no other provider's schema.
 */
export const createWebhookHandler = <C extends WebhookConnectorId>(
  connectorId: C,
  parsers: SectionParsers<SectionsOf<C>>,
  bind: BindAdapter<C>,
  options: WebhookLambdaOptions = {},
) => {
  const connector = CONNECTORS[connectorId];
  const { channel } = connector;
  const sections = connector.secretSections as readonly SectionsOf<C>[];
  const secretsOf = options.secrets ?? webhookSecrets(parsers);
  const log = logger.child({ channel });
  return middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
    .use(logRequestId())
    .use(signedCallDeadline())
    .handler(async (event) => {
      const request = toWebhookRequest(event, new Date());
      let secrets: SecretsWith<SectionsOf<C>>;
      let deps: Omit<ProcessWebhookDeps, 'logger'>;
      try {
        const paths = runtimeConfig().SWITCHBOARD_WEBHOOK_PATHS;
        if (paths && !paths.includes(request.path)) {
          // Behind a function URL every path arrives; a provider registered with a wrong URL learns it here.
          log.warn('webhook path not served', { outcome: 'reject', statusCode: 404 });
          return toApiGatewayResult(NOT_FOUND_RESPONSE);
        }
        secrets = requireSections(await secretsOf(), sections);
        deps = (options.deps ?? webhookDeps(connector.spillOnPublishFailure))();
      } catch (error) {
        // Secrets Manager down or a misconfigured function: the provider must retry, not give up.
        log.error('webhook dependencies unavailable', {
          errorName: errorNameOf(error),
          // Names the missing or unreadable secret sections (and the read's error name), never a value.
          ...(error instanceof MissingSecretSectionError || error instanceof SecretSectionUnreadableError
            ? { reason: error.message }
            : {}),
          statusCode: 503,
        });
        return toApiGatewayResult(UNAVAILABLE_RESPONSE);
      }
      const response = await processWebhook(request, (bound) => bind(bound, secrets), {
        ...deps,
        logger: log.child({ route: request.path }),
      });
      return toApiGatewayResult(response);
    });
};
