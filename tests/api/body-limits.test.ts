import fc from 'fast-check';
import type { OpenAPIV3_1 } from 'openapi-types';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { BODY_WHITESPACE_BYTES, bodyLimitOf, longestBodyBytes } from '#shared/api/body-limit.ts';
import type { ApiRequest } from '#shared/api/http.ts';
import { API_ROUTES, type ApiOperation, maxBodyOf } from '#shared/api/operations.ts';
import type { HelpdeskApi } from '#shared/api/router.ts';
import { type HubCommand, MAX_COMMAND_BYTES } from '#shared/contract/index.ts';
import { contactIdFor } from '#shared/domain/contact-identity.ts';
import { type RunningEmulators, startEmulators } from '#shared/local/emulators.ts';
import { conversationFor, messageEvent, minute } from '#tests/recorder/factories.ts';
import { committedOpenApi, createRequestBodyValidator } from '#tests/support/openapi-contract.ts';
import { quietHelpdeskApi } from '#tests/support/quiet-api.ts';
import { quietRecorder } from '#tests/support/quiet-recorder.ts';
import { apiRequest } from '#tests/support/requests.ts';

/*
 * Every body the published contract describes fits the route's body limit (review finding: a flat
 * 4096 bytes answered 413 to a PATCH of 20 CJK labels and to a consent whose 1,000 Greek characters
 * of evidence came \u-escaped, as Python's json.dumps writes them, though both were within the
 * document's field limits). The longest body is built here from the committed document itself.
 */

type Schema = OpenAPIV3_1.SchemaObject & { readonly $ref?: string };
const NOW = new Date('2026-11-22T12:00:00.000Z');

/** JSON as Python's `json.dumps` writes it by default: `", "` and `": "`, every non-ASCII character `\uXXXX`. */
const pythonJson = (value: unknown): string => {
  if (Array.isArray(value)) return `[${value.map(pythonJson).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value)
      .map(([key, inner]) => `${pythonJson(key)}: ${pythonJson(inner)}`)
      .join(', ')}}`;
  }
  return JSON.stringify(value).replace(
    /[\u007f-\uffff]/g,
    (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
};

/** The same value with every character of every string, keys included, escaped: its longest JSON. */
const escapedJson = (value: unknown): string => {
  if (Array.isArray(value)) return `[${value.map(escapedJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value)
      .map(([key, inner]) => `${escapedJson(key)}:${escapedJson(inner)}`)
      .join(',')}}`;
  }
  if (typeof value !== 'string') return JSON.stringify(value);
  const units = Array.from({ length: value.length }, (_, index) => value.charCodeAt(index));
  return `"${units.map((unit) => `\\u${unit.toString(16).padStart(4, '0')}`).join('')}"`;
};

/** A string of `length` the schema's pattern accepts, of the widest characters that match. */
const longestString = (schema: Schema, length: number): string => {
  if (schema.format === 'date-time') return `2026-12-04T10:00:00.${'1'.repeat(length - 21)}Z`;
  if (!schema.pattern) return '語'.repeat(length);
  // JSON Schema reads a pattern as Unicode (2020-12): `\P{Cs}` (wellFormed) needs the u flag.
  const pattern = new RegExp(schema.pattern, 'u');
  const repeated = ['語', 'α', 'a', '0'].map((character) => character.repeat(length));
  const found = repeated.find((candidate) => pattern.test(candidate));
  if (found) return found;
  // A fixed-length pattern (an id): any match is a longest one.
  const [sample] = fc.sample(fc.stringMatching(pattern, { size: 'max' }), { numRuns: 1, seed: 1 });
  if (sample?.length !== length) throw new Error(`no string of ${length} for ${schema.pattern}`);
  return sample;
};

