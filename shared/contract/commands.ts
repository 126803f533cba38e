import { z } from 'zod';
import { mediaTypeOf } from '#shared/validation/media-type.ts';
import { nonBlankText, TimestampSchema, wellFormed } from './common.ts';

/*
 * Commands a helpdesk sends to the hub (CloudEvents 1.0, structured JSON), on the outbox FIFO queue
 * `switchboard-outbox.fifo` with the conversation id as message group, or through the helpdesk
 * HTTP API. Every send command ends in exactly one event on the helpdesk stream:
 * `switchboard.message.sent` or `switchboard.message.send_failed`.
 */

export const COMMAND_TYPES = {
  sendMessage: 'switchboard.command.send_message',
  markRead: 'switchboard.command.mark_read',
  typing: 'switchboard.command.typing',
} as const;
export type CommandType = (typeof COMMAND_TYPES)[keyof typeof COMMAND_TYPES];

/**
 * The largest command the outbox takes, as the UTF-8 bytes of its JSON (an SQS message is at most
 * 1 MiB; commands are far smaller). The sender reads a larger one up to the outbox's 1 MiB and refuses
 * it whole: a send command that names its conversation and key ends `send_failed` (`content_invalid`,
 * shared/outbound/outbox-service.ts), any other goes to the dead-letter queue. The helpdesk API
 * refuses one with 413 before it is queued. JSON Schema cannot say it: the schemas' descriptions do.
 */
export const MAX_COMMAND_BYTES = 256 * 1024;

const COMMAND_LIMIT = `At most ${MAX_COMMAND_BYTES} bytes (${MAX_COMMAND_BYTES / 1024} KiB) as the UTF-8 of its JSON, envelope included: a larger send command that names its conversation and key ends \`switchboard.message.send_failed\` (\`content_invalid\`), any other larger command goes to the dead-letter queue.`;

/** The largest text part the hub accepts; channels split or refuse below it (WhatsApp 4,096, SMS 1,600…). */
export const MAX_OUTBOUND_TEXT = 65_536;
/** Parts of one command: each becomes one provider message or more, sent in order. */
export const MAX_OUTBOUND_PARTS = 10;

/**
 * An https URL. zod checks the scheme of the parsed URL; the published schema says it with a
 * pattern (its `format: uri` already refuses the surrounding whitespace zod trims).
 */
const HttpsUrlSchema = z
  .url({ protocol: /^https$/ })
  .max(2048)
  .meta({ pattern: '^[Hh][Tt][Tt][Pp][Ss]:', description: 'An https URL (no other scheme).' });

/** The largest HTML rendering of a text part (e-mail only). */
export const MAX_OUTBOUND_HTML = 256 * 1024;

/**
 * Text the customer is shown, of at most `max` characters: with no unpaired UTF-16 surrogate, which
 * has no UTF-8 form (it would reach the provider as a `\ud83d` escape in JSON, refused by a strict
 * parser, or as U+FFFD in a form or a mail).
 */
const shownString = (max: number) => wellFormed(z.string().max(max));

/**
 * Text the customer is shown as a message or a button: well-formed, and not blank (`nonBlankText`:
 * some character that shows, not only whitespace, zero-width, format or control characters). A blank
 * one would reach the customer as an empty message or button, or be refused by the provider after
 * the hub took the command.
 */
const shownText = (max: number) => wellFormed(nonBlankText(max));

export const OutboundTextPartSchema = z
  .strictObject({
    type: z.literal('text'),
    /** At least one character that shows (not only whitespace or invisible characters): a blank text would reach the customer as an empty message. */
    text: shownText(MAX_OUTBOUND_TEXT),
    /**
     * E-mail only: the same text as HTML, sent as the HTML alternative of the reply (the plain text
     * stays for clients that show no HTML). Other channels send `text` and ignore it.
     */
    html: shownString(MAX_OUTBOUND_HTML).min(1).optional(),
  })
  .meta({ id: 'OutboundTextPart' });

/** Media by a key in the hub's payload bucket, or by an HTTPS URL the provider can fetch. */
export const OutboundMediaSourceSchema = z
  .union([z.strictObject({ s3Key: z.string().min(1).max(1024) }), z.strictObject({ url: HttpsUrlSchema })])
  .meta({ id: 'OutboundMediaSource' });

