import { readFileSync } from 'node:fs';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { OpenAPIV3_1 } from 'openapi-types';
import { expect } from 'vitest';
import type { ApiResponse } from '#shared/api/http.ts';
import { API_ROUTES } from '#shared/api/operations.ts';
import { OPENAPI_PATH } from '#shared/contract/generate.ts';

/** The committed OpenAPI document, as clients read it. */
/**
 * The published document, each operation's responses that refer to a shared one
 * (`#/components/responses/…`, API Gateway's own answers) in their place, so a test reads every
 * operation's responses alike.
 */
/** The published document as it is written (and served at `GET /v1/openapi.json`). */
export const publishedOpenApi = (): OpenAPIV3_1.Document =>
  JSON.parse(readFileSync(OPENAPI_PATH, 'utf8')) as OpenAPIV3_1.Document;

export const committedOpenApi = (): OpenAPIV3_1.Document => {
  const document = publishedOpenApi();
  const shared = document.components?.responses ?? {};
  for (const item of Object.values(document.paths ?? {}))
    for (const operation of Object.values(item ?? {})) {
      const responses = (operation as { responses?: Record<string, unknown> }).responses ?? {};
      for (const [status, response] of Object.entries(responses)) {
        const ref = (response as { $ref?: unknown }).$ref;
        if (typeof ref === 'string' && ref.startsWith('#/components/responses/'))
          responses[status] = shared[ref.slice('#/components/responses/'.length)];
      }
    }
  return document;
};

const DOCUMENT_ID = 'urn:switchboard:openapi:v1';
const pointer = (...segments: string[]): string =>
  segments.map((segment) => segment.replaceAll('~', '~0').replaceAll('/', '~1')).join('/');

/** Validates values against the schemas at JSON pointers of the published document (JSON Schema 2020-12). */
const documentValidator = () => {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats.default(ajv);
  ajv.addSchema(committedOpenApi() as object, DOCUMENT_ID);
  const cache = new Map<string, ValidateFunction>();
  return (segments: string[], what: string, value: unknown): string | undefined => {
    const ref = `${DOCUMENT_ID}#/${pointer(...segments)}`;
    let validate = cache.get(ref);
    if (!validate) {
      validate = ajv.getSchema(ref);
      if (!validate) return `the document has no ${what}`;
      cache.set(ref, validate);
    }
    return validate(value) ? undefined : ajv.errorsText(validate.errors);
  };
};

/**
 * Validates response bodies against the published document, so a test fails when the API answers
 * something its contract does not describe.
 */
export const createResponseValidator = () => {
  const validate = documentValidator();
  return (method: string, path: string, status: number, body: unknown): string | undefined => {
    const contentType = status >= 400 ? 'application/problem+json' : 'application/json';
    return validate(
      ['paths', path, method.toLowerCase(), 'responses', String(status), 'content', contentType, 'schema'],
      `${status} response for ${method} ${path}`,
      body,
    );
  };
};

/** What every answer carries, which no response declares: the type of its body. */
const UNDECLARED_HEADERS = new Set(['content-type']);

/**
 * What the published document says of the headers of a response: those it declares, and those it
 * requires; a header it names is matched in any case, as HTTP does.
 */
let publishedDocument: OpenAPIV3_1.Document | undefined;
const documentedHeadersOf = (method: string, path: string, status: number) => {
  publishedDocument ??= committedOpenApi();
  const response =
    publishedDocument.paths?.[path]?.[method.toLowerCase() as 'get']?.responses?.[String(status)];
  const headers = Object.entries((response && 'headers' in response ? response.headers : undefined) ?? {});
  return {
    declared: new Set(headers.map(([name]) => name.toLowerCase())),
    required: headers.flatMap(([name, header]) =>
      'required' in header && header.required === true ? [name.toLowerCase()] : [],
    ),
  };
};

/**
 * The headers of an answer its documented response does not declare, and those it requires that
 * the answer left out (none when the answer is as documented).
 */
export const undocumentedHeaders = (
  method: string,
  path: string,
  answer: ApiResponse,
): { readonly undeclared: string[]; readonly missing: string[] } => {
  const { declared, required } = documentedHeadersOf(method, path, answer.status);
  const given = Object.keys(answer.headers).map((name) => name.toLowerCase());
  return {
    undeclared: given.filter((name) => !UNDECLARED_HEADERS.has(name) && !declared.has(name)),
    missing: required.filter((name) => !given.includes(name)),
  };
};

/** Compiled once a test file asks for it: compiling the whole document is not free. */
let responseValidator: ReturnType<typeof createResponseValidator> | undefined;

/**
 * Expects the helpdesk API's answer to `method` `path` to be one the published document describes
 * for the route the path takes, its body and its headers. A path that takes no route is not
 * checked, unless `mustRoute`: then it fails the test.
 */
export const expectDocumentedAnswer = (
  method: string,
  path: string,
  answer: ApiResponse,
  { mustRoute = false }: { readonly mustRoute?: boolean } = {},
): void => {
  const route = API_ROUTES.find(
    (candidate) =>
      candidate.method === method &&
      new RegExp(`^${candidate.path.replace(/\{\w+\}/g, '[^/]+')}$`).test(path),
  );
  if (mustRoute) expect(route, `${method} ${path} is a route`).toBeDefined();
  responseValidator ??= createResponseValidator();
  if (!route) return;
  expect(responseValidator(method, route.path, answer.status, answer.body)).toBeUndefined();
  expect(
    undocumentedHeaders(method, route.path, answer),
    `headers of ${answer.status} ${method} ${route.path}`,
  ).toEqual({
    undeclared: [],
    missing: [],
  });
};

/** Validates request bodies against the published document: whether a client may send them. */
export const createRequestBodyValidator = () => {
  const validate = documentValidator();
  return (method: string, path: string, body: unknown): string | undefined =>
    validate(
      ['paths', path, method.toLowerCase(), 'requestBody', 'content', 'application/json', 'schema'],
      `request body for ${method} ${path}`,
      body,
    );
};
