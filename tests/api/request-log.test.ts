import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toApiRequest } from '#shared/api/apigw.ts';
import type { ApiRequest } from '#shared/api/http.ts';
import { createHelpdeskApi, type HelpdeskApi } from '#shared/api/router.ts';
import { s3MediaObjects } from '#shared/aws/media-objects.ts';
import { localPseudonymKey } from '#shared/aws/pseudonym-key.ts';
import { type RunningEmulators, startEmulators } from '#shared/local/emulators.ts';
import { createLogger } from '#shared/observability/logger.ts';

/*
 * The helpdesk API's line per request (shared/api/router.ts): the route, the status, the hub ids in
 * the path (conversation, person) and API Gateway's request id, so an export, an erasure or a merge
 * is tied to its access-log entry, which names the caller.
 */

const NOW = new Date('2026-11-22T12:00:00.000Z');
const CONTACT = `ct_${'0123456789abcdef'.repeat(2)}`;

describe('helpdesk API request log', () => {
  let emulators: RunningEmulators;
  let api: HelpdeskApi;
  const lines: Record<string, unknown>[] = [];

  beforeAll(async () => {
    emulators = await startEmulators();
    api = createHelpdeskApi({
      pseudonymKey: localPseudonymKey,
      table: { client: emulators.clients.dynamodb, tableName: emulators.resources.tableName, now: () => NOW },
      publishEvent: async () => undefined,
      enqueueCommand: async () => undefined,
      clock: () => NOW,
      newId: () => 'fixed',
      deleteObjects: async () => undefined,
      media: s3MediaObjects(emulators.resources.bucketName, async () => emulators.clients.s3),
      logger: createLogger({ level: 'info', write: (line) => void lines.push(JSON.parse(line)) }),
    });
  });
  afterAll(async () => {
    await emulators?.stop();
  });

  it("names the person and API Gateway's request id of an erasure, never the caller", async () => {
    // Prepare: the request as API Gateway hands it over, with its id and an e-mail address as the caller
    const event = {
      rawPath: `/v1/contacts/${CONTACT}`,
      headers: {},
      requestContext: {
        requestId: 'Kx3ZfhYJIAMEVbA=',
        http: { method: 'DELETE' },
        authorizer: { jwt: { claims: { sub: 'agent@example.com' } } },
      },
    } as unknown as APIGatewayProxyEventV2;
    const request = toApiRequest(event, undefined) as ApiRequest;
    // Act
    const response = await api(request);
    // Assess
    expect(response.status).toBe(404);
    expect(lines.at(-1)).toMatchObject({
      message: 'helpdesk API request',
      route: 'DELETE /v1/contacts/{contactId}',
      statusCode: 404,
      contactId: CONTACT,
      apiRequestId: 'Kx3ZfhYJIAMEVbA=',
    });
    expect(JSON.stringify(lines)).not.toContain('example.com');
  });
});
