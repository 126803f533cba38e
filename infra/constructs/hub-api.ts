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
  /**
   * Who called, in each access-log line: the IAM principal's ARN (`iam`) or the JWT's subject
   * (`jwt`), for an API whose callers are authenticated (the helpdesk API's erasures, exports and
   * merges must be traceable to someone; CloudTrail does not record execute-api calls).
   * @default none (the webhooks: providers, no authenticated caller)
   */
  readonly accessLogCaller?: 'iam' | 'jwt';
  /**
   * CORS preflight answered by API Gateway (browser front ends).
   * @default none (no CORS: servers and tools call it, pages do not)
   */
  readonly corsPreflight?: apigwv2.CorsPreflightOptions;
}

/** The access-log field naming the authenticated caller, per authorizer (HTTP API context variables). */
const CALLER_FIELD = {
  iam: '$context.identity.userArn',
  jwt: '$context.authorizer.claims.sub',
} as const;

/**
 * Access-log fields. Deliberately no query string (the Meta handshake carries the verify token
 * there), no headers and no body: nothing secret or personal lands in the logs.
 */
const ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  /** The Lambda's own request id (its log lines' `requestId`; theirs carry this line's as `apiRequestId`). */
  integrationRequestId: '$context.integration.requestId',
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
 * The stage's brake, for each route: CloudFormation's `DefaultRouteSettings`, which HTTP APIs apply
 * per route ("default route throttling limits"), so each webhook may take 5,000 requests/s (burst
 * 5,000) and all of them together are held only by the account's 10,000 (bench/scale.ts weighs the
 * busiest route). It was 500/s, below what a deployment sees at 1,000 messages/s.
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
      ...(props.corsPreflight ? { corsPreflight: props.corsPreflight } : {}),
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
        format: AccessLogFormat.custom(
          JSON.stringify({
            ...ACCESS_LOG_FIELDS,
            ...(props.accessLogCaller ? { caller: CALLER_FIELD[props.accessLogCaller] } : {}),
          }),
        ),
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