export const OutboundMediaPartSchema = z
  .strictObject({
    type: z.literal('media'),
    kind: z.enum(['image', 'audio', 'video', 'file', 'sticker']),
    source: OutboundMediaSourceSchema,
    mimeType: z.string().max(255).optional(),
    filename: shownString(255).min(1).optional(),
    caption: shownString(4096).optional(),
  })
  .meta({ id: 'OutboundMediaPart' });

/** A header's media: exactly one of an HTTPS link the provider fetches or a file in the hub's bucket. */
const headerMediaSource = {
  url: HttpsUrlSchema.optional(),
  /** A file in the hub's payload bucket, as for a media part's `source.s3Key` (uploaded to WhatsApp first). */
  s3Key: z.string().min(1).max(1024).optional(),
};
const oneHeaderMediaSource = (header: { url?: string | undefined; s3Key?: string | undefined }) =>
  (header.url === undefined) !== (header.s3Key === undefined);
const ONE_HEADER_MEDIA_SOURCE = { message: "a header's media is exactly one of url or s3Key", path: ['url'] };
/** The same rule in the published schema, where the refinement does not reach. */
const ONE_HEADER_MEDIA_SOURCE_JSON = {
  oneOf: [{ required: ['url'] }, { required: ['s3Key'] }],
  description: 'Exactly one of `url` or `s3Key`.',
};

/**
 * A template's header values (WhatsApp): its text parameter, its media (by HTTPS link or by a file in
 * the hub's bucket), or its location. The header's fixed part is in the approved template.
 */
export const OutboundTemplateHeaderSchema = z
  .discriminatedUnion('type', [
    z.strictObject({
      type: z.literal('text'),
      text: shownString(1024).min(1),
      /** Named templates: the parameter's name. */
      parameterName: z.string().min(1).max(64).optional(),
    }),
    z
      .strictObject({ type: z.enum(['image', 'video']), ...headerMediaSource })
      .refine(oneHeaderMediaSource, ONE_HEADER_MEDIA_SOURCE)
      .meta(ONE_HEADER_MEDIA_SOURCE_JSON),
    z
      .strictObject({
        type: z.literal('document'),
        ...headerMediaSource,
        filename: shownString(255).min(1).optional(),
      })
      .refine(oneHeaderMediaSource, ONE_HEADER_MEDIA_SOURCE)
      .meta(ONE_HEADER_MEDIA_SOURCE_JSON),
    z.strictObject({
      type: z.literal('location'),
      latitude: z.number().min(-90).max(90),
      longitude: z.number().min(-180).max(180),
      name: shownString(1000).optional(),
      address: shownString(1000).optional(),
    }),
  ])
  .meta({ id: 'OutboundTemplateHeader' });
export type OutboundTemplateHeader = z.infer<typeof OutboundTemplateHeaderSchema>;

/**
 * The value of one of the template's buttons (WhatsApp), by its position among them (from 0): a
 * quick reply's payload (returned when tapped), a URL button's dynamic suffix, a copy-code button's
 * coupon code. Buttons without a variable part need no entry.
 */
export const OutboundTemplateButtonSchema = z
  .discriminatedUnion('type', [
    z.strictObject({
      type: z.literal('quick_reply'),
      index: z.number().int().nonnegative().max(99),
      payload: z.string().min(1).max(1024),
    }),
    z.strictObject({
      type: z.literal('url'),
      index: z.number().int().nonnegative().max(99),
      text: shownString(2048).min(1),
    }),
    z.strictObject({
      type: z.literal('copy_code'),
      index: z.number().int().nonnegative().max(99),
      couponCode: shownString(64).min(1),
    }),
  ])
  .meta({ id: 'OutboundTemplateButton' });
export type OutboundTemplateButton = z.infer<typeof OutboundTemplateButtonSchema>;

/**
 * A key no JavaScript object takes as data: zod builds a record by assignment, which sets the
 * prototype instead, so the entry would be dropped without a word (and the send fail later at the
 * provider). Refused, naming it; JSON Schema readers are told by `propertyNames`.
 */
const PROTOTYPE_KEY = '__proto__';

