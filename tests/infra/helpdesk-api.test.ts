import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it, vi } from 'vitest';
import { HELPDESK_API_MEDIA_GRANTS, HELPDESK_API_PAYLOAD_ACTIONS } from '#infra/constructs/helpdesk-api.ts';
import { HELPDESK_API_MEDIA } from '#shared/api/media.ts';
import { API_ROUTES } from '#shared/api/operations.ts';
import type { HelpdeskApiWiring } from '#shared/api/wiring.ts';
import { claimCheckKeyFor } from '#shared/aws/claim-check-keys.ts';
import {
  CONVERSATION_OBJECT_PREFIXES,
  conversationObjectPrefixes,
  EMAIL_BODY_PREFIXES,
  emailBodyKey,
} from '#shared/aws/payload-keys.ts';
import { resetRuntimeConfig } from '#shared/config/runtime.ts';
import { PROVIDER_ERASURE } from '#shared/outbound/provider-erasure.ts';
import { ATTENTION_SWEEPER, HELPDESK_API, PAYLOAD_BUCKET } from '#shared/resources/definitions.ts';
import { ANNOUNCEMENT_GRACE_SECONDS } from '#shared/store/pending-announcements.ts';
import {
  ALL_CHANNELS_CONTEXT,
  actionsOfRole,
  buildHub,
  logicalId,
  resourcesFor,
  roleIdOf,
  statementsOfRole,
  unlistedReadPrefixes,
} from './support.ts';

// The wiring the function module gives the API, kept instead of served.
const wired: Partial<HelpdeskApiWiring> = {};
vi.mock('#shared/api/wiring.ts', () => ({
  createHelpdeskApiHandler: (wiring: HelpdeskApiWiring) => {
    Object.assign(wired, wiring);
    return async () => ({ statusCode: 500 });
  },
}));

// Prepare (once per file): the default (IAM) and a JWT-authorized deployment.
const iam = buildHub({ helpdeskApi: 'true' });
const jwt = buildHub({
  helpdeskApi: 'true',
  helpdeskJwtIssuer: 'https://idp.example.com/',
  helpdeskJwtAudience: 'helpdesk,ops',
});
const scoped = buildHub({
  helpdeskApi: 'true',
  helpdeskJwtIssuer: 'https://idp.example.com/',
  helpdeskJwtAudience: 'helpdesk',
  helpdeskJwtScopePrefix: 'switchboard',
});
const apiOf = (built: typeof iam) => {
  const api = built.stack.helpdeskApi;
  if (!api) throw new Error('no helpdesk API');
  return api;
};

