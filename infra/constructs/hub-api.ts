import { RemovalPolicy } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

export interface HubApiProps {
  /**
   * Name of the HTTP API.
   * @default 'switchboard-webhooks'
   */
  readonly apiName?: string;
  /**
   * Steady-state request rate limit of the default stage (requests per second).
   * @default WEBHOOK_STAGE_THROTTLE.rateLimit
   */
  readonly rateLimit?: number;
  /**
   * Burst limit of the default stage.
   * @default WEBHOOK_STAGE_THROTTLE.burstLimit
   */
  readonly burstLimit?: number;
  /**
   * Retention of the access-log group.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * @default RemovalPolicy.DESTROY
   */
  readonly logRemovalPolicy?: RemovalPolicy;
  /**
   * Public base URL when a custom domain fronts the API; webhook URLs are built from it.
   * @default the execute-api endpoint
   */
  readonly publicBaseUrl?: string;
}

/**
 * Access-log fields. Deliberately no query string (the Meta handshake carries the verify token
 * there), no headers and no body: nothing secret or personal lands in the logs.
 */
const ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  requestTime: '$context.requestTime',
  routeKey: '$context.routeKey',
  status: '$context.status',
  protocol: '$context.protocol',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationLatency: '$context.integrationLatency',
  integrationStatus: '$context.integrationStatus',
  integrationError: '$context.integrationErrorMessage',
  sourceIp: '$context.identity.sourceIp',
} as const;

/**
 * The stage's brake: half the account's default API Gateway throttle (10,000 requests/s, burst
 * 5,000), so the hub takes campaign peaks (bench/scale.ts) and leaves the account's other APIs room.
 * It was 500/s, below what a deployment sees at 1,000 messages/s.
 */
export const WEBHOOK_STAGE_THROTTLE = { rateLimit: 5_000, burstLimit: 5_000 } as const;

/**
 * The public front door: one HTTP API whose `$default` stage auto-deploys, is throttled, and
 * writes JSON access logs to its own log group. Channels add their routes to `httpApi`.
 */
export class HubApi extends Construct {
  public readonly httpApi: apigwv2.HttpApi;
  public readonly stage: apigwv2.HttpStage;
  public readonly accessLogGroup: logs.LogGroup;
  /** Base URL webhook URLs are built from (no trailing slash). */
  public readonly baseUrl: string;

  constructor(scope: Construct, id: string, props: HubApiProps = {}) {
    super(scope, id);

    this.httpApi = new apigwv2.HttpApi(this, 'HttpApi', {
      apiName: props.apiName ?? 'switchboard-webhooks',
      description: 'Switchboard channel webhooks',
      createDefaultStage: false,
    });

    this.accessLogGroup = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.DESTROY,
    });

    this.stage = new apigwv2.HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: {
        rateLimit: props.rateLimit ?? WEBHOOK_STAGE_THROTTLE.rateLimit,
        burstLimit: props.burstLimit ?? WEBHOOK_STAGE_THROTTLE.burstLimit,
      },
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(this.accessLogGroup),
        format: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });

    // The $default stage serves at the root of the endpoint, so no stage segment is needed.
    this.baseUrl = props.publicBaseUrl ?? this.httpApi.apiEndpoint;
  }

  /** Full public URL of a route path such as `/webhooks/messenger`. */
  public urlFor(routePath: string): string {
    return `${this.baseUrl}${routePath}`;
  }
}