/**
 * Refuses, naming it, a `__proto__` key of an object given to the schema it wraps. The issue does
 * not abort the part, so a union of parts reports it as this part's, not as "matches no part".
 */
const refusingPrototypeKey = <S extends z.ZodType>(schema: S) =>
  z.preprocess((value, context) => {
    if (typeof value === 'object' && value !== null && Object.hasOwn(value, PROTOTYPE_KEY))
      context.addIssue({
        code: 'custom',
        path: [PROTOTYPE_KEY],
        message: `${PROTOTYPE_KEY} is no parameter name the hub takes`,
        input: value,
        continue: true,
      });
    return value;
  }, schema);

/** Body parameters: positional (`{{1}}`…) as a list, or named as a record. */
const TemplateParametersSchema = refusingPrototypeKey(
  z.union([
    z.array(shownString(1024)).max(100),
    z.record(
      z
        .string()
        .max(64)
        .meta({ not: { const: PROTOTYPE_KEY } }),
      shownString(1024),
    ),
  ]),
);

export const OutboundTemplatePartSchema = z
  .strictObject({
    type: z.literal('template'),
    /** WhatsApp: the approved template's name. Twilio: a Content SID (`HX…`). */
    name: z.string().min(1).max(512),
    /** BCP 47 / WhatsApp language code, e.g. `en_US`, `el`. */
    language: z.string().min(2).max(16),
    /**
     * The template's category as approved at Meta. After a WhatsApp marketing opt-out only `utility`
     * and `authentication` templates go: one without a category is taken for marketing there.
     */
    category: z.enum(['marketing', 'utility', 'authentication']).optional(),
    /** Body parameters: positional (`{{1}}`…) as a list, or named as a record. */
    parameters: TemplateParametersSchema.optional(),
    /** How many body parameters the approved template has, when the helpdesk knows it: a mismatch is refused before any call. */
    parameterCount: z.number().int().nonnegative().max(100).optional(),
    /** WhatsApp: the header's value (text parameter, media by link or stored file, or location). Twilio: part of the Content template, refused here. */
    header: OutboundTemplateHeaderSchema.optional(),
    /** WhatsApp: values of the template's buttons. Twilio: part of the Content template, refused here. */
    buttons: z.array(OutboundTemplateButtonSchema).max(20).optional(),
  })
  .meta({ id: 'OutboundTemplatePart' });

/** A button's, or a list row's, title: shown to the customer (WhatsApp refuses an empty one). */
const ButtonSchema = z.strictObject({ id: z.string().min(1).max(256), title: shownText(64) });

export const OutboundInteractivePartSchema = z
  .strictObject({
    type: z.literal('interactive'),
    /** The message's text beside the buttons or list: like a text part's, not blank. */
    body: shownText(4096),
    /** Reply buttons (WhatsApp at most 3, titles at most 20 characters; Messenger quick replies at most 13). */
    buttons: z.array(ButtonSchema).min(1).max(13).optional(),
    /** A list (WhatsApp): the button that opens it and its sections of rows. */
    list: z
      .strictObject({
        button: shownText(64),
        sections: z
          .array(
            z.strictObject({
              title: shownString(64).optional(),
              rows: z
                .array(ButtonSchema.extend({ description: shownString(256).optional() }))
                .min(1)
                .max(10),
            }),
          )
          .min(1)
          .max(10),
      })
      .optional(),
  })
  .refine((part) => (part.buttons === undefined) !== (part.list === undefined), {
    message: 'either buttons or a list',
  })
  .meta({
    id: 'OutboundInteractivePart',
    description: 'Exactly one of `buttons` or `list`.',
    oneOf: [{ required: ['buttons'] }, { required: ['list'] }],
  });

export const OutboundReactionPartSchema = z
  .strictObject({
    type: z.literal('reaction'),
    targetProviderMessageId: z.string().min(1).max(1024),
    /** The emoji; empty removes the reaction. */
    emoji: shownString(32).meta({
      description:
        "One emoji; empty removes the reaction. Instagram takes only ❤️ (sent as Meta's `love`): any other emoji ends `send_failed` (`content_invalid`, `failedField` `parts.N.emoji`) before any call.",
    }),
  })
  .meta({ id: 'OutboundReactionPart' });

