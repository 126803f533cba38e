import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InMemoryBlobStore } from '#shared/aws/blob-store.ts';
import { resolveQueueMessageBody } from '#shared/aws/claim-check.ts';
import { BatchEventPublisher, type BatchRequestEntry } from '#shared/aws/event-publisher.ts';
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
import {
  EVENT_TYPES,
  type HubEvent,
  HubEventSchema,
  QueueMessageBodySchema,
} from '#shared/contract/index.ts';
import { HELPDESK_QUEUE } from '#shared/resources/definitions.ts';
import { EVENTS_DIR } from '#tests/support/golden.ts';
import { arbitraryFromJsonSchema } from '#tests/support/json-schema-arbitrary.ts';

const committedSchema = JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')) as Record<string, unknown>;
const ajv = new Ajv2020({ allErrors: true, strict: false });
addFormats.default(ajv);
/** The schema's root: what a consumer validates a helpdesk queue message body against (an event or a claim check). */
const validateBody = ajv.compile(committedSchema);
/** An event, and nothing else: what the checks of events below mean. */
const eventDefinition = { $ref: `${String(committedSchema.$id)}#/$defs/HubEvent` };
const validate = ajv.compile(eventDefinition);

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
    const envelopes = arbitraryFromJsonSchema({ $defs: committedSchema.$defs, $ref: '#/$defs/HubEvent' });
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

/*
 * Review finding: an event larger than a helpdesk queue message is queued as a claim check (README
 * "Large events"), but the AsyncAPI helpdesk channel listed only the CloudEvents and the JSON Schema
 * took only HubEvent, so a consumer validating the stream against its published contract refused a
 * message the hub really sends.
 */
describe('helpdesk queue bodies against the published contract', () => {
  const asyncapi = JSON.parse(readFileSync(ASYNCAPI_PATH, 'utf8')) as {
    channels: { helpdesk: { messages: Record<string, { $ref: string }> } };
    operations: { receiveHubEvents: { messages: { $ref: string }[] } };
    components: { messages: Record<string, { description?: string; payload: { $ref: string } }> };
  };
  const draft7 = new Ajv({ allErrors: true, strict: false });
  addFormats.default(draft7);
  draft7.addSchema(asyncapi, 'urn:switchboard:asyncapi');

  it('describes the claim check a large event is queued as, and how to resolve it', async () => {
    // Prepare: a message event larger than a helpdesk queue message, published as the recorder does
    const base = EXAMPLE_EVENTS['switchboard.message.received'];
    const large = {
      ...base,
      data: {
        ...base.data,
        parts: [{ type: 'text', text: 'x'.repeat(HELPDESK_QUEUE.maximumMessageSizeBytes) }],
      },
    } as HubEvent;
    const sent: BatchRequestEntry[] = [];
    const store = new InMemoryBlobStore();
    const publisher = new BatchEventPublisher({
      sqs: {
        sendMessageBatch: async ({ Entries }) => {
          sent.push(...Entries);
          return { Successful: Entries.map(({ Id }) => ({ Id })) };
        },
      },
      queueUrl: 'https://sqs.example/helpdesk.fifo',
      maxMessageBytes: HELPDESK_QUEUE.maximumMessageSizeBytes,
      oneEntryPerGroupPerRequest: true,
      overflow: { store, bucket: 'payloads' },
    });
    // Act
    await publisher.publish([large]);
    const body = sent[0]?.MessageBody ?? '{}';
    const pointer = JSON.parse(body) as unknown;
    const resolved = await resolveQueueMessageBody(body, async (_bucket, key) => store.get(key));
    // Assess: a claim check, not an event...
    expect(pointer).toHaveProperty('switchboardClaimCheck');
    expect(validate(pointer)).toBe(false);
    // ...which the JSON Schema's root accepts,
    expect(validateBody(pointer), ajv.errorsText(validateBody.errors)).toBe(true);
    // ...which the AsyncAPI helpdesk channel names as a message of its own, received with the events,
    const channelMessage = asyncapi.channels.helpdesk.messages.ClaimCheck;
    expect(channelMessage?.$ref).toBe('#/components/messages/ClaimCheck');
    expect(asyncapi.operations.receiveHubEvents.messages).toContainEqual({
      $ref: '#/channels/helpdesk/messages/ClaimCheck',
    });
    const message = asyncapi.components.messages.ClaimCheck;
    const payload = draft7.getSchema(`urn:switchboard:asyncapi${message?.payload.$ref ?? ''}`);
    expect(payload?.(pointer), draft7.errorsText(payload?.errors)).toBe(true);
    // ...whose description says where the event is and who may read it,
    for (const said of ['switchboardClaimCheck.bucket', 'switchboardClaimCheck.key', 'full CloudEvent'])
      expect(message?.description).toContain(said);
    expect(message?.description).toContain('HelpdeskConsumerPolicyArn');
    // ...and that resolves to the event itself, which the schema takes as one.
    expect(resolved).toEqual(large);
    expect(validate(resolved), ajv.errorsText(validate.errors)).toBe(true);
  });

  it('round-trips random bodies generated from the JSON Schema root, events and claim checks, through zod', () => {
    // Prepare
    const bodies = arbitraryFromJsonSchema(committedSchema);
    // Act + Assess
    fc.assert(
      fc.property(bodies, (body) => {
        expect(validateBody(body), ajv.errorsText(validateBody.errors)).toBe(true);
        const parsed = QueueMessageBodySchema.parse(body);
        expect(JSON.parse(JSON.stringify(parsed))).toEqual(body);
      }),
      { numRuns: 100, endOnFailure: true },
    );
  });
});
