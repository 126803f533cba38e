import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { CloudEvent } from 'cloudevents';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildEvent, dataSchemaFor, sourceFor } from '#shared/contract/build.ts';
import { EXAMPLE_EVENTS } from '#shared/contract/examples.ts';
import { SCHEMA_PATH } from '#shared/contract/generate.ts';
import { eventIdFor } from '#shared/contract/ids.ts';
import { EVENT_TYPES } from '#shared/contract/index.ts';
import { EVENTS_DIR } from '#tests/support/golden.ts';

/** The official SDK's strict validation: it throws on anything CloudEvents 1.0 does not allow. */
const expectValidCloudEvent = (event: object, label: string) => {
  expect(() => new CloudEvent(event as Record<string, unknown>, true), label).not.toThrow();
};

const expectedEvents = (dir: string): Array<[string, object]> =>
  readdirSync(dir).flatMap((entry): Array<[string, object]> => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return expectedEvents(path);
    if (!entry.endsWith('.expected.json')) return [];
    const json = JSON.parse(readFileSync(path, 'utf8')) as object[] | { events: object[] };
    return (Array.isArray(json) ? json : json.events).map((event, index) => [`${entry}#${index}`, event]);
  });

describe('CloudEvents fidelity', () => {
  it('passes the official SDK for every event the samples produce and every example', () => {
    // Prepare
    const events = [
      ...expectedEvents(EVENTS_DIR),
      ...Object.values(EXAMPLE_EVENTS).map((event, i) => [`example ${i}`, event] as [string, object]),
    ];
    // Assess
    expect(events.length).toBeGreaterThan(140);
    for (const [label, event] of events) expectValidCloudEvent(event, label);
  });

  it('keeps source a URI-reference whatever the provider id holds (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }), (endpointId) => {
        // Act
        const event = buildEvent(
          'switchboard.provider.unsupported',
          eventIdFor('email', 'probe', endpointId),
          {
            channel: 'email',
            provider: 'mailgun',
            endpoint: { type: 'email_address', id: endpointId },
            providerTimestamp: null,
            receivedAt: '2026-11-22T12:00:00.000Z',
            providerType: 'probe',
            raw: null,
          },
        );
        // Assess
        expectValidCloudEvent(event, endpointId);
      }),
      { numRuns: 300 },
    );
    expect(sourceFor('email', 'a <b>@x')).toBe('switchboard:email:a%20%3Cb%3E@x');
    expect(sourceFor('sms', '+14155550142')).toBe('switchboard:sms:+14155550142');
  });

  it('resolves every dataschema URN in the published JSON Schema', () => {
    // Prepare
    const ajv = new Ajv2020({ strict: false });
    addFormats.default(ajv);
    ajv.addSchema(JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')) as object);
    for (const type of Object.values(EVENT_TYPES)) {
      // Act
      const validate = ajv.getSchema(dataSchemaFor(type));
      const example = EXAMPLE_EVENTS[type];
      // Assess
      expect(validate, type).toBeDefined();
      expect(validate?.(example), `${type}: ${ajv.errorsText(validate?.errors)}`).toBe(true);
      expect(validate?.({ ...example, type: 'switchboard.other' })).toBe(false);
    }
  });
});