export const OutboundLocationPartSchema = z
  .strictObject({
    type: z.literal('location'),
    latitude: z.number().min(-90).max(90),
    longitude: z.number().min(-180).max(180),
    name: shownString(1000).optional(),
    address: shownString(1000).optional(),
  })
  .meta({ id: 'OutboundLocationPart' });

export const OutboundPartSchema = z
  .union([
    OutboundTextPartSchema,
    OutboundMediaPartSchema,
    OutboundTemplatePartSchema,
    OutboundInteractivePartSchema,
    OutboundReactionPartSchema,
    OutboundLocationPartSchema,
  ])
  .meta({ id: 'OutboundPart' });
export type OutboundPart = z.infer<typeof OutboundPartSchema>;
export type OutboundTextPart = z.infer<typeof OutboundTextPartSchema>;
export type OutboundMediaPart = z.infer<typeof OutboundMediaPartSchema>;
export type OutboundTemplatePart = z.infer<typeof OutboundTemplatePartSchema>;
export type OutboundInteractivePart = z.infer<typeof OutboundInteractivePartSchema>;

/** Who is answering: only a human agent's reply may use Messenger's HUMAN_AGENT tag (7 days). */
export const CommandSenderSchema = z
  .strictObject({ kind: z.enum(['agent', 'bot', 'system']), id: z.string().min(1).max(256) })
  .meta({ id: 'CommandSender' });

/** The caller's key: the same key for the same conversation is the same command, however often sent. */
export const IdempotencyKeySchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[\x21-\x7e]+$/, 'printable ASCII');

export const SendMessageDataSchema = z
  .strictObject({
    idempotencyKey: IdempotencyKeySchema,
    /** The reply goes to the address this conversation was opened with, never to another identity of the contact. */
    conversationId: z.string().min(1).max(128),
    parts: z.array(OutboundPartSchema).min(1).max(MAX_OUTBOUND_PARTS),
    /** The provider message this one answers (WhatsApp context, Messenger reply_to, e-mail In-Reply-To). */
    replyTo: z.strictObject({ providerMessageId: z.string().min(1).max(1024) }).optional(),
    sender: CommandSenderSchema,
    /** After this instant the hub must not send: the command ends `send_failed` (`deadline_exceeded`). */
    deadline: TimestampSchema.optional(),
    /** E-mail only: the subject (default: `Re:` and the conversation's last subject). */
    email: z.strictObject({ subject: shownString(998).optional() }).optional(),
  })
  .meta({ id: 'SendMessageData' });
export type SendMessageData = z.infer<typeof SendMessageDataSchema>;

export const MarkReadDataSchema = z
  .strictObject({
    conversationId: z.string().min(1).max(128),
    /** The newest customer message read; earlier ones count as read too. */
    providerMessageId: z.string().min(1).max(1024),
  })
  .meta({ id: 'MarkReadData' });

export const TypingDataSchema = z
  .strictObject({ conversationId: z.string().min(1).max(128) })
  .meta({ id: 'TypingData' });

/**
 * Whether a CloudEvents `datacontenttype` says the data is JSON: `application/json` or a `+json`
 * structured-syntax type (RFC 6839), case-insensitive, parameters allowed (RFC 2046 media types),
 * as the JSON event format reads data for any of them.
 */
const isJsonMediaType = (value: string): boolean => {
  const type = mediaTypeOf(value);
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
};

const commandEnvelope = {
  specversion: z.literal('1.0'),
  /** The command's own id (any unique string); the idempotency key, not this, decides what is a repeat. */
  id: z.string().min(1).max(256),
  /** Who sent it, e.g. `helpdesk:acme`. */
  source: z.string().min(1).max(1024),
  time: TimestampSchema.optional(),
  subject: z.string().max(1024).optional(),
  datacontenttype: z
    .string()
    .max(256)
    .refine(isJsonMediaType, 'must be a JSON media type (application/json or a +json type)')
    .meta({
      description:
        'A JSON media type, as CloudEvents allows it: `application/json` or a `+json` type, any case, with parameters (`application/json; charset=utf-8`). Until 2026-12-06 only `application/json` exactly.',
      pattern: '^[Aa][Pp][Pp][Ll][Ii][Cc][Aa][Tt][Ii][Oo][Nn]/([^;]*\\+)?[Jj][Ss][Oo][Nn]\\s*(;.*)?$',
    })
    .optional(),
};

