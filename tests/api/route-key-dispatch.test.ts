import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { toApiRequest } from '#shared/api/apigw.ts';
import type { HelpdeskApiDeps } from '#shared/api/handlers.ts';
import type { ApiRequest } from '#shared/api/http.ts';
import { createHelpdeskApi } from '#shared/api/router.ts';
import { createLogger } from '#shared/observability/logger.ts';

/*
 * API Gateway asks a route's authorization (a JWT scope, an IAM policy) of the route it matched
 * (`routeKey`), on its form of the path; the function gets `rawPath` decoded. The handler that runs
 * is the one of the route API Gateway authorized, never another the decoded path would match (an
 * encoded `%2F` in a contact id must not turn a read into an export, a consent into a merge): such
 * a request is a 404. Before 2026-12-06 the router found the handler from the path alone (found by
 * a review).
 */

const CONTACT = `ct_${'a'.repeat(32)}`;
const OTHER = `ct_${'b'.repeat(32)}`;

const eventOf = (routeKey: string, method: string, rawPath: string, body?: string): APIGatewayProxyEventV2 =>
  ({
    version: '2.0',
    routeKey,
    rawPath,
    headers: body ? { 'content-type': 'application/json' } : {},
    ...(body ? { body } : {}),
    isBase64Encoded: false,
    requestContext: {
      requestId: 'req1',
      http: { method },
      // A reporting tool's token: only the read scope.
      authorizer: { jwt: { claims: { sub: 'reporting-tool' }, scopes: ['switchboard/read'] } },
    },
  }) as unknown as APIGatewayProxyEventV2;

/** The router over dependencies that fail on any use, logging which route's handler ran. */
const apiLoggingRoutes = () => {
  const ran: string[] = [];
  const boom = () => {
    throw new Error('dependency used');
  };
  const logger = createLogger({
    level: 'info',
    write: (line: string) => {
      const parsed = JSON.parse(line) as { route?: string };
      if (parsed.route) ran.push(parsed.route);
    },
  });
  const api = createHelpdeskApi({
    table: { client: { send: boom }, tableName: 't', now: () => new Date() },
    publishEvent: boom,
    enqueueCommand: boom,
    clock: () => new Date(),
    newId: () => 'x',
    deleteObjects: boom,
    pseudonymKey: boom,
    media: { head: boom, presignGet: boom, presignPut: boom },
    logger,
  } as unknown as HelpdeskApiDeps & { logger: typeof logger });
  return { api, ran };
};

describe('the helpdesk API runs the route API Gateway authorized', () => {
  it('answers 404 to a read route whose decoded path names the export, running no handler', async () => {
    // Prepare: API Gateway matched the read route (contactId `ct_…%2Fexport`); the function gets the decoded path
    const { api, ran } = apiLoggingRoutes();
    const request = toApiRequest(
      eventOf('GET /v1/contacts/{contactId}', 'GET', `/v1/contacts/${CONTACT}/export`),
      undefined,
    ) as ApiRequest;
    // Act
    const response = await api(request);
    // Assess
    expect(response.status).toBe(404);
    expect(ran).toEqual([]);
  });

  it('answers 404 to a consent route (write) whose decoded path names a merge (people)', async () => {
    // Prepare
    const { api, ran } = apiLoggingRoutes();
    const request = toApiRequest(
      eventOf(
        'POST /v1/contacts/{contactId}/consent',
        'POST',
        `/v1/contacts/${CONTACT}/merge`,
        JSON.stringify({ contactId: OTHER, reason: 'x' }),
      ),
      undefined,
    ) as ApiRequest;
    // Act
    const response = await api(request);
    // Assess
    expect(response.status).toBe(404);
    expect(ran).toEqual([]);
  });

  it('runs the handler of the route it authorized when the path is that route’s', async () => {
    // Prepare
    const { api, ran } = apiLoggingRoutes();
    const request = toApiRequest(
      eventOf('GET /v1/contacts/{contactId}/export', 'GET', `/v1/contacts/${CONTACT}/export`),
      undefined,
    ) as ApiRequest;
    // Act
    await api(request);
    // Assess
    expect([...new Set(ran)]).toEqual(['GET /v1/contacts/{contactId}/export']);
  });
});
