import { isUtf8 } from 'node:buffer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  apiGatewayTime,
  bodyBytesOf,
  fromApiGatewayResult,
  type LocalHttpRequest,
  toApiGatewayEvent,
} from '#shared/local/apigw-event.ts';
import { matchRoute, WEBHOOK_ROUTES } from '#shared/local/routes.ts';

const RECEIVED_AT = new Date('2026-11-22T12:00:00.000Z');

const request = (overrides: Partial<LocalHttpRequest>): LocalHttpRequest => ({
  method: 'POST',
  url: '/webhooks/sms/twilio',
  headers: { host: '127.0.0.1:3000' },
  rawHeaders: ['Host', '127.0.0.1:3000'],
  body: Buffer.alloc(0),
  sourceIp: '127.0.0.1',
  localPort: 3000,
  ...overrides,
});

describe('API Gateway payload 2.0 event', () => {
  it('base64-encodes a form body and gives back the exact bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 2048 }), (bytes) => {
        // Prepare
        const body = Buffer.from(bytes);
        // Act
        const event = toApiGatewayEvent(
          request({
            headers: { host: '127.0.0.1:3000', 'content-type': 'application/x-www-form-urlencoded' },
            rawHeaders: ['Host', '127.0.0.1:3000', 'Content-Type', 'application/x-www-form-urlencoded'],
            body,
          }),
          { routeKey: 'POST /webhooks/sms/twilio', receivedAt: RECEIVED_AT },
        );
        // Assess
        expect(event.isBase64Encoded).toBe(true);
        expect(bodyBytesOf(event).equals(body)).toBe(true);
      }),
    );
  });

  it('keeps a form body with non-ASCII text byte-exact', () => {
    // Prepare
    const body = Buffer.from('Body=Gr%C3%BC%C3%9Fe+%F0%9F%91%8B&From=%2B15550001111', 'utf8');
    // Act
    const event = toApiGatewayEvent(
      request({ headers: { 'content-type': 'multipart/form-data; boundary=x' }, rawHeaders: [], body }),
      { routeKey: 'POST /webhooks/sms/twilio', receivedAt: RECEIVED_AT },
    );
    // Assess
    expect(event.body).toBe(body.toString('base64'));
    expect(bodyBytesOf(event)).toEqual(body);
  });

  it('passes JSON and text bodies as UTF-8 strings', () => {
    // Prepare
    const json = '{"object":"page","entry":[{"text":"caf\\u00e9 ☕"}]}';
    // Act
    const event = toApiGatewayEvent(
      request({
        url: '/webhooks/messenger',
        rawHeaders: ['Content-Type', 'application/json; charset=utf-8'],
        body: Buffer.from(json, 'utf8'),
      }),
      { routeKey: 'POST /webhooks/messenger', receivedAt: RECEIVED_AT },
    );
    // Assess
    expect(event.isBase64Encoded).toBe(false);
    expect(event.body).toBe(json);
  });

  it('passes a JSON or text body that is not UTF-8 base64-encoded, byte-exact, so the function sees its bytes (never U+FFFD)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 512 }),
        fc.constantFrom('application/json', 'application/json; charset=iso-8859-1', 'text/plain'),
        (bytes, contentType) => {
          // Prepare: a Latin-1 client's JSON, or any bytes
          const body = Buffer.from(bytes);
          // Act
          const event = toApiGatewayEvent(
            request({ url: '/v1/media', rawHeaders: ['Content-Type', contentType], body }),
            { routeKey: 'POST /v1/media', receivedAt: RECEIVED_AT },
          );
          // Assess: until 2026-12-06 such a body went as a string, its bytes decoded leniently
          expect(event.isBase64Encoded).toBe(!isUtf8(body));
          expect(bodyBytesOf(event).equals(body)).toBe(true);
        },
      ),
    );
  });

  it('omits the body of a request without one', () => {
    // Act
    const event = toApiGatewayEvent(request({ method: 'GET', url: '/webhooks/whatsapp' }), {
      routeKey: 'GET /webhooks/whatsapp',
      receivedAt: RECEIVED_AT,
    });
    // Assess
    expect(event.body).toBeUndefined();
    expect(event.isBase64Encoded).toBe(false);
  });

  it('lower-cases header names, joins repeated headers with commas and moves cookies apart', () => {
    // Act
    const event = toApiGatewayEvent(
      request({
        rawHeaders: [
          'Host',
          '127.0.0.1:3000',
          'X-Custom',
          'one',
          'x-custom',
          'two',
          'Cookie',
          'a=1; b=2',
          'User-Agent',
          'TwilioProxy/1.1',
        ],
      }),
      { routeKey: 'POST /webhooks/sms/twilio', receivedAt: RECEIVED_AT },
    );
    // Assess
    expect(event.headers['x-custom']).toBe('one,two');
    expect(event.headers.cookie).toBeUndefined();
    expect(event.cookies).toEqual(['a=1', 'b=2']);
    expect(event.headers['x-forwarded-proto']).toBe('http');
    expect(event.headers['x-forwarded-port']).toBe('3000');
    expect(event.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(event.requestContext.http.userAgent).toBe('TwilioProxy/1.1');
    expect(event.requestContext.domainName).toBe('127.0.0.1');
  });

  it('keeps the raw query string and joins repeated parameters', () => {
    // Act
    const event = toApiGatewayEvent(
      request({
        method: 'GET',
        url: '/webhooks/messenger?hub.mode=subscribe&hub.challenge=12%2034&x=1&x=2',
      }),
      { routeKey: 'GET /webhooks/messenger', receivedAt: RECEIVED_AT },
    );
    // Assess
    expect(event.rawPath).toBe('/webhooks/messenger');
    expect(event.rawQueryString).toBe('hub.mode=subscribe&hub.challenge=12%2034&x=1&x=2');
    expect(event.queryStringParameters).toEqual({
      'hub.mode': 'subscribe',
      'hub.challenge': '12 34',
      x: '1,2',
    });
  });

  it('fills the request context as the $default stage does', () => {
    // Act
    const event = toApiGatewayEvent(request({}), {
      routeKey: 'POST /webhooks/sms/twilio',
      receivedAt: RECEIVED_AT,
      requestId: 'req-1',
    });
    // Assess
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'POST /webhooks/sms/twilio',
      requestContext: {
        stage: '$default',
        requestId: 'req-1',
        routeKey: 'POST /webhooks/sms/twilio',
        time: '22/Nov/2026:12:00:00 +0000',
        timeEpoch: RECEIVED_AT.getTime(),
        http: { method: 'POST', path: '/webhooks/sms/twilio', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1' },
      },
    });
    expect(event.queryStringParameters).toBeUndefined();
    expect(apiGatewayTime(new Date('2026-01-05T03:04:05Z'))).toBe('05/Jan/2026:03:04:05 +0000');
  });
});

