import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer, HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { HELPDESK_API_MEDIA } from '#shared/api/media.ts';
import { API_CATCH_ALL, API_ROUTES } from '#shared/api/operations.ts';
import { CONVERSATION_OBJECT_PREFIXES } from '#shared/aws/payload-keys.ts';
import type { EmailProvider } from '#shared/domain/conversation-provider.ts';
import {
  CORE_FUNCTION_SECRET_SECTIONS,
  HELPDESK_API,
  PAYLOAD_BUCKET,
} from '#shared/resources/definitions.ts';
import {
  grantAbortUploads,
  grantDeletePayloads,
  grantGetPayloads,
  grantIndexQuery,
  grantListPayloads,
  grantListUploads,
  grantPutPayloads,
  grantReadSecret,
  grantSendMessage,
  grantTableItems,
} from './grants.ts';
import { HubApi } from './hub-api.ts';
import { HubFunction, type HubRuntimeEnvironment } from './hub-function.ts';
import type { HubStorage } from './hub-storage.ts';

/**
 * What the helpdesk API sends to the table itself (its indexes are granted apart). The handler
 * tests and the erasure test check the calls they make against it.
 */
export const HELPDESK_API_TABLE_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:UpdateItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:PutItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:DeleteItem',
] as const;

/**
 * What erasure does to the payload bucket: deletes objects (the ones records name, and what each
 * conversation owns by key), lists the prefixes a conversation owns (CONVERSATION_OBJECT_PREFIXES),
 * and lists and aborts the multipart uploads under its attachments (an upload a dead media fetcher
 * left). The erasure tests check their S3 calls against it.
 */
export const HELPDESK_API_PAYLOAD_ACTIONS = [
  's3:AbortMultipartUpload',
  's3:DeleteObject',
  's3:ListBucket',
  's3:ListBucketMultipartUploads',
] as const;

/**
 * What the attachment URLs are signed for (a presigned URL can do only what its signer may): GET
 * (and HEAD) of stored attachments, files uploaded to send and e-mail bodies stored apart
 * (`bodies/conv_*`, `bodies/email/*`: not the claim checks under `bodies/events/`, whole events of
 * every channel, which the Internet-facing function never reads: the route's first grant, of
 * 2026-12-06, was all of `bodies/`, found by a review), PUT of files to send.
 */
export const HELPDESK_API_MEDIA_GRANTS = {
  's3:GetObject': [...HELPDESK_API_MEDIA.readPrefixes, ...HELPDESK_API_MEDIA.bodyPrefixes],
  's3:PutObject': [HELPDESK_API_MEDIA.uploadPrefix],
} as const;

/**
 * What the API may list: what erasure lists (CONVERSATION_OBJECT_PREFIXES) and every prefix it
 * reads that those do not cover already (the e-mail bodies' `bodies/conv_` and `bodies/email/` are
 * under erasure's `bodies/`). Without listing over a key, S3 answers a HEAD of a missing object 403,
 * not 404, and an expired or erased file would read as a failure instead of gone (shared/api/media.ts).
 */
const HELPDESK_API_LISTED_PREFIXES: readonly string[] = [
  ...CONVERSATION_OBJECT_PREFIXES,
  ...HELPDESK_API_MEDIA_GRANTS['s3:GetObject'].filter(
    (prefix) => !CONVERSATION_OBJECT_PREFIXES.some((listed) => prefix.startsWith(listed)),
  ),
];

/** The response headers a browser front end may read (the API sets no Location and no idempotency header). */
const HELPDESK_API_EXPOSED_HEADERS = ['etag', 'retry-after', 'allow'] as const;

