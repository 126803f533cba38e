import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { type FunctionUrl, FunctionUrlAuthType, InvokeMode } from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import type { WebhookConnectorOf } from '#shared/channels/registry.ts';
import { REPLAY_GUARD_PARTITION_PREFIX } from '#shared/store/keys.ts';
import { grantGetPayloads, grantPutPayloads, grantSendMessage, grantTableItems } from './grants.ts';
import type { HubApi } from './hub-api.ts';
import { HubFunction, type HubRuntimeEnvironment } from './hub-function.ts';
import type { HubStorage } from './hub-storage.ts';

export interface ChannelWebhookProps {
  /**
   * The shared HTTP API to add the routes to. Without one, the function gets its own public
   * function URL instead (`ingress: 'function-urls'`), which serves every path: the route paths
   * are then only appended to it, so provider URLs keep the same shape in both modes.
   * @default none (a function URL)
   */
  readonly api?: HubApi;
  readonly storage: HubStorage;
  /**
   * The connector from shared/channels/registry.ts: its function entry, routes, payload prefixes,
   * table writes, memory and timeout.
   */
  readonly connector: WebhookConnectorOf;
  /** Runtime variables for the function. */
  readonly runtimeEnvironment: HubRuntimeEnvironment;
  /**
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * @default RemovalPolicy.DESTROY
   */
  readonly logRemovalPolicy?: RemovalPolicy;
  /**
   * @default none
   */
  readonly reservedConcurrentExecutions?: number;
}

/**
 * One channel's webhook: the function and how providers reach it (its routes on the shared HTTP
 * API, or its own function URL), with only the permissions that function uses: send to the ingest
 * queue, read the channel secret, and optionally write payloads under given prefixes and claim
 * replay-guard items.
 */
export class ChannelWebhook extends Construct {
  public readonly function: HubFunction;
  /** The HTTP API integration; none with a function URL. */
  public readonly integration?: HttpLambdaIntegration;
  /** Routes on the HTTP API; empty with a function URL. */
  public readonly routes: apigwv2.HttpRoute[];
  /** The function's public URL when there is no HTTP API. */
  public readonly functionUrl?: FunctionUrl;
  /** Public URL of each route path, in the order given: what to register with the provider. */
  public readonly urls: readonly string[];

  constructor(scope: Construct, id: string, props: ChannelWebhookProps) {
    super(scope, id);
    const { storage, connector } = props;
    const key = storage.dataKey;

    this.function = new HubFunction(this, 'Function', {
      entryName: connector.functionEntry,
      description: `Switchboard webhook: ${connector.routes.map((route) => route.path).join(', ')}`,
      // A function URL passes every path through: the function itself answers only its routes.
      runtimeEnvironment: props.api
        ? props.runtimeEnvironment
        : {
            ...props.runtimeEnvironment,
            SWITCHBOARD_WEBHOOK_PATHS: connector.routes.map((route) => route.path).join(','),
          },
      memorySize: connector.memorySizeMb,
      timeout: Duration.seconds(connector.timeoutSeconds),
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
    });

    grantSendMessage(this.function, storage.ingest.queue, key);
    storage.readChannelSecrets(this.function, connector.secretSections);
    grantPutPayloads(this.function, storage.payloadBucket, connector.payloadWritePrefixes);
    grantGetPayloads(this.function, storage.payloadBucket, connector.payloadReadPrefixes);
    const tableWrites: readonly string[] = connector.tableWrites;
    if (tableWrites.includes('replay-guard')) {
      // Only replay-guard items: the partition key of every item written must start with REPLAY#.
      grantTableItems(this.function, storage.table, ['dynamodb:PutItem'], key, {
        leadingKeyPrefixes: [REPLAY_GUARD_PARTITION_PREFIX],
      });
    }

    if (props.api) {
      const { api } = props;
      const integration = new HttpLambdaIntegration(`${id}Integration`, this.function);
      this.integration = integration;
      this.routes = connector.routes.flatMap((route) =>
        api.httpApi.addRoutes({
          path: route.path,
          methods: route.methods.map((method) => HttpMethod[method]),
          integration,
        }),
      );
      for (const route of this.routes) {
        NagSuppressions.addResourceSuppressions(route, [
          {
            id: 'AwsSolutions-APIG4',
            reason:
              'Providers (Meta, Twilio, Mailgun) cannot send IAM, JWT or Cognito credentials; every request is authenticated in the function by what its provider documents: Meta’s HMAC over the raw body (its GET subscription handshake by the verify token), Twilio’s HMAC over the public URL and the sorted form parameters, Mailgun’s HMAC over its timestamp and single-use token.',
          },
        ]);
      }
      this.urls = connector.routes.map((route) => api.urlFor(route.path));
    } else {
      // Auth NONE for the same reason as the API routes: providers sign their requests, they cannot
      // sign with SigV4. aws-cdk-lib grants the public resource policy both actions AWS requires
      // for new function URLs since October 2025: lambda:InvokeFunctionUrl (FunctionUrlAuthType
      // NONE) and lambda:InvokeFunction (InvokedViaFunctionUrl). No CORS: providers call server
      // to server.
      this.functionUrl = this.function.addFunctionUrl({
        authType: FunctionUrlAuthType.NONE,
        invokeMode: InvokeMode.BUFFERED,
      });
      this.routes = [];
      // The function URL ends in `/`; the route path is appended without its leading slash.
      const base = this.functionUrl.url;
      this.urls = connector.routes.map((route) => `${base}${route.path.replace(/^\/+/, '')}`);
    }
  }
}
