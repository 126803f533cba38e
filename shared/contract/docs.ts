import { z } from 'zod';
import { HELPDESK_QUEUE, OUTBOX_QUEUE } from '#shared/resources/definitions.ts';
import { dataSchemaFor } from './build.ts';
import { CLAIM_CHECK_DESCRIPTION, QueueMessageBodySchema } from './claim-check.ts';
import {
  COMMAND_DESCRIPTIONS,
  COMMAND_TYPES,
  type CommandType,
  EXAMPLE_COMMANDS,
  HubCommandSchema,
} from './commands.ts';
import { EVENT_TYPES, type EventType } from './events.ts';
import { EVENT_DESCRIPTIONS, EXAMPLE_CLAIM_CHECK, EXAMPLE_EVENTS } from './examples.ts';

/** Version of the published contract; bump the major on any breaking change. */
const CONTRACT_VERSION = '1.0.0';

const SCHEMA_ID = 'urn:switchboard:schema:v1:events';

type JsonObject = Record<string, unknown>;

/**
 * The JSON Schema (draft 2020-12) of every message body on the helpdesk queue: its root takes an
 * event (`$defs/HubEvent`) or the claim check of one (`$defs/ClaimCheck`). Objects stay open to
 * unknown properties (input mode) so consumers validating against v1 keep accepting events after
 * additive, backwards-compatible changes.
 */
export const renderJsonSchema = (): JsonObject => {
  const schema = z.toJSONSchema(QueueMessageBodySchema, {
    target: 'draft-2020-12',
    unrepresentable: 'any',
    io: 'input',
  }) as JsonObject & { $defs?: Record<string, JsonObject> };
  return { $id: SCHEMA_ID, title: 'Switchboard events', ...schema, $defs: withEventIds(schema.$defs ?? {}) };
};

const COMMANDS_SCHEMA_ID = 'urn:switchboard:schema:v1:commands';

/** The JSON Schema (draft 2020-12) of the commands a helpdesk puts on the outbox. */
export const renderCommandsJsonSchema = (): JsonObject => {
  const schema = z.toJSONSchema(HubCommandSchema, {
    target: 'draft-2020-12',
    unrepresentable: 'any',
    io: 'input',
  }) as JsonObject;
  return { $id: COMMANDS_SCHEMA_ID, title: 'Switchboard commands', ...schema };
};

/** The event type a definition describes, when it is an event's (its `type` is a constant). */
const eventTypeOf = (definition: JsonObject): EventType | undefined => {
  const properties = definition.properties as Record<string, { const?: unknown }> | undefined;
  const type = properties?.type?.const;
  return (Object.values(EVENT_TYPES) as unknown[]).includes(type) ? (type as EventType) : undefined;
};

/** `#/$defs/X` → `<schema id>#/$defs/X`: refs that still resolve inside a definition with an `$id` of its own. */
const absoluteRefs = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(absoluteRefs);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, inner]) => [
        key,
        key === '$ref' && typeof inner === 'string' && inner.startsWith('#/')
          ? `${SCHEMA_ID}${inner}`
          : absoluteRefs(inner),
      ]),
    );
  }
  return value;
};

/**
 * Each event's definition gets the `$id` its events name in `dataschema`
 * (`urn:switchboard:schema:v1:<type>`), so that URI resolves in any JSON Schema tool loading this
 * document; its references are made absolute to keep resolving against the whole document.
 */
const withEventIds = (defs: Record<string, JsonObject>): Record<string, JsonObject> =>
  Object.fromEntries(
    Object.entries(defs).map(([name, definition]) => {
      const type = eventTypeOf(definition);
      return [
        name,
        type ? { $id: dataSchemaFor(type), ...(absoluteRefs(definition) as JsonObject) } : definition,
      ];
    }),
  );

/** `#/$defs/X` or `#/definitions/X` → `#/components/schemas/X`, recursively. */
const rewriteRefs = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, inner]) => [
        key,
        key === '$ref' && typeof inner === 'string'
          ? inner.replace(/^#\/(\$defs|definitions)\//, '#/components/schemas/')
          : rewriteRefs(inner),
      ]),
    );
  }
  return value;
};

/** Commands' messages are named as their schemas: `SendMessageCommand`… */
const COMMAND_SCHEMA_NAMES: Readonly<Record<CommandType, string>> = {
  [COMMAND_TYPES.sendMessage]: 'SendMessageCommand',
  [COMMAND_TYPES.markRead]: 'MarkReadCommand',
  [COMMAND_TYPES.typing]: 'TypingCommand',
};