describe('function result to HTTP response', () => {
  it('uses a structured result as is and decodes a base64 body', () => {
    // Act
    const response = fromApiGatewayResult({
      statusCode: 403,
      headers: { 'Content-Type': 'text/plain' },
      body: Buffer.from('forbidden').toString('base64'),
      isBase64Encoded: true,
      cookies: ['a=1'],
    });
    // Assess
    expect(response.statusCode).toBe(403);
    expect(response.headers).toEqual({ 'content-type': ['text/plain'], 'set-cookie': ['a=1'] });
    expect(response.body.toString()).toBe('forbidden');
  });

  it('turns a result without statusCode into a 200 JSON body', () => {
    // Act
    const response = fromApiGatewayResult({ ok: true });
    // Assess
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body.toString())).toEqual({ ok: true });
  });
});

describe('route matching', () => {
  it('matches exact method and path only, as HTTP APIs do', () => {
    expect(matchRoute(WEBHOOK_ROUTES, 'post', '/webhooks/sms/twilio')?.functionFile).toBe(
      'webhook-sms-twilio.ts',
    );
    expect(matchRoute(WEBHOOK_ROUTES, 'GET', '/webhooks/sms/twilio')).toBeUndefined();
    expect(matchRoute(WEBHOOK_ROUTES, 'POST', '/webhooks/sms/twilio/')).toBeUndefined();
  });
});
