import type { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { type FunctionUrl, FunctionUrlAuthType, InvokeMode } from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { grantPutPayloads, grantReadSecret, grantSendMessage, grantTableItems } from './grants.ts';
import type { HubApi } from './hub-api.ts';
import { HubFunction, type HubFunctionEntry, type HubRuntimeEnvironment } from './hub-function.ts';
import type { HubStorage } from './hub-storage.ts';

export interface WebhookRoute {
  /** Path the provider calls, e.g. `/webhooks/messenger` (on the HTTP API or the function URL). */
  readonly path: string;
  readonly methods: readonly apigwv2.HttpMethod[];
}

export interface ChannelWebhookProps {
  /**
   * The shared HTTP API to add the routes to. Without one, the function gets its own public
   * function URL instead (`ingress: 'function-urls'`), which serves every path: the route paths
   * are then only appended to it, so provider URLs keep the same shape in both modes.
   * @default none (a function URL)
   */
  readonly api?: HubApi;
  readonly storage: HubStorage;
  /** The function in functions/ that serves the routes. */
  readonly entryName: HubFunctionEntry;
  /** Routes served by the function; the first is the channel's main webhook URL. */
  readonly routes: readonly WebhookRoute[];
  /** Runtime variables for the function. */
  readonly runtimeEnvironment: HubRuntimeEnvironment;
  /**
   * Payload bucket prefixes the function writes to (s3:PutObject on `<prefix>*` only).
   * @default [] (no bucket access)
   */
  readonly payloadPrefixes?: readonly string[];
  /**
   * Whether the function keeps a replay guard in the table (dynamodb:PutItem on the table only).
   * @default false
   */
  readonly replayGuard?: boolean;
  /**
   * @default 256
   */
  readonly memorySize?: number;
  /**
   * Lambda timeout; keep it under HTTP API's 30-second integration limit (function URLs have none
   * below the Lambda maximum).
   * @default Duration.seconds(10)
   */
  readonly timeout?: Duration;
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
    const { storage } = props;
    const key = storage.dataKey;

    this.function = new HubFunction(this, 'Function', {
      entryName: props.entryName,
      description: `Switchboard webhook: ${props.routes.map((route) => route.path).join(', ')}`,
      // A function URL passes every path through: the function itself answers only its routes.
      runtimeEnvironment: props.api
        ? props.runtimeEnvironment
        : {
            ...props.runtimeEnvironment,
            SWITCHBOARD_WEBHOOK_PATHS: props.routes.map((route) => route.path).join(','),
          },
      memorySize: props.memorySize,
      timeout: props.timeout,
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
    });

    grantSendMessage(this.function, storage.ingest.queue, key);
    grantReadSecret(this.function, storage.channelSecret, key);
    grantPutPayloads(this.function, storage.payloadBucket, props.payloadPrefixes ?? []);
    if (props.replayGuard) {
      grantTableItems(this.function, storage.table, ['dynamodb:PutItem'], key);
    }

    if (props.api) {
      const { api } = props;
      const integration = new HttpLambdaIntegration(`${id}Integration`, this.function);
      this.integration = integration;
      this.routes = props.routes.flatMap((route) =>
        api.httpApi.addRoutes({ path: route.path, methods: [...route.methods], integration }),
      );
      for (const route of this.routes) {
        NagSuppressions.addResourceSuppressions(route, [
          {
            id: 'AwsSolutions-APIG4',
            reason:
              'Providers (Meta, Twilio, Mailgun) cannot send IAM, JWT or Cognito credentials; every request is authenticated in the function by the provider’s HMAC signature over the raw body.',
          },
        ]);
      }
      this.urls = props.routes.map((route) => api.urlFor(route.path));
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
      this.urls = props.routes.map((route) => `${base}${route.path.replace(/^\/+/, '')}`);
    }
  }
}