const messageName = (type: EventType): string =>
  type
    .replace(/^switchboard\./, '')
    .split(/[._]/)
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('');

/** The helpdesk channel's message for a claim check: not a CloudEvent, so named apart from the event types. */
const CLAIM_CHECK_MESSAGE = 'ClaimCheck';

/** Its message: a plain JSON body (an SQS message, no CloudEvents attributes) with its own example. */
const claimCheckMessage = {
  name: CLAIM_CHECK_MESSAGE,
  title: 'Claim check',
  summary: 'An event too large for a queue message, queued as a pointer to its full CloudEvent in S3.',
  description: CLAIM_CHECK_DESCRIPTION,
  contentType: 'application/json',
  payload: { $ref: `#/components/schemas/${CLAIM_CHECK_MESSAGE}` },
  examples: [{ name: `${CLAIM_CHECK_MESSAGE}Example`, payload: EXAMPLE_CLAIM_CHECK }],
};

/** AsyncAPI 3.0 document of the helpdesk queue: what a consumer receives and how. */
export const renderAsyncApi = (): JsonObject => {
  const draft7 = z.toJSONSchema(QueueMessageBodySchema, {
    target: 'draft-7',
    unrepresentable: 'any',
    io: 'input',
  }) as {
    definitions?: Record<string, unknown>;
  };
  const commandsDraft7 = z.toJSONSchema(HubCommandSchema, {
    target: 'draft-7',
    unrepresentable: 'any',
    io: 'input',
  }) as { definitions?: Record<string, unknown> };
  const schemas = rewriteRefs({
    ...(draft7.definitions ?? {}),
    ...(commandsDraft7.definitions ?? {}),
  }) as Record<string, unknown>;
  const types = Object.values(EVENT_TYPES);
  const commandTypes = Object.values(COMMAND_TYPES);
  const commandMessages = Object.fromEntries(
    commandTypes.map((type) => {
      const name = COMMAND_SCHEMA_NAMES[type];
      return [
        name,
        {
          name: type,
          title: name,
          summary: COMMAND_DESCRIPTIONS[type],
          contentType: 'application/cloudevents+json',
          payload: { $ref: `#/components/schemas/${name}` },
          examples: [{ name: `${name}Example`, payload: EXAMPLE_COMMANDS[type] }],
        },
      ];
    }),
  );
  const messages = Object.fromEntries(
    types.map((type) => {
      const name = messageName(type);
      const schemaName = `${name}Event`;
      return [
        name,
        {
          name: type,
          title: name,
          summary: EVENT_DESCRIPTIONS[type],
          contentType: 'application/cloudevents+json',
          payload: { $ref: `#/components/schemas/${schemaName}` },
          examples: [{ name: `${name}Example`, payload: EXAMPLE_EVENTS[type] }],
        },
      ];
    }),
  );
  const helpdeskMessages = [...types.map(messageName), CLAIM_CHECK_MESSAGE];
  const messageRefs = Object.fromEntries(
    helpdeskMessages.map((name) => [name, { $ref: `#/components/messages/${name}` }]),
  );
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Switchboard helpdesk event stream',
      version: CONTRACT_VERSION,
      description: [
        'Every message, status, reaction, edit, consent change and conversation state change from Messenger,',
        'WhatsApp, SMS and e-mail, on one SQS FIFO queue. Each message body is a CloudEvent 1.0 in structured JSON',
        'mode or, for an event larger than a queue message (1 MiB), its claim check: the ClaimCheck message, not a',
        "CloudEvent, which names where the full CloudEvent is stored in S3 and carries the event's `id`, `type` and",
        '`subject`.',
        'Delivery is at least once: dedupe on the CloudEvents `id`, which is deterministic.',
        'Order is kept per conversation (the FIFO message group is the conversation id, also the CloudEvents `subject`).',
      ].join(' '),
      license: { name: 'Apache-2.0' },
    },
    defaultContentType: 'application/cloudevents+json',
    servers: {
      aws: {
        host: 'sqs.{region}.amazonaws.com',
        protocol: 'sqs',
        description: 'The deployed hub; the queue URL is the stack output HelpdeskQueueUrl.',
        variables: { region: { default: 'us-east-1', description: 'The region the hub is deployed in.' } },
      },
      local: {
        host: '127.0.0.1:{port}',
        protocol: 'sqs',
        description: '`npm start` prints the SQS endpoint and the helpdesk queue URL.',
        variables: { port: { default: '4566', description: 'Printed by npm start.' } },
      },
    },
    channels: {
      helpdesk: {
        address: HELPDESK_QUEUE.name,
        title: 'Helpdesk queue',
        description: `FIFO queue; message group = conversation id; deduplication id = event id; dead-letter queue ${HELPDESK_QUEUE.deadLetterQueue.name} after ${HELPDESK_QUEUE.maxReceiveCount} receives.`,
        messages: messageRefs,
      },
      outbox: {
        address: OUTBOX_QUEUE.name,
        title: 'Outbox queue',
        description: `FIFO queue the helpdesk sends commands to; message group = conversation id (commands of one conversation go out in order); deduplication id = any id unique per command (the idempotency key decides what is a repeat). Commands the hub cannot read go to ${OUTBOX_QUEUE.deadLetterQueue.name} with a reason.`,
        messages: Object.fromEntries(
          commandTypes.map((type) => [
            COMMAND_SCHEMA_NAMES[type],
            { $ref: `#/components/messages/${COMMAND_SCHEMA_NAMES[type]}` },
          ]),
        ),
      },
    },
    operations: {
      receiveHubEvents: {
        action: 'receive',
        title: 'Receive hub events',
        summary:
          'Long-poll the helpdesk queue, resolve each claim check to its event, handle each event idempotently, then delete it.',
        channel: { $ref: '#/channels/helpdesk' },
        messages: helpdeskMessages.map((name) => ({ $ref: `#/channels/helpdesk/messages/${name}` })),
      },
      sendCommands: {
        action: 'send',
        title: 'Send commands',
        summary:
          'Put a command on the outbox; every send_message ends in one message.sent or message.send_failed event on the helpdesk queue.',
        channel: { $ref: '#/channels/outbox' },
        messages: commandTypes.map((type) => ({
          $ref: `#/channels/outbox/messages/${COMMAND_SCHEMA_NAMES[type]}`,
        })),
      },
    },
    components: {
      schemas,
      messages: { ...messages, [CLAIM_CHECK_MESSAGE]: claimCheckMessage, ...commandMessages },
    },
  };
};

