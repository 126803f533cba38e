import type { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { grantPutPayloads, grantReadSecret, grantSendMessage, grantTableItems } from './grants.ts';
import type { HubApi } from './hub-api.ts';
import { HubFunction, type HubFunctionEntry, type HubRuntimeEnvironment } from './hub-function.ts';
import type { HubStorage } from './hub-storage.ts';

export interface WebhookRoute {
  /** Path on the HTTP API, e.g. `/webhooks/messenger`. */
  readonly path: string;
  readonly methods: readonly apigwv2.HttpMethod[];
}

export interface ChannelWebhookProps {
  readonly api: HubApi;
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
   * Lambda timeout; keep it under HTTP API's 30-second integration limit.
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
 * One channel's webhook: its routes on the shared HTTP API and the function behind them, with only
 * the permissions that function uses: send to the ingest queue, read the channel secret, and
 * optionally write payloads under given prefixes and claim replay-guard items.
 */
export class ChannelWebhook extends Construct {
  public readonly function: HubFunction;
  public readonly integration: HttpLambdaIntegration;
  public readonly routes: apigwv2.HttpRoute[];
  /** Public URL of each route path, in the order given. */
  public readonly urls: readonly string[];

  constructor(scope: Construct, id: string, props: ChannelWebhookProps) {
    super(scope, id);
    const { storage } = props;
    const key = storage.dataKey;

    this.function = new HubFunction(this, 'Function', {
      entryName: props.entryName,
      description: `Switchboard webhook: ${props.routes.map((route) => route.path).join(', ')}`,
      runtimeEnvironment: props.runtimeEnvironment,
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

    this.integration = new HttpLambdaIntegration(`${id}Integration`, this.function);
    this.routes = props.routes.flatMap((route) =>
      props.api.httpApi.addRoutes({
        path: route.path,
        methods: [...route.methods],
        integration: this.integration,
      }),
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
    this.urls = props.routes.map((route) => props.api.urlFor(route.path));
  }
}
