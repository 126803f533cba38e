import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toApiGatewayResult, toWebhookRequest } from '#shared/aws/apigw.ts';
import { textResponse } from '#shared/channels/inbound.ts';
import { apiGatewayEvent } from '#tests/support/factories.ts';

const RECEIVED_AT = new Date('2026-11-22T12:00:00.000Z');

describe('toWebhookRequest', () => {
  it('decodes a base64 form body to the exact bytes posted', () => {
    // Prepare
    const form = Buffer.from('Body=Gr%C3%BC%C3%9Fe+%F0%9F%91%8B&From=%2B14155550100', 'latin1');
    const event = apiGatewayEvent({ body: form, base64: true });
    // Act
    const request = toWebhookRequest(event, RECEIVED_AT);
    // Assess
    expect(request.body.equals(form)).toBe(true);
  });

  it('round-trips any bytes through base64 byte-exact', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), (bytes) => {
        // Prepare
        const event = apiGatewayEvent({ body: Buffer.from(bytes), base64: true });
        // Act
        const request = toWebhookRequest(event, RECEIVED_AT);
        // Assess
        expect(request.body.equals(Buffer.from(bytes))).toBe(true);
      }),
    );
  });

  it('keeps a plain body as its UTF-8 bytes, escapes and all', () => {
    // Prepare
    const json = '{"text":"\\u00e4\\u00f6\\u00e5","raw":"äöå"}';
    // Act
    const request = toWebhookRequest(apiGatewayEvent({ body: json }), RECEIVED_AT);
    // Assess
    expect(request.body.equals(Buffer.from(json, 'utf8'))).toBe(true);
  });

  it('takes a function URL GET without a body (`"body": null`) as an empty body', () => {
    // Prepare
    const event = {
      ...apiGatewayEvent({ method: 'GET', rawQueryString: 'hub.mode=subscribe' }),
      body: null,
    } as unknown as Parameters<typeof toWebhookRequest>[0];
    // Act
    const request = toWebhookRequest(event, RECEIVED_AT);
    // Assess
    expect(request).toMatchObject({ method: 'GET', rawQueryString: 'hub.mode=subscribe' });
    expect(request.body.length).toBe(0);
  });

  it('lower-cases headers and keeps path, query, method and receive time', () => {
    // Prepare
    const event = apiGatewayEvent({
      method: 'GET',
      path: '/webhooks/messenger',
      rawQueryString: 'hub.mode=subscribe&hub.challenge=42',
      headers: { 'X-Hub-Signature-256': 'sha256=abc' },
    });
    // Act
    const request = toWebhookRequest(event, RECEIVED_AT);
    // Assess
    expect(request).toMatchObject({
      method: 'GET',
      path: '/webhooks/messenger',
      rawQueryString: 'hub.mode=subscribe&hub.challenge=42',
      headers: { 'x-hub-signature-256': 'sha256=abc' },
      receivedAt: RECEIVED_AT,
    });
    expect(request.body.length).toBe(0);
  });

  it('refuses an event that is not an HTTP API v2 event', () => {
    // Prepare
    const restApiEvent = { httpMethod: 'POST', path: '/webhooks/messenger', body: '{}' };
    // Act
    const convert = () => toWebhookRequest(restApiEvent as never, RECEIVED_AT);
    // Assess
    expect(convert).toThrow();
  });
});

describe('toApiGatewayResult', () => {
  it('carries status, headers and body, never base64', () => {
    // Prepare
    const response = textResponse(200, '<Response/>', 'text/xml');
    // Act
    const result = toApiGatewayResult(response);
    // Assess
    expect(result).toEqual({
      statusCode: 200,
      headers: { 'content-type': 'text/xml' },
      body: '<Response/>',
      isBase64Encoded: false,
    });
  });
});