export const SendMessageCommandSchema = z
  .object({ ...commandEnvelope, type: z.literal(COMMAND_TYPES.sendMessage), data: SendMessageDataSchema })
  .meta({ id: 'SendMessageCommand', description: `Send a message in a conversation. ${COMMAND_LIMIT}` });
export const MarkReadCommandSchema = z
  .object({ ...commandEnvelope, type: z.literal(COMMAND_TYPES.markRead), data: MarkReadDataSchema })
  .meta({
    id: 'MarkReadCommand',
    description: `Mark customer messages read (best effort). ${COMMAND_LIMIT}`,
  });
export const TypingCommandSchema = z
  .object({ ...commandEnvelope, type: z.literal(COMMAND_TYPES.typing), data: TypingDataSchema })
  .meta({
    id: 'TypingCommand',
    description: `Show a typing indicator (best effort, only before a reply). ${COMMAND_LIMIT}`,
  });

export const HubCommandSchema = z
  .discriminatedUnion('type', [SendMessageCommandSchema, MarkReadCommandSchema, TypingCommandSchema])
  .meta({ id: 'HubCommand', title: 'Switchboard command', description: COMMAND_LIMIT });
export type HubCommand = z.infer<typeof HubCommandSchema>;
export type SendMessageCommand = z.infer<typeof SendMessageCommandSchema>;

/** One example per command, for the published contract and the README. */
export const EXAMPLE_COMMANDS: Readonly<Record<CommandType, HubCommand>> = {
  [COMMAND_TYPES.sendMessage]: {
    specversion: '1.0',
    id: '5b0f6a52-3f7e-4a0c-9a41-2f1d0c6e9b13',
    source: 'helpdesk:acme',
    type: COMMAND_TYPES.sendMessage,
    time: '2026-11-22T10:42:31.000Z',
    data: {
      idempotencyKey: 'ticket-4711-reply-3',
      conversationId: 'conv_3f1c2a9b8d7e6f5a4b3c2d1e0f9a8b7c',
      parts: [{ type: 'text', text: 'Your new delivery address is saved. Anything else?' }],
      replyTo: { providerMessageId: 'wamid.HBgMMzA2OTQ1MTIzNDU2FQIAEhggNEE1QjdEMjM0QzU2' },
      sender: { kind: 'agent', id: 'agent-17' },
      deadline: '2026-11-22T11:42:31.000Z',
    },
  },
  [COMMAND_TYPES.markRead]: {
    specversion: '1.0',
    id: '0d6c1f0e-8a55-4bb4-a7a4-3c1e2f7b9a20',
    source: 'helpdesk:acme',
    type: COMMAND_TYPES.markRead,
    data: {
      conversationId: 'conv_3f1c2a9b8d7e6f5a4b3c2d1e0f9a8b7c',
      providerMessageId: 'wamid.HBgMMzA2OTQ1MTIzNDU2FQIAEhggNEE1QjdEMjM0QzU2',
    },
  },
  [COMMAND_TYPES.typing]: {
    specversion: '1.0',
    id: '9e3a7b21-55c4-4d0e-8f6b-1a2c3d4e5f60',
    source: 'helpdesk:acme',
    type: COMMAND_TYPES.typing,
    data: { conversationId: 'conv_3f1c2a9b8d7e6f5a4b3c2d1e0f9a8b7c' },
  },
};

export const COMMAND_DESCRIPTIONS: Readonly<Record<CommandType, string>> = {
  [COMMAND_TYPES.sendMessage]:
    'Send a message in a conversation, to the address it was opened with. Ends in exactly one event: `switchboard.message.sent` (with the provider message ids) or `switchboard.message.send_failed` (with a normalized reason). The same `idempotencyKey` in the same conversation is the same command, however often it is sent: the hub makes at most one provider request per provider message.',
  [COMMAND_TYPES.markRead]:
    "Mark the customer's messages read up to one (WhatsApp read receipt, Messenger mark_seen). Best effort: no event; a channel without read receipts ignores it.",
  [COMMAND_TYPES.typing]:
    'Show a typing indicator (WhatsApp, Messenger). Best effort: no event; other channels ignore it.',
};