/** The body of the schema that takes the most bytes once escaped: every field, each at its limit. */
const longestBody = (document: OpenAPIV3_1.Document, schema: Schema): unknown => {
  if (schema.$ref) {
    const name = schema.$ref.replace('#/components/schemas/', '');
    return longestBody(document, document.components?.schemas?.[name] as Schema);
  }
  const longest = (values: readonly unknown[]) =>
    values.reduce((a, b) => (escapedJson(b).length > escapedJson(a).length ? b : a));
  if ('const' in schema) return schema.const;
  if (schema.enum) return longest(schema.enum);
  if (schema.anyOf) return longest(schema.anyOf.map((choice) => longestBody(document, choice as Schema)));
  switch (schema.type) {
    case 'string':
      return longestString(schema, schema.maxLength ?? 0);
    case 'integer':
      return longest([schema.minimum, schema.maximum]);
    case 'boolean':
      return false;
    case 'null':
      return null;
    case 'array':
      return Array.from({ length: schema.maxItems ?? 0 }, () =>
        longestBody(document, (schema as OpenAPIV3_1.ArraySchemaObject).items as Schema),
      );
    case 'object': {
      // A rule across fields (a snooze and its time): the body meets its `if`, so carries every field.
      const met = (schema as { if?: Schema }).if?.properties ?? {};
      return Object.fromEntries(
        Object.entries(schema.properties ?? {}).map(([key, inner]) => [
          key,
          longestBody(document, (met[key] ?? inner) as Schema),
        ]),
      );
    }
    default:
      throw new Error(`no longest body of type ${String(schema.type)}`);
  }
};

/** Routes whose body limit is their schema's longest body: all with a body but the send. */
const ROUTES_WITH_BODIES = (API_ROUTES as readonly ApiOperation[]).filter(
  (route) => route.body && route.maxBody === undefined,
);

const SEND = (API_ROUTES as readonly ApiOperation[]).find((route) => route.handler === 'sendMessage');

/**
 * A send's body, as short text parts and padding, whose own JSON is `bytes` of ASCII: the body that
 * grows most when every character is escaped (1 byte to 6).
 */
const asciiSendBody = (bytes: number) => {
  const bodyWith = (padding: number) => ({
    parts: [
      ...Array.from({ length: 3 }, () => ({ type: 'text', text: 'a'.repeat(65_536) })),
      { type: 'text', text: 'b'.repeat(padding) },
    ],
    sender: { kind: 'agent', id: 'a-1' },
  });
  return bodyWith(bytes - Buffer.byteLength(JSON.stringify(bodyWith(0)), 'utf8'));
};

/** Lambda refuses an invocation over 6 MB, counted as the event's JSON, where the body is a string escaped again. */
const LAMBDA_PAYLOAD_BYTES = 6 * 1024 * 1024;

