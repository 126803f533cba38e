import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { COMMAND_TYPES, HubCommandSchema } from '#shared/contract/commands.ts';
import {
  renderAsyncApi,
  renderCommandsJsonSchema,
  renderJsonSchema,
  withEventsMarkdown,
} from '#shared/contract/docs.ts';
import { EXAMPLE_EVENTS } from '#shared/contract/examples.ts';
import {
  ASYNCAPI_PATH,
  COMMANDS_SCHEMA_PATH,
  README_PATH,
  SCHEMA_PATH,
  toFileText,
} from '#shared/contract/generate.ts';
import { EVENT_TYPES, HubEventSchema } from '#shared/contract/index.ts';
import { EVENTS_DIR } from '#tests/support/golden.ts';
import { arbitraryFromJsonSchema } from '#tests/support/json-schema-arbitrary.ts';

const committedSchema = JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')) as Record<string, unknown>;
const ajv = new Ajv2020({ allErrors: true, strict: false });
addFormats.default(ajv);
const validate = ajv.compile(committedSchema);

const expectValid = (event: unknown, label: string) => {
  const valid = validate(event);
  expect(valid, `${label}: ${ajv.errorsText(validate.errors)}`).toBe(true);
};

const expectedEventFiles = (dir: string): string[] =>
  readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return expectedEventFiles(path);
    return entry.endsWith('.expected.json') ? [path] : [];
  });

describe('published contract', () => {
  it('committed JSON Schemas, AsyncAPI document and README references are up to date', () => {
    // Prepare: what the generator would write now
    const schema = toFileText(renderJsonSchema());
    const asyncapi = toFileText(renderAsyncApi());
    const readme = readFileSync(README_PATH, 'utf8');
    // Act + Assess
    expect(readFileSync(SCHEMA_PATH, 'utf8'), 'run npm run contract:generate').toBe(schema);
    expect(readFileSync(ASYNCAPI_PATH, 'utf8'), 'run npm run contract:generate').toBe(asyncapi);
    expect(readFileSync(COMMANDS_SCHEMA_PATH, 'utf8'), 'run npm run contract:generate').toBe(
      toFileText(renderCommandsJsonSchema()),
    );
    expect(readme, 'run npm run contract:generate').toBe(withEventsMarkdown(readme));
  });

  it('has one example per event type, each valid against the JSON Schema and the zod schema', () => {
    // Prepare
    const types = Object.values(EVENT_TYPES);
    // Act + Assess
    expect(Object.keys(EXAMPLE_EVENTS).sort()).toEqual([...types].sort());
    for (const [type, event] of Object.entries(EXAMPLE_EVENTS)) {
      expect(event.type).toBe(type);
      expectValid(event, type);
      expect(HubEventSchema.parse(event)).toEqual(event);
    }
  });

  it('validates every example event and command shown in the README', () => {
    // Prepare
    const readme = readFileSync(README_PATH, 'utf8');
    const blocks = [...readme.matchAll(/```json\n([\s\S]*?)```/g)].map((match) => JSON.parse(match[1] ?? ''));
    const envelopes = blocks.filter((block) => block && typeof block === 'object' && 'specversion' in block);
    const isCommand = (block: { type?: unknown }) => String(block.type).startsWith('switchboard.command.');
    const events = envelopes.filter((block) => !isCommand(block));
    const commands = envelopes.filter(isCommand);
    // Act + Assess
    expect(events.length).toBeGreaterThanOrEqual(Object.keys(EVENT_TYPES).length);
    for (const event of events) expectValid(event, `README ${event.type}`);
    expect(commands.length).toBe(Object.keys(COMMAND_TYPES).length);
    for (const command of commands)
      expect(HubCommandSchema.safeParse(command).success, command.type).toBe(true);
  });

  it('validates every expected event in events/', () => {
    // Prepare
    const files = expectedEventFiles(EVENTS_DIR);
    // Act + Assess
    for (const file of files) {
      // Chat channels expect a list of events; e-mail expectations also list the blobs stored.
      const expected = JSON.parse(readFileSync(file, 'utf8')) as unknown[] | { events: unknown[] };
      const events = Array.isArray(expected) ? expected : expected.events;
      expect(Array.isArray(events), file).toBe(true);
      events.forEach((event, index) => {
        expectValid(event, `${file}[${index}]`);
      });
    }
  });

  it('round-trips random valid envelopes generated from the JSON Schema through zod', () => {
    // Prepare
    const envelopes = arbitraryFromJsonSchema(committedSchema);
    // Act + Assess
    fc.assert(
      fc.property(envelopes, (event) => {
        expect(validate(event), ajv.errorsText(validate.errors)).toBe(true);
        const parsed = HubEventSchema.parse(event);
        expect(JSON.parse(JSON.stringify(parsed))).toEqual(event);
      }),
      { numRuns: 300, endOnFailure: true },
    );
  });
});