export interface HelpdeskApiProps {
  readonly storage: HubStorage;
  readonly runtimeEnvironment: HubRuntimeEnvironment;
  readonly apiName: string;
  /**
   * The provider e-mail conversations recorded before the hub kept theirs run through: the one the
   * sender replies through (its SWITCHBOARD_EMAIL_PROVIDER), which the API's events about them name.
   */
  readonly emailProvider: EmailProvider;
  /**
   * An OIDC issuer and audience: routes take a JWT instead of SigV4.
   * @default none (AWS IAM authorization on every route)
   */
  readonly jwt?: {
    readonly issuer: string;
    readonly audience: readonly string[];
    /**
     * Each route then requires the scope `<scopePrefix>/<access>` (`read`, `write` or `people`, as
     * API_ROUTES classifies it).
     * @default none (any valid token may call every route)
     */
    readonly scopePrefix?: string;
  };
  /**
   * Web origins of a browser front end (`https://helpdesk.example.com`): the API answers their CORS
   * preflight for its routes' methods and the headers it reads (a bearer token, If-Match,
   * Idempotency-Key, SigV4's), and lets them read the ETag, Retry-After and Allow it answers.
   * @default none (no CORS)
   */
  readonly browserOrigins?: readonly string[];
  /** @default 50 requests per second, bursts of 100 */
  readonly rateLimit?: number;
  readonly burstLimit?: number;
  readonly logRetention?: logs.RetentionDays;
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * The helpdesk's HTTP API: its own HTTP API (throttled, access-logged, never anonymous: IAM by
 * default, a JWT authorizer when configured), one route per endpoint into one Lambda that may do
 * exactly what the handlers call.
 */
export class HelpdeskApi extends Construct {
  public readonly api: HubApi;
  public readonly function: HubFunction;
  public readonly url: string;