/** The README's event reference: one section and example per event type. */
const renderEventsMarkdown = (): string => {
  const sections = Object.values(EVENT_TYPES).map((type) =>
    [
      `#### \`${type}\``,
      '',
      EVENT_DESCRIPTIONS[type],
      '',
      '```json',
      JSON.stringify(EXAMPLE_EVENTS[type], null, 2),
      '```',
    ].join('\n'),
  );
  return sections.join('\n\n');
};

/** The README's command reference: one section and example per command. */
const renderCommandsMarkdown = (): string =>
  Object.values(COMMAND_TYPES)
    .map((type) =>
      [
        `#### \`${type}\``,
        '',
        COMMAND_DESCRIPTIONS[type],
        '',
        '```json',
        JSON.stringify(EXAMPLE_COMMANDS[type], null, 2),
        '```',
      ].join('\n'),
    )
    .join('\n\n');

const COMMANDS_MARKDOWN_BEGIN = '<!-- commands:begin (generated by npm run contract:generate) -->';
const COMMANDS_MARKDOWN_END = '<!-- commands:end -->';

const EVENTS_MARKDOWN_BEGIN = '<!-- events:begin (generated by npm run contract:generate) -->';
const EVENTS_MARKDOWN_END = '<!-- events:end -->';

const replaceBetween = (text: string, beginMarker: string, endMarker: string, content: string): string => {
  const begin = text.indexOf(beginMarker);
  const end = text.indexOf(endMarker);
  if (begin < 0 || end < begin) throw new Error(`README lacks the generated markers ${beginMarker}`);
  return `${text.slice(0, begin + beginMarker.length)}\n\n${content}\n\n${text.slice(end)}`;
};

/** The README with its generated event and command references replaced by the current ones. */
export const withEventsMarkdown = (readme: string): string =>
  replaceBetween(
    replaceBetween(readme, EVENTS_MARKDOWN_BEGIN, EVENTS_MARKDOWN_END, renderEventsMarkdown()),
    COMMANDS_MARKDOWN_BEGIN,
    COMMANDS_MARKDOWN_END,
    renderCommandsMarkdown(),
  );