describe('HelpdeskApi', () => {
  it('outputs the API endpoint itself as HelpdeskApiUrl, the server the OpenAPI document names (its paths start with /v1)', () => {
    // Act
    const output = iam.template.findOutputs('HelpdeskApiUrl').HelpdeskApiUrl;
    const api = logicalId(apiOf(iam).api.httpApi);
    // Assess: before 2026-12-06 it ended in /v1, so a client built from the document called /v1/v1/…
    expect(output?.Value).toEqual({ 'Fn::GetAtt': [api, 'ApiEndpoint'] });
  });

  it('routes every endpoint through IAM authorization, throttled', () => {
    // Act
    const routes = iam.template.findResources('AWS::ApiGatewayV2::Route');
    const api = logicalId(apiOf(iam).api.httpApi);
    const ours = Object.values(routes).filter(
      (route) => JSON.stringify(route.Properties.ApiId) === JSON.stringify({ Ref: api }),
    );
    // Assess
    // Each endpoint, and per method but OPTIONS (a CORS preflight stays API Gateway's) the catch-all
    // that hands the rest to the router for its problem+json 404 or 405.
    expect(ours.map((route) => route.Properties.RouteKey).sort()).toEqual(
      [
        ...API_ROUTES.map((route) => `${route.method} ${route.path}`),
        ...['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'].map((method) => `${method} /v1/{proxy+}`),
      ].sort(),
    );
    expect(ours.every((route) => route.Properties.AuthorizationType === 'AWS_IAM')).toBe(true);
    iam.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      ApiId: { Ref: api },
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
    });
  });

  it('with a scope prefix, asks each route for the scope of what it does: erasure only with people', () => {
    // Act
    const scopesOf = (built: typeof iam) =>
      Object.fromEntries(
        Object.values(built.template.findResources('AWS::ApiGatewayV2::Route')).map((route) => [
          route.Properties.RouteKey,
          route.Properties.AuthorizationScopes,
        ]),
      );
    const scopes = scopesOf(scoped);
    // Assess
    for (const route of API_ROUTES)
      expect(scopes[`${route.method} ${route.path}`]).toEqual([`switchboard/${route.access}`]);
    expect(scopes['DELETE /v1/contacts/{contactId}']).toEqual(['switchboard/people']);
    expect(scopes['GET /v1/contacts/{contactId}/export']).toEqual(['switchboard/people']);
    expect(scopes['GET /v1/conversations']).toEqual(['switchboard/read']);
    expect(scopes['POST /v1/conversations/{conversationId}/messages']).toEqual(['switchboard/write']);
    // The catch-all runs no handler: any valid token gets its 404 or 405.
    expect(scopes['DELETE /v1/{proxy+}']).toBeUndefined();
    expect(Object.values(scopesOf(jwt)).every((value) => value === undefined)).toBe(true);
  });

  it.each([
    ['IAM', iam],
    ['JWT', jwt],
  ] as const)(
    '(%s) lets API Gateway invoke the function through this API only, in one permission for every route: one per route filled ~12 KB of the 20 KB resource policy',
    (_, built) => {
      // Act
      const fn = logicalId(apiOf(built).function);
      const permissions = Object.values(built.template.findResources('AWS::Lambda::Permission')).filter(
        (permission) => JSON.stringify(permission.Properties.FunctionName).includes(`"${fn}"`),
      );
      // Assess: any stage, method and path of the helpdesk API, and nothing else (not the webhooks' API)
      expect(permissions).toHaveLength(1);
      expect(permissions[0]?.Properties).toEqual({
        Action: 'lambda:InvokeFunction',
        FunctionName: { 'Fn::GetAtt': [fn, 'Arn'] },
        Principal: 'apigateway.amazonaws.com',
        SourceArn: {
          'Fn::Join': [
            '',
            [
              'arn:',
              { Ref: 'AWS::Partition' },
              ':execute-api:',
              { Ref: 'AWS::Region' },
              ':',
              { Ref: 'AWS::AccountId' },
              ':',
              { Ref: logicalId(apiOf(built).api.httpApi) },
              '/*/*/*',
            ],
          ],
        },
      });
    },
  );

  it('takes a JWT from the configured issuer and audiences instead', () => {
    // Assess
    jwt.template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      JwtConfiguration: { Issuer: 'https://idp.example.com/', Audience: ['helpdesk', 'ops'] },
    });
    const routes = Object.values(jwt.template.findResources('AWS::ApiGatewayV2::Route'));
    expect(routes.filter((route) => route.Properties.AuthorizationType === 'JWT')).toHaveLength(
      API_ROUTES.length + 6,
    );
  });

  it('may do exactly what the handlers call: item reads and updates, queries, erasure writes, a merge withdrawn (a cycle), the two queues, payload deletes, the channel secret and the pseudonym key', () => {
    // Act
    const { stack, template } = iam;
    const roleId = roleIdOf(apiOf(iam).function);
    const actions = actionsOfRole(template, roleId);
    const arnOf = (construct: Parameters<typeof logicalId>[0]) =>
      JSON.stringify({ 'Fn::GetAtt': [logicalId(construct), 'Arn'] });
    // Assess
    expect(actions.filter((action) => action.startsWith('dynamodb:')).sort()).toEqual([
      'dynamodb:BatchGetItem',
      'dynamodb:BatchWriteItem',
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
    ]);
    expect(actions).not.toContain('dynamodb:Scan');
    expect(actions).not.toContain('dynamodb:DeleteTable');
    // The table (a person's partitions) and gsi1–gsi4.
    expect(resourcesFor(template, roleId, 'dynamodb:Query')).toHaveLength(5);
    expect(actions.filter((action) => action.startsWith('s3:'))).toEqual(
      [...HELPDESK_API_PAYLOAD_ACTIONS, ...Object.keys(HELPDESK_API_MEDIA_GRANTS)].sort(),
    );
    expect(resourcesFor(template, roleId, 'sqs:SendMessage').sort()).toEqual(
      [arnOf(stack.storage.helpdesk.queue), arnOf(stack.storage.outbox.queue)].sort(),
    );
    // Erasure's redaction at Twilio reads the channel secret (its Twilio section), and its kept
    // opt-outs are filed under the pseudonym key: those two, nothing more.
    expect(actions.filter((action) => action.startsWith('secretsmanager:'))).toEqual([
      'secretsmanager:GetSecretValue',
    ]);
    expect(resourcesFor(template, roleId, 'secretsmanager:GetSecretValue').sort()).toEqual(
      [
        JSON.stringify({ Ref: logicalId(stack.storage.channelSecrets.meta) }),
        JSON.stringify({ Ref: logicalId(stack.storage.channelSecrets.twilio) }),
        JSON.stringify({ Ref: logicalId(stack.storage.pseudonymKey) }),
      ].sort(),
    );
  });

  it('lists the payload bucket under what a conversation owns and what it reads only, covering every prefix erasure lists', () => {
    // Act
    const { stack, template } = iam;
    const roleId = roleIdOf(apiOf(iam).function);
    const listing = statementsOfRole(template, roleId).filter((statement) =>
      [statement.Action].flat().includes('s3:ListBucket'),
    );
    // Assess
    expect(listing).toHaveLength(1);
    expect(listing[0]?.Action).toBe('s3:ListBucket');
    expect(JSON.stringify(listing[0]?.Resource)).toBe(
      JSON.stringify({ 'Fn::GetAtt': [logicalId(stack.storage.payloadBucket), 'Arn'] }),
    );
    const condition = listing[0]?.Condition as { StringLike?: { 's3:prefix'?: string[] } } | undefined;
    const allowed = condition?.StringLike?.['s3:prefix'] ?? [];
    expect(allowed).toEqual(
      [...CONVERSATION_OBJECT_PREFIXES, PAYLOAD_BUCKET.prefixes.outboundMedia].map((prefix) => `${prefix}*`),
    );
    // What erasure lists for a conversation (shared/store/erasure.ts) is inside the grant
    const listed = conversationObjectPrefixes(`conv_${'0a'.repeat(16)}`);
    expect(listed).toHaveLength(4);
    for (const prefix of listed)
      expect(allowed.some((pattern) => prefix.startsWith(pattern.slice(0, -1)))).toBe(true);
  });

  it("lists the bucket's multipart uploads and aborts them under attachments/ only: erasure's end of an upload a dead media fetcher left", () => {
    // Act
    const { stack, template } = iam;
    const roleId = roleIdOf(apiOf(iam).function);
    const listing = statementsOfRole(template, roleId).filter((statement) =>
      [statement.Action].flat().includes('s3:ListBucketMultipartUploads'),
    );
    // Assess: on the bucket, without a condition (IAM has no s3:prefix for this action: one would refuse every call)
    expect(listing).toHaveLength(1);
    expect(listing[0]?.Action).toBe('s3:ListBucketMultipartUploads');
    expect(JSON.stringify(listing[0]?.Resource)).toBe(
      JSON.stringify({ 'Fn::GetAtt': [logicalId(stack.storage.payloadBucket), 'Arn'] }),
    );
    expect(listing[0]?.Condition).toBeUndefined();
    expect(resourcesFor(template, roleId, 's3:AbortMultipartUpload')).toEqual([
      JSON.stringify({
        'Fn::Join': [
          '',
          [
            { 'Fn::GetAtt': [logicalId(stack.storage.payloadBucket), 'Arn'] },
            `/${PAYLOAD_BUCKET.prefixes.attachments}*`,
          ],
        ],
      }),
    ]);
  });

  it('may list every prefix it reads, so S3 answers a missing attachment or upload 404 (gone), not 403', () => {
    // Act
    const { stack, template } = iam;
    const unlisted = unlistedReadPrefixes(
      template,
      roleIdOf(apiOf(iam).function),
      stack.storage.payloadBucket,
    );
    // Assess
    expect(unlisted).toEqual([]);
  });

  it('signs attachment URLs with exactly what they do: GET of stored attachments, uploads and e-mail bodies, PUT of uploads', () => {
    // Act
    const { stack, template } = iam;
    const roleId = roleIdOf(apiOf(iam).function);
    const objectsUnder = (prefix: string) =>
      JSON.stringify({
        'Fn::Join': ['', [{ 'Fn::GetAtt': [logicalId(stack.storage.payloadBucket), 'Arn'] }, `/${prefix}*`]],
      });
    // Assess
    expect(resourcesFor(template, roleId, 's3:GetObject').sort()).toEqual(
      [
        objectsUnder(PAYLOAD_BUCKET.prefixes.attachments),
        objectsUnder(PAYLOAD_BUCKET.prefixes.outboundMedia),
        objectsUnder(`${PAYLOAD_BUCKET.prefixes.bodies}conv_`),
        objectsUnder(`${PAYLOAD_BUCKET.prefixes.bodies}email/`),
      ].sort(),
    );
    expect(resourcesFor(template, roleId, 's3:PutObject')).toEqual([
      objectsUnder(PAYLOAD_BUCKET.prefixes.outboundMedia),
    ]);
    // Raw e-mail, SES's inbound copies and claim checks are never readable through the API.
    for (const prefix of [
      PAYLOAD_BUCKET.prefixes.rawEmail,
      PAYLOAD_BUCKET.prefixes.sesInbound,
      PAYLOAD_BUCKET.prefixes.bodies,
      PAYLOAD_BUCKET.claimCheckPrefix,
    ])
      expect(resourcesFor(template, roleId, 's3:GetObject')).not.toContain(objectsUnder(prefix));
  });

  it('never lets the API role read a claim check (bodies/events/, whole events of every channel), though e-mail bodies sit beside them', () => {
    // Prepare: a claim check of a conversation and an unscoped one, and e-mail bodies of both layouts
    const conversationId = `conv_${'a'.repeat(32)}`;
    const claimChecks = [
      claimCheckKeyFor('{"id":"evt-1"}', conversationId).key,
      claimCheckKeyFor('{"id":"evt-2"}', 'not-a-conversation').key,
    ];
    const bodies = [
      emailBodyKey({ conversationId, hubMessageId: 'msg_1' }, 'f'.repeat(64), 'html'),
      emailBodyKey({ conversationId: 'thread-ref', hubMessageId: 'msg 2' }, 'f'.repeat(64), 'text'),
    ];
    const granted = HELPDESK_API_MEDIA_GRANTS['s3:GetObject'];
    const readable = (key: string) => granted.some((prefix) => key.startsWith(prefix));
    // Act
    const { stack, template } = iam;
    const resources = resourcesFor(template, roleIdOf(apiOf(iam).function), 's3:GetObject');
    // Every wildcard of the bucket that would cover bodies/events/: `/*`, `/b*`, …, `/bodies/events/*`
    const { claimCheckPrefix } = PAYLOAD_BUCKET;
    const covering = Array.from({ length: claimCheckPrefix.length + 1 }, (_, end) =>
      JSON.stringify({
        'Fn::Join': [
          '',
          [
            { 'Fn::GetAtt': [logicalId(stack.storage.payloadBucket), 'Arn'] },
            `/${claimCheckPrefix.slice(0, end)}*`,
          ],
        ],
      }),
    );
    // Assess: the route's first grant (2026-12-06) was all of bodies/, claim checks included
    expect(claimChecks.every((key) => key.startsWith(PAYLOAD_BUCKET.claimCheckPrefix))).toBe(true);
    expect(claimChecks.filter(readable)).toEqual([]);
    expect(granted.filter((prefix) => PAYLOAD_BUCKET.claimCheckPrefix.startsWith(prefix))).toEqual([]);
    expect(resources.filter((resource) => covering.includes(resource) || resource.includes('"*"'))).toEqual(
      [],
    );
    expect(bodies.filter(readable)).toEqual(bodies);
  });

  it('reads the e-mail bodies stored apart (GET /v1/messages/{id}/body/{kind}) under bodies/conv_ and bodies/email/, and only reads them', () => {
    // Act
    const { stack, template } = iam;
    const roleId = roleIdOf(apiOf(iam).function);
    const objectsUnder = (prefix: string) =>
      JSON.stringify({
        'Fn::Join': ['', [{ 'Fn::GetAtt': [logicalId(stack.storage.payloadBucket), 'Arn'] }, `/${prefix}*`]],
      });
    const bodies = EMAIL_BODY_PREFIXES.map(objectsUnder);
    const writes = ['s3:PutObject', 's3:AbortMultipartUpload'].flatMap((action) =>
      resourcesFor(template, roleId, action),
    );
    const route = Object.values(scoped.template.findResources('AWS::ApiGatewayV2::Route')).find(
      (candidate) => candidate.Properties.RouteKey === 'GET /v1/messages/{hubMessageId}/body/{kind}',
    );
    // Assess: the route (a read), the prefix the handler checks, and the grant
    expect(route?.Properties.AuthorizationScopes).toEqual(['switchboard/read']);
    expect(HELPDESK_API_MEDIA.bodyPrefixes).toEqual(EMAIL_BODY_PREFIXES);
    expect(HELPDESK_API_MEDIA_GRANTS['s3:GetObject']).toEqual(
      expect.arrayContaining([...EMAIL_BODY_PREFIXES]),
    );
    expect(resourcesFor(template, roleId, 's3:GetObject')).toEqual(expect.arrayContaining(bodies));
    // Read only: no write under bodies/ (erasure's DeleteObject covers every payload prefix, as before)
    expect(writes.filter((resource) => bodies.includes(resource))).toEqual([]);
  });

  it('leaves the payload bucket and the API without CORS: no browser origin is trusted until a console is deployed', () => {
    // Assess
    const bucket = iam.template.toJSON().Resources[logicalId(iam.stack.storage.payloadBucket)];
    expect(bucket?.Properties?.CorsConfiguration).toBeUndefined();
    const api = iam.template.toJSON().Resources[logicalId(apiOf(iam).api.httpApi)];
    expect(api?.Properties?.CorsConfiguration).toBeUndefined();
  });

  it("answers a configured front end's CORS preflight for its routes' methods and the headers it reads", () => {
    // Prepare
    const front = buildHub({ helpdeskApi: 'true', mediaBrowserOrigins: 'https://helpdesk.example.com' });
    // Act
    const api = front.template.toJSON().Resources[logicalId(apiOf(front).api.httpApi)];
    const cors = api?.Properties?.CorsConfiguration;
    // Assess
    expect(cors?.AllowOrigins).toEqual(['https://helpdesk.example.com']);
    expect([...cors.AllowMethods].sort()).toEqual(
      [...new Set(API_ROUTES.map((route) => route.method))].sort(),
    );
    expect(cors?.AllowHeaders).toEqual(
      expect.arrayContaining(['authorization', 'if-match', 'idempotency-key']),
    );
    // Before 2026-12-05 only the ETag: a page could not read a 409's Retry-After.
    expect([...cors.ExposeHeaders].sort()).toEqual(['allow', 'etag', 'retry-after']);
  });

  it('names the caller in every access-log line: the IAM principal, or the JWT subject', () => {
    // Act
    const formatOf = (built: typeof iam) => {
      const stage = Object.values(built.template.findResources('AWS::ApiGatewayV2::Stage')).find(
        (resource) =>
          JSON.stringify(resource.Properties.ApiId) ===
          JSON.stringify({ Ref: logicalId(apiOf(built).api.httpApi) }),
      );
      return JSON.parse(String(stage?.Properties.AccessLogSettings.Format)) as Record<string, string>;
    };
    // Assess
    expect(formatOf(iam).caller).toBe('$context.identity.userArn');
    expect(formatOf(jwt).caller).toBe('$context.authorizer.claims.sub');
    // The webhooks' API has no authenticated caller to name.
    const webhooks = Object.values(iam.template.findResources('AWS::ApiGatewayV2::Stage')).filter(
      (resource) =>
        JSON.stringify(resource.Properties.ApiId) !==
        JSON.stringify({ Ref: logicalId(apiOf(iam).api.httpApi) }),
    );
    expect(webhooks.length).toBeGreaterThan(0);
    for (const stage of webhooks)
      expect(JSON.parse(String(stage.Properties.AccessLogSettings.Format)).caller).toBeUndefined();
  });

  it('gives a request up to 29 s (an erasure or an export page runs within it), within the HTTP API limit', () => {
    // Assess
    iam.template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('helpdesk API'),
      Timeout: 29,
    });
  });

  it("gives the function the sender's e-mail provider, which its events about older e-mail conversations name, and the function passes it on", async () => {
    // Prepare: a deployment that sends e-mail with SES, beside the default (Mailgun)
    const ses = buildHub({ ...ALL_CHANNELS_CONTEXT, helpdeskApi: 'true' });
    const variableOf = (built: typeof iam, description: string) =>
      Object.values(built.template.findResources('AWS::Lambda::Function')).find((resource) =>
        String(resource.Properties.Description).includes(description),
      )?.Properties.Environment.Variables.SWITCHBOARD_EMAIL_PROVIDER as unknown;
    vi.stubEnv('SWITCHBOARD_TABLE_NAME', 't');
    vi.stubEnv('SWITCHBOARD_HELPDESK_QUEUE_URL', 'https://sqs.eu-west-1.amazonaws.com/111111111111/h.fifo');
    vi.stubEnv('SWITCHBOARD_OUTBOX_QUEUE_URL', 'https://sqs.eu-west-1.amazonaws.com/111111111111/o.fifo');
    vi.stubEnv('SWITCHBOARD_PAYLOAD_BUCKET', 'b');
    vi.stubEnv('SWITCHBOARD_EMAIL_PROVIDER', 'mailgun');
    vi.stubEnv('AWS_REGION', 'eu-west-1');
    resetRuntimeConfig();
    // Act
    await import('#functions/helpdesk-api.ts');
    vi.unstubAllEnvs();
    resetRuntimeConfig();
    // Assess
    expect([variableOf(iam, 'helpdesk API'), variableOf(iam, 'sender')]).toEqual(['mailgun', 'mailgun']);
    expect([variableOf(ses, 'helpdesk API'), variableOf(ses, 'sender')]).toEqual(['ses', 'ses']);
    expect(wired.defaultEmailProvider).toBe('mailgun');
  });

  it('tells the function how long message records are kept (messageRetentionDays), and the function passes it on: the upload references a send notes live as long as its send record', async () => {
    // Prepare: a deployment keeping message records 90 days
    const kept = buildHub({ channels: 'sms', helpdeskApi: 'true', messageRetentionDays: '90' });
    const resource = kept.template.findResources('AWS::Lambda::Function')[logicalId(apiOf(kept).function)];
    vi.stubEnv('SWITCHBOARD_TABLE_NAME', 't');
    vi.stubEnv('SWITCHBOARD_HELPDESK_QUEUE_URL', 'https://sqs.eu-west-1.amazonaws.com/111111111111/h.fifo');
    vi.stubEnv('SWITCHBOARD_OUTBOX_QUEUE_URL', 'https://sqs.eu-west-1.amazonaws.com/111111111111/o.fifo');
    vi.stubEnv('SWITCHBOARD_PAYLOAD_BUCKET', 'b');
    vi.stubEnv('SWITCHBOARD_MESSAGE_RETENTION_DAYS', '90');
    vi.stubEnv('AWS_REGION', 'eu-west-1');
    resetRuntimeConfig();
    vi.resetModules();
    // Act
    await import('#functions/helpdesk-api.ts');
    vi.unstubAllEnvs();
    resetRuntimeConfig();
    // Assess
    expect(resource?.Properties.Environment.Variables.SWITCHBOARD_MESSAGE_RETENTION_DAYS).toBe('90');
    expect(wired.retentionSeconds).toBe(90 * 86_400);
  });

  it("runs with HELPDESK_API's timeout and memory, which the code inside and after a request is bounded by", () => {
    // Act
    const [fn] = Object.values(iam.template.findResources('AWS::Lambda::Function')).filter((resource) =>
      String(resource.Properties.Description).includes('helpdesk API'),
    );
    // Assess: the function is the definition's
    expect(fn?.Properties.Timeout).toBe(HELPDESK_API.timeoutSeconds);
    expect(fn?.Properties.MemorySize).toBe(HELPDESK_API.memoryMb);
    // An erasure's provider calls end inside the request, with time left for the table's work.
    expect(PROVIDER_ERASURE.budgetMs).toBeLessThan(HELPDESK_API.timeoutSeconds * 1000);
    // A pending announcement is taken over only once the request (or sweep) that put it has ended.
    expect(ANNOUNCEMENT_GRACE_SECONDS).toBeGreaterThan(HELPDESK_API.timeoutSeconds);
    expect(ANNOUNCEMENT_GRACE_SECONDS).toBeGreaterThan(ATTENTION_SWEEPER.timeoutSeconds);
  });
});