describe('body limits sized from the body schemas', () => {
  it.each(ROUTES_WITH_BODIES.map((route) => [`${route.method} ${route.path}`, route] as const))(
    '%s takes the longest body its published schema accepts, every character escaped, and says how much it takes',
    (_, route) => {
      // Prepare
      const document = committedOpenApi();
      const operation = document.paths?.[route.path]?.[route.method.toLowerCase() as 'post'];
      const content = (operation?.requestBody as OpenAPIV3_1.RequestBodyObject | undefined)?.content;
      const schema = content?.['application/json']?.schema as Schema;
      const matchesContract = createRequestBodyValidator();
      // Act
      const body = longestBody(document, schema);
      const bytes = Buffer.byteLength(escapedJson(body), 'utf8');
      // Assess: the body is one the document describes, within the limit with its whitespace
      expect(matchesContract(route.method, route.path, body)).toBeUndefined();
      expect(bytes).toBeLessThanOrEqual(longestBodyBytes(route.body as z.ZodType));
      expect(bytes + BODY_WHITESPACE_BYTES).toBeLessThanOrEqual(maxBodyOf(route));
      expect(operation?.description).toContain(`at most ${maxBodyOf(route)} bytes: 413 above`);
    },
  );

  it("POST /v1/conversations/{conversationId}/messages takes any body whose command fits the sender's limit, every character escaped, and says how much it takes, within Lambda's 6 MB", () => {
    // Prepare: a body of ASCII as long as the whole command may be, every character escaped
    const body = asciiSendBody(MAX_COMMAND_BYTES);
    const escaped = escapedJson(body);
    const limit = maxBodyOf(SEND as ApiOperation);
    const operation = committedOpenApi().paths?.[SEND?.path ?? '']?.post;
    // Act: the body inside the event Lambda is invoked with (each `\` escaped once more)
    const event = JSON.stringify({
      body: `${escaped}${' '.repeat(BODY_WHITESPACE_BYTES)}`.padEnd(limit, ' '),
    });
    // Assess: until 2026-12-06 the raw body was held to the command's limit, 6 times less
    expect(Buffer.byteLength(JSON.stringify(body), 'utf8')).toBe(MAX_COMMAND_BYTES);
    expect(Buffer.byteLength(escaped, 'utf8') + BODY_WHITESPACE_BYTES).toBeLessThanOrEqual(limit);
    expect(limit).toBeGreaterThan(5 * MAX_COMMAND_BYTES);
    expect(Buffer.byteLength(event, 'utf8')).toBeLessThan(LAMBDA_PAYLOAD_BYTES - 64 * 1024);
    expect(operation?.description).toContain(`at most ${limit} bytes: 413 above`);
  });

  it('sizes an object with rules across its fields (if/then/else, anyOf in allOf) as the object alone, and a bare anyOf as its longest choice', () => {
    // Prepare: the rules only narrow what the object takes
    const fields = { a: z.string().max(10).optional(), b: z.string().max(20).optional() };
    const plain = z.strictObject(fields);
    const ruled = z.strictObject(fields).meta({
      if: { properties: { a: { const: 'x' } }, required: ['a'] },
      // biome-ignore lint/suspicious/noThenProperty: JSON Schema's `then`, never awaited
      then: { required: ['b'] },
      else: { not: { required: ['b'] } },
      allOf: [{ anyOf: [{ required: ['a'] }, { required: ['b'] }] }],
    });
    const union = z.strictObject({ c: z.union([z.string().max(5), z.string().max(30)]) });
    // Act
    const [plainBytes, ruledBytes, unionBytes] = [plain, ruled, union].map(longestBodyBytes);
    // Assess
    expect(ruledBytes).toBe(plainBytes);
    expect(unionBytes).toBe(escapedJson({ c: 'x'.repeat(30) }).length);
  });

  it('gives no limit for a body whose longest form is unbounded, and counts a surrogate pair as two escapes', () => {
    // Prepare
    const unbounded = {
      'a string without maxLength': z.strictObject({ note: z.string() }),
      'an array without maxItems': z.strictObject({ tags: z.array(z.string().max(8)) }),
      'an object open to other keys': z.looseObject({ note: z.string().max(8) }),
      'a number that is not an integer': z.strictObject({ ratio: z.number().min(0).max(1) }),
    };
    const emoji = z.strictObject({ e: z.string().max(2) });
    // Act
    const refused = Object.entries(unbounded).filter(([, schema]) => {
      try {
        bodyLimitOf(schema);
        return false;
      } catch {
        return true;
      }
    });
    // Assess: {"e":"😀"} escaped is {"\u0065":"\ud83d\ude00"}
    expect(refused.map(([what]) => what)).toEqual(Object.keys(unbounded));
    expect(emoji.safeParse({ e: '😀' }).success).toBe(true);
    expect(longestBodyBytes(emoji)).toBe(escapedJson({ e: '😀' }).length);
  });

  describe('through the router', () => {
    let emulators: RunningEmulators;
    let api: HelpdeskApi;
    const customer = 'body-limits';
    const { channel, contact, conversationId } = conversationFor(customer);
    const queued: HubCommand[] = [];

    beforeAll(async () => {
      emulators = await startEmulators();
      const table = {
        client: emulators.clients.dynamodb,
        tableName: emulators.resources.tableName,
        now: () => NOW,
      };
      await quietRecorder(table, () => NOW).recordEvent(messageEvent(customer, 'bl1', minute(1)));
      api = quietHelpdeskApi(emulators, table, () => NOW, {
        enqueueCommand: async (command) => void queued.push(command),
      });
    });
    beforeEach(() => {
      queued.length = 0;
    });
    afterAll(async () => {
      await emulators?.stop();
    });

    const send = (method: string, path: string, extra: Partial<ApiRequest>) =>
      api(apiRequest(method, path, extra));

    it('changes a conversation to 20 labels of 64 CJK characters and a CJK assignee, sent as Python writes JSON', async () => {
      // Prepare: within every field limit
      const path = `/v1/conversations/${conversationId}`;
      const labels = Array.from({ length: 20 }, (_, index) =>
        `${String.fromCharCode(0x4e00 + index)}`.repeat(64),
      );
      const assignee = '担当者'.repeat(85);
      const body = pythonJson({ labels, assignee });
      const read = await send('GET', path, {});
      // Act
      const changed = await send('PATCH', path, {
        headers: { 'content-type': 'application/json', 'if-match': read.headers.etag ?? '' },
        body,
      });
      // Assess
      expect(Buffer.byteLength(body)).toBeGreaterThan(4096);
      expect(changed.status).toBe(200);
      expect(changed.body).toMatchObject({ labels, assignee });
    });

    it("records a consent whose 1,000 Greek characters of evidence are \\u-escaped, as Python's json.dumps writes them", async () => {
      // Prepare
      const evidence = 'Ο πελάτης ζήτησε τηλεφωνικά να μην λαμβάνει μηνύματα. '.repeat(20).slice(0, 1000);
      const body = pythonJson({ channel: 'whatsapp', consent: 'opted_out', evidence });
      const contactId = contactIdFor(channel, contact, conversationId);
      // Act
      const recorded = await send('POST', `/v1/contacts/${contactId}/consent`, {
        headers: { 'content-type': 'application/json' },
        body,
      });
      const ledger = await send('GET', `/v1/contacts/${contactId}/consent`, {});
      // Assess
      expect(Buffer.byteLength(body)).toBeGreaterThan(4096);
      expect(recorded.status).toBe(200);
      expect(ledger.body).toMatchObject({ changes: [expect.objectContaining({ evidence })] });
    });

    it("queues a long Cyrillic reply sent as Python's json.dumps writes it (every non-ASCII character \\u-escaped), as its UTF-8 form", async () => {
      // Prepare: an e-mail reply of 30,000 Cyrillic characters and its HTML: ~180 KB of UTF-8, ~370 KB escaped
      const words = 'Здравствуйте, ваш заказ отправлен сегодня. ';
      const text = words.repeat(Math.ceil(30_000 / words.length)).slice(0, 30_000);
      const value = {
        parts: [{ type: 'text', text, html: `<div>${text}</div>` }],
        sender: { kind: 'agent', id: 'agent-7' },
      };
      const path = `/v1/conversations/${conversationId}/messages`;
      const sendAs = (body: string, key: string) =>
        send('POST', path, { headers: { 'content-type': 'application/json', 'idempotency-key': key }, body });
      // Act
      const utf8 = await sendAs(JSON.stringify(value), 'cyrillic-utf8');
      const escaped = await sendAs(pythonJson(value), 'cyrillic-escaped');
      // Assess: until 2026-12-06 the escaped one was a 413, its raw body past the command's limit
      expect(Buffer.byteLength(pythonJson(value))).toBeGreaterThan(MAX_COMMAND_BYTES);
      expect([utf8.status, escaped.status]).toEqual([202, 202]);
      expect(queued.map((command) => command.data)).toEqual([
        expect.objectContaining({ parts: value.parts }),
        expect.objectContaining({ parts: value.parts }),
      ]);
    });

    it("takes a send whose every character is escaped up to the command limit, and refuses one whose command is larger with the command's 413", async () => {
      // Prepare: ASCII bodies, every character (keys too) escaped: 6 bytes each
      const path = `/v1/conversations/${conversationId}/messages`;
      const fits = escapedJson(asciiSendBody(MAX_COMMAND_BYTES - 1024));
      const over = escapedJson(asciiSendBody(MAX_COMMAND_BYTES));
      const headers = (key: string) => ({ 'content-type': 'application/json', 'idempotency-key': key });
      // Act
      const taken = await send('POST', path, { headers: headers('escaped-fits'), body: fits });
      const refused = await send('POST', path, { headers: headers('escaped-over'), body: over });
      // Assess: the larger is refused for its command as the sender would take it, not its escapes
      expect(Buffer.byteLength(fits)).toBeGreaterThan(5 * MAX_COMMAND_BYTES);
      expect(taken.status).toBe(202);
      expect(refused.status).toBe(413);
      expect(refused.body).toMatchObject({ detail: expect.stringContaining('the send command') });
      expect(queued).toHaveLength(1);
    });
  });
});
