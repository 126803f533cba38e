import { readFileSync } from 'node:fs';
import { compileErrors, validate } from '@readme/openapi-parser';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { OpenAPIV3_1 } from 'openapi-types';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { toApiGatewayResponse, toApiRequest } from '#shared/api/apigw.ts';
import { type ApiResponse, json, problem } from '#shared/api/http.ts';
import { renderClientTypes, renderOpenApi } from '#shared/api/openapi.ts';
import { API_ROUTES, queryOf } from '#shared/api/operations.ts';
import { CLIENT_TYPES_PATH, OPENAPI_PATH, toFileText } from '#shared/contract/generate.ts';
import { GATEWAY_RESPONSES } from '#shared/local/apigw-event.ts';
import {
  committedOpenApi,
  createResponseValidator,
  undocumentedHeaders,
} from '#tests/support/openapi-contract.ts';

describe('the helpdesk API contract (OpenAPI 3.1)', () => {
  it('committed document and client types are what the generator writes now', async () => {
    // Prepare
    const document = toFileText(renderOpenApi());
    const clientTypes = await renderClientTypes();
    // Act + Assess
    expect(readFileSync(OPENAPI_PATH, 'utf8'), 'run npm run contract:generate').toBe(document);
    expect(readFileSync(CLIENT_TYPES_PATH, 'utf8'), 'run npm run contract:generate').toBe(clientTypes);
  });

  it('is a valid OpenAPI 3.1 document for an OpenAPI parser, which does refuse a broken one', async () => {
    // Prepare
    const document = committedOpenApi();
    const broken = { ...committedOpenApi(), paths: { '/v1/x/{id}': { get: { responses: {} } } } };
    // Act
    const result = await validate(document);
    const brokenResult = await validate(broken);
    // Assess
    expect(result.valid, result.valid ? '' : compileErrors(result)).toBe(true);
    expect(result.specification).toBe('OpenAPI');
    expect(document.openapi).toBe('3.1.0');
    expect(brokenResult.valid).toBe(false);
  });

  it('describes every route with its operation id, parameters, success and problem responses', () => {
    // Prepare
    const document = committedOpenApi();
    // Act
    const described = API_ROUTES.map((route) => {
      const operation = document.paths?.[route.path]?.[route.method.toLowerCase() as 'get'];
      return {
        route: `${route.method} ${route.path}`,
        operationId: operation?.operationId,
        statuses: Object.keys(operation?.responses ?? {}),
        pathParams: (operation?.parameters ?? [])
          .filter((parameter) => 'in' in parameter && parameter.in === 'path')
          .map((parameter) => ('name' in parameter ? parameter.name : '')),
      };
    });
    // Assess
    for (const [index, route] of API_ROUTES.entries()) {
      const entry = described[index];
      expect(entry?.operationId, entry?.route).toBe(route.handler);
      expect(entry?.statuses, entry?.route).toEqual(
        expect.arrayContaining([
          String(route.success.status),
          '400',
          '401',
          '403',
          '413',
          '429',
          '500',
          '503',
        ]),
      );
      expect(entry?.pathParams.sort(), entry?.route).toEqual(
        [...route.path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]).sort(),
      );
    }
    expect(Object.keys(document.components?.securitySchemes ?? {}).sort()).toEqual(['bearer', 'sigv4']);
  });

  it("declares the headers the API's problems carry: the current ETag on a stale PATCH's 412, Retry-After on media-not-stored", () => {
    // Prepare: the answers as the handlers give them (before 2026-12-05 neither header was declared)
    const problem = (status: number, headers: Record<string, string>) => ({
      status,
      headers: { 'content-type': 'application/problem+json', ...headers },
      body: {},
    });
    // Act
    const stale = undocumentedHeaders(
      'PATCH',
      '/v1/conversations/{conversationId}',
      problem(412, { etag: '"7.1f0c9a3b"' }),
    );
    const notStored = undocumentedHeaders(
      'GET',
      '/v1/messages/{hubMessageId}/media/{partIndex}',
      problem(409, { 'Retry-After': '5' }),
    );
    const staleWithout = undocumentedHeaders('PATCH', '/v1/conversations/{conversationId}', problem(412, {}));
    const madeUp = undocumentedHeaders(
      'GET',
      '/v1/conversations/{conversationId}',
      problem(404, { 'x-made-up': '1' }),
    );
    // Assess: and the check does refuse a header left out or not declared
    expect([stale, notStored]).toEqual([
      { undeclared: [], missing: [] },
      { undeclared: [], missing: [] },
    ]);
    expect(staleWithout).toEqual({ undeclared: [], missing: ['etag'] });
    expect(madeUp).toEqual({ undeclared: ['x-made-up'], missing: [] });
  });

  it("declares API Gateway's own answers on every operation (401 of a JWT, 403, 413, 429, 500, 503), as they come, beside the function's problems", () => {
    // Prepare: API Gateway's bodies (as the local stand-in models them), and the function's own problems
    const check = createResponseValidator();
    const document = committedOpenApi();
    const gateway = {
      401: { message: 'Unauthorized' },
      403: { message: 'Forbidden' },
      413: JSON.parse(GATEWAY_RESPONSES.tooLarge().body.toString('utf8')),
      429: { message: 'Too Many Requests' },
      500: JSON.parse(GATEWAY_RESPONSES.internalError().body.toString('utf8')),
      503: JSON.parse(GATEWAY_RESPONSES.unavailable().body.toString('utf8')),
    };
    const functions = { 401: problem('unauthorized').body, 500: problem('internal').body };
    // Act
    const refused = API_ROUTES.flatMap((route) => [
      ...Object.entries(gateway).flatMap(([status, body]) => {
        const response = document.paths?.[route.path]?.[route.method.toLowerCase() as 'get']?.responses?.[
          status
        ] as OpenAPIV3_1.ResponseObject | undefined;
        const asJson = response?.content?.['application/json']?.schema;
        return [
          check(route.method, route.path, Number(status), body),
          asJson ? undefined : `no application/json ${status}`,
        ].flatMap((error) => (error ? [`${status} ${route.method} ${route.path}: ${error}`] : []));
      }),
      ...Object.entries(functions).flatMap(([status, body]) => {
        const error = check(route.method, route.path, Number(status), body);
        return error ? [`${status} ${route.method} ${route.path}: ${error}`] : [];
      }),
    ]);
    const neither = check('GET', '/v1/conversations', 403, { message: 'Forbidden', detail: 'x' });
    // Assess: until 2026-12-06 500 was a problem only (type, title, status required) and the others undeclared
    expect(refused).toEqual([]);
    expect(neither).toMatch(/must/);
  });

  it('answers a request without an identity 401 with WWW-Authenticate (RFC 9110), as the document declares it', () => {
    // Prepare: a request API Gateway passed with no authorizer context
    const event = {
      rawPath: '/v1/conversations',
      headers: {},
      requestContext: { http: { method: 'GET' } },
    } as unknown as APIGatewayProxyEventV2;
    // Act
    const answer = toApiRequest(event, undefined) as ApiResponse;
    // Assess
    expect(answer.status).toBe(401);
    expect(answer.headers['www-authenticate']).toBe('Bearer');
    expect(undocumentedHeaders('GET', '/v1/conversations', answer)).toEqual({ undeclared: [], missing: [] });
  });

  it('declares the query parameters each operation takes, and none on the others', () => {
    // Prepare
    const document = committedOpenApi();
    // Act
    const declared = API_ROUTES.map((route) => ({
      route: `${route.method} ${route.path}`,
      query: (document.paths?.[route.path]?.[route.method.toLowerCase() as 'get']?.parameters ?? [])
        .filter((parameter) => 'in' in parameter && parameter.in === 'query')
        .map((parameter) => ('name' in parameter ? parameter.name : ''))
        .sort(),
    }));
    // Assess: the router parses each route's query (none for most) before its handler
    expect(declared).toEqual(
      API_ROUTES.map((route) => ({
        route: `${route.method} ${route.path}`,
        query: Object.keys((queryOf(route) as z.ZodObject).shape).sort(),
      })),
    );
    expect(declared.filter(({ query }) => query.length > 0).map(({ route }) => route)).toEqual([
      'GET /v1/conversations',
      'GET /v1/conversations/{conversationId}/messages',
      'GET /v1/contacts/{contactId}/consent',
      'GET /v1/contacts/{contactId}/export',
      'GET /v1/contacts/{contactId}/conversations',
    ]);
  });

  it('response validation against the document accepts a problem and refuses a body it does not describe', () => {
    // Prepare
    const check = createResponseValidator();
    const problem = { type: 'urn:switchboard:problem:not-found', title: 'Not found', status: 404 };
    // Act
    const good = check('GET', '/v1/conversations/{conversationId}', 404, problem);
    const bad = check('GET', '/v1/conversations', 200, { items: [{ conversationId: 1 }] });
    const undocumented = check('GET', '/v1/conversations', 418, {});
    // Assess
    expect(good).toBeUndefined();
    expect(bad).toMatch(/must/);
    expect(undocumented).toMatch(/no 418 response/);
  });

  it('says of each operation the access a JWT scope grants it, as the deployment requires it of the route', () => {
    // Prepare
    const document = committedOpenApi();
    // Act
    const said = API_ROUTES.map((route) => {
      const operation = document.paths?.[route.path]?.[route.method.toLowerCase() as 'get'] as
        | (Record<string, unknown> & { description?: string; security?: Record<string, string[]>[] })
        | undefined;
      return {
        route: `${route.method} ${route.path}`,
        extension: operation?.['x-switchboard-access'],
        security: operation?.security,
        described: operation?.description?.includes(`the scope \`<prefix>/${route.access}\``),
      };
    });
    // Assess: before 2026-12-06 no operation said it, and a token of the wrong scope met API Gateway's 403
    expect(said).toEqual(
      API_ROUTES.map((route) => ({
        route: `${route.method} ${route.path}`,
        extension: route.access,
        security: [{ sigv4: [] }, { bearer: [route.access] }],
        described: true,
      })),
    );
  });

  it('declares the cache-control header every deployed answer carries, on every response, never required', () => {
    // Prepare: API Gateway's answers as the Lambda gives them, a success and a problem
    const document = committedOpenApi();
    const ok = toApiGatewayResponse(json(200, { items: [] }));
    const missing = toApiGatewayResponse(problem('notFound'));
    // Act
    const deployed = [
      undocumentedHeaders('GET', '/v1/conversations', {
        status: ok.statusCode ?? 0,
        headers: ok.headers as Record<string, string>,
      }),
      undocumentedHeaders('GET', '/v1/conversations/{conversationId}', {
        status: missing.statusCode ?? 0,
        headers: missing.headers as Record<string, string>,
      }),
    ];
    const withoutIt = Object.entries(document.paths ?? {}).flatMap(([path, item]) =>
      Object.entries(item ?? {}).flatMap(([method, operation]) =>
        Object.entries(
          (operation as { responses: Record<string, { headers?: Record<string, unknown> }> }).responses,
        )
          .filter(([, response]) => response.headers?.['cache-control'] === undefined)
          .map(([status]) => `${status} ${method} ${path}`),
      ),
    );
    // Assess: the router's own answers (the local hub's, the tests') do not carry it
    expect(deployed).toEqual([
      { undeclared: [], missing: [] },
      { undeclared: [], missing: [] },
    ]);
    expect(withoutIt).toEqual([]);
  });
});