  constructor(scope: Construct, id: string, props: HelpdeskApiProps) {
    super(scope, id);
    const { storage } = props;
    this.api = new HubApi(this, 'Api', {
      apiName: props.apiName,
      rateLimit: props.rateLimit ?? 50,
      burstLimit: props.burstLimit ?? 100,
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
      // Erasures, exports and merges are someone's: each access-log line names the caller.
      accessLogCaller: props.jwt ? 'jwt' : 'iam',
      ...(props.browserOrigins?.length
        ? {
            corsPreflight: {
              allowOrigins: [...props.browserOrigins],
              allowMethods: [...new Set(API_ROUTES.map((route) => apigwv2.CorsHttpMethod[route.method]))],
              allowHeaders: [
                'authorization',
                'content-type',
                'if-match',
                'idempotency-key',
                'x-amz-date',
                'x-amz-security-token',
                'x-amz-content-sha256',
              ],
              // Every header the API answers that a page must read beyond CORS's safelisted ones: the
              // ETag for If-Match, Retry-After (409 media-not-stored), Allow (405).
              exposeHeaders: [...HELPDESK_API_EXPOSED_HEADERS],
              maxAge: Duration.hours(1),
            },
          }
        : {}),
    });
    this.function = new HubFunction(this, 'Function', {
      entryName: 'helpdesk-api',
      description: 'Switchboard helpdesk API: conversations, messages, contacts; commands onto the outbox',
      runtimeEnvironment: {
        ...props.runtimeEnvironment,
        SWITCHBOARD_OUTBOX_QUEUE_URL: storage.outbox.queue.queueUrl,
        // An erasure files the kept opt-outs under the pseudonym key.
        SWITCHBOARD_PSEUDONYM_KEY_ARN: storage.pseudonymKey.secretArn,
        // Before 2026-12-06 the API's events named SES for an older e-mail conversation whatever the
        // sender replied through (found by a review).
        SWITCHBOARD_EMAIL_PROVIDER: props.emailProvider,
      },
      memorySize: HELPDESK_API.memoryMb,
      // An erasure, an export page or a merge runs within the request (provider redactions
      // included): up to API Gateway's 30 s integration limit, not Lambda's 10 s default.
      timeout: Duration.seconds(HELPDESK_API.timeoutSeconds),
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
    });
    // One invoke permission for the whole API (`<api id>/*/*/*`: any stage, method and path of this
    // API, no other), not CDK's default of one per route naming the route's path: those filled
    // ~12 KB of the function's 20 KB resource policy, and a few more routes would fail the deploy.
    const integration = new HttpLambdaIntegration('Integration', this.function, {
      scopePermissionToRoute: false,
    });
    const authorizer = props.jwt
      ? new HttpJwtAuthorizer('JwtAuthorizer', props.jwt.issuer, { jwtAudience: [...props.jwt.audience] })
      : new HttpIamAuthorizer();
    for (const route of API_ROUTES) {
      this.api.httpApi.addRoutes({
        path: route.path,
        methods: [apigwv2.HttpMethod[route.method]],
        integration,
        authorizer,
        ...(props.jwt?.scopePrefix
          ? { authorizationScopes: [`${props.jwt.scopePrefix}/${route.access}`] }
          : {}),
      });
    }
    // Every other request under /v1 (an unknown path, a method a path does not take) to the router,
    // authorized as the rest, so it answers problem+json 404 or 405 (with `Allow`), not API Gateway's
    // bare 404; no scope: the router runs no handler for it (shared/api/router.ts).
    this.api.httpApi.addRoutes({
      path: API_CATCH_ALL.path,
      methods: API_CATCH_ALL.methods.map((method) => apigwv2.HttpMethod[method]),
      integration,
      authorizer,
    });
    // The endpoint itself: the server of the OpenAPI document, whose paths start with /v1 (until
    // 2026-12-06 this ended in /v1, so a client built from the document called /v1/v1/…).
    this.url = this.api.urlFor('');

    // Exactly what the handlers call: GetItem (conversation), UpdateItem (PATCH; a send's key
    // reservation, conditional), BatchGetItem (hydrating a page), Query of gsi1–gsi4, PutItem (a
    // reservation in place of an expired one; a PATCH's announcement marker), DeleteItem (that
    // marker once its event is queued);
    // for a person's export and erasure, Query of the table
    // (their contact, identity and message partitions), PutItem (tombstones, kept opt-outs) and
    // BatchWriteItem (deletes), DeleteObject on the payload prefixes and a listing of what a
    // conversation owns under its id (claim checks, attachments, e-mail bodies) and of what it reads;
    // attachment URLs (below); the helpdesk queue and the outbox.
    grantTableItems(this.function, storage.table, HELPDESK_API_TABLE_ACTIONS, storage.dataKey);
    grantDeletePayloads(this.function, storage.payloadBucket, Object.values(PAYLOAD_BUCKET.prefixes));
    grantListPayloads(this.function, storage.payloadBucket, HELPDESK_API_LISTED_PREFIXES);
    // Erasure aborts the uploads a dead media fetcher left under a conversation's attachments
    // (shared/aws/blob-store.ts): listed on the bucket (IAM has no prefix condition for it), aborted
    // under attachments/ only.
    grantListUploads(this.function, storage.payloadBucket);
    grantAbortUploads(this.function, storage.payloadBucket, [PAYLOAD_BUCKET.prefixes.attachments]);
    // Attachment URLs (shared/api/media.ts): HeadObject and presigned GETs of stored attachments,
    // files sent by key and e-mail bodies stored apart (listed too, so a missing one answers 404),
    // presigned PUTs of files to send; no other prefix.
    grantGetPayloads(this.function, storage.payloadBucket, HELPDESK_API_MEDIA_GRANTS['s3:GetObject']);
    grantPutPayloads(this.function, storage.payloadBucket, HELPDESK_API_MEDIA_GRANTS['s3:PutObject']);
    // Erasure redacts the person's Twilio messages and deletes WhatsApp uploads: GetSecretValue on the
    // Twilio and Meta secrets, nothing else of Secrets Manager.
    storage.readChannelSecrets(this.function, CORE_FUNCTION_SECRET_SECTIONS['helpdesk-api']);
    // Erasure keeps the person's opt-outs under a keyed hash: the pseudonym key, read on the first
    // erasure or person view (which shows those opt-outs as the sender enforces them).
    grantReadSecret(this.function, storage.pseudonymKey, storage.dataKey);
    for (const index of ['gsi1', 'gsi2', 'gsi3', 'gsi4'])
      grantIndexQuery(this.function, storage.table, index, storage.dataKey);
    grantSendMessage(this.function, storage.helpdesk.queue, storage.dataKey);
    grantSendMessage(this.function, storage.outbox.queue, storage.dataKey);
  }
}
