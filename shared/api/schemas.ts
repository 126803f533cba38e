import { z } from 'zod';
import { CONVERSATION_ID_PATTERN } from '#shared/contract/ids.ts';
import {
  AssigneeSchema,
  ChangeActorSchema,
  ChannelSchema,
  ContactIdSchema as ContactIdContractSchema,
  ConversationPrioritySchema,
  ConversationStatusSchema,
  HUB_ACTOR_ID_PREFIX,
  IdempotencyKeySchema,
  LabelSchema,
  MAX_LABELS,
  NOT_WELL_FORMED,
  nonBlankText,
  SendMessageDataSchema,
  TimestampSchema,
  wellFormed,
} from '#shared/contract/index.ts';
import { WELL_FORMED } from '#shared/validation/shown-text.ts';

/*
 * What the helpdesk API takes: every path parameter, query, header and body parsed by these
 * schemas (the consent POST and a conversation listing by contact read the person first). A
 * field a body's schema does not name, at any depth (a part, `sender`, `replyTo`, `actor`), is a 400
 * that names it: a misspelled `caption` is refused, never dropped.
 */

export const ConversationIdSchema = z.string().regex(CONVERSATION_ID_PATTERN, 'a conversation id (conv_…)');

/** A person's id (`ct_…`), the same on every channel where they share a phone number or an e-mail address. */
export const ContactIdSchema = ContactIdContractSchema;

const PAGE_LIMIT_MAX = 100;
const integerParam = (max: number) =>
  z.preprocess(
    (value) => (typeof value === 'string' && /^\d{1,6}$/.test(value) ? Number(value) : value),
    z.number().int().min(1).max(max),
  );
const booleanParam = z.preprocess(
  (value) => (value === 'true' ? true : value === 'false' ? false : value),
  z.boolean(),
);
const CursorParam = z
  .string()
  .min(1)
  .max(2048)
  .meta({ description: 'The `nextCursor` or `previousCursor` of the page before.' });

/** The query of an operation that takes none: any parameter is a 400 naming it. */
export const NoQuerySchema = z.strictObject({});

/**
 * A listing's filters, each given once. Payload 2.0 joins a repeated parameter's values with commas
 * (`?assignee=a&assignee=b` reaches the function as `assignee=a,b`); the router refuses any repeat,
 * read from the raw query string (./apigw.ts), so a comma in `assignee` or `endpoint` is the value's
 * own (an assignee may hold one: `Support, EMEA`), never two filters taken for one.
 */
export const ListConversationsQuerySchema = z.strictObject({
  status: ConversationStatusSchema.optional(),
  waiting: booleanParam.optional().meta({
    description:
      'Only conversations whose customer waits for an answer (open, unanswered), longest wait first.',
  }),
  sort: z.enum(['activity', 'waiting']).optional().meta({
    description:
      'Newest activity first (default: by the hour of last activity across pages, exact within a page; with `contact`, exact), or longest wait first (implies `waiting`).',
  }),
  channel: ChannelSchema.optional(),
  endpoint: z.string().min(1).max(256).optional().meta({ description: 'The business endpoint id.' }),
  contact: ContactIdSchema.optional().meta({
    description: "A contact's conversations (not with `waiting`).",
  }),
  assignee: AssigneeSchema.optional(),
  label: LabelSchema.optional(),
  limit: integerParam(PAGE_LIMIT_MAX).optional().meta({ description: 'Page size (default 25).' }),
  cursor: CursorParam.optional(),
});
export type ListConversationsQuery = z.output<typeof ListConversationsQuerySchema>;

export const ContactConversationsQuerySchema = ListConversationsQuerySchema.pick({
  status: true,
  limit: true,
  cursor: true,
});

/**
 * A consent ledger's page: 500 entries of the longest evidence (1,000 characters, each escaped to 6
 * bytes of JSON at worst, 7 inside Lambda's result) stay near 3.6 MB; the byte budget
 * (./page-budget.ts) ends a page before Lambda's 6 MB limit whatever they hold.
 */
export const CONSENT_PAGE_MAX = 500;

export const ExportQuerySchema = z.strictObject({
  cursor: CursorParam.optional(),
});

export const ConsentHistoryQuerySchema = z.strictObject({
  limit: integerParam(CONSENT_PAGE_MAX)
    .optional()
    .meta({ description: `Page size (default and most: ${CONSENT_PAGE_MAX} changes).` }),
  cursor: CursorParam.optional(),
});

export const ListMessagesQuerySchema = z.strictObject({
  limit: integerParam(PAGE_LIMIT_MAX).optional(),
  cursor: CursorParam.optional(),
  from: z.enum(['oldest', 'newest']).optional().meta({
    description: 'Without a cursor: the first page from the oldest message (default) or the newest.',
  }),
});

/**
 * Who makes a change, as a caller names it: any actor but one of the hub's own (an id starting with
 * `switchboard:`, in any case), so no change event can claim to be the snooze timer's. The API
 * document's `ChangeActor`: the contract's, with those ids refused.
 */
const CallerChangeActorSchema = ChangeActorSchema.extend({
  id: wellFormed(ChangeActorSchema.shape.id)
    .refine((id) => !id.toLowerCase().startsWith(HUB_ACTOR_ID_PREFIX), {
      message: `ids starting with ${HUB_ACTOR_ID_PREFIX} are reserved for the hub's own actors`,
    })
    .meta({
      description: `Not starting with \`${HUB_ACTOR_ID_PREFIX}\` (in any case): the hub's own actors.`,
    }),
})
  .strict()
  .meta({ id: 'ChangeActor' });

/**
 * A label as a caller gives it: the contract's, and no unpaired UTF-16 surrogate (half a character),
 * which has no UTF-8 form to publish or store it in. Checked on what callers send only: the contract's
 * schema also reads conversations stored before this check, which must stay readable. A refinement,
 * not a second pattern (the label already has one), so the document says it in words.
 */
const CallerLabelSchema = LabelSchema.refine((label) => WELL_FORMED.test(label), {
  message: NOT_WELL_FORMED,
}).meta({ description: 'No spaces or commas, and no unpaired UTF-16 surrogate (half of a character).' });

/** An ISO 8601 date-time with an offset and nanoseconds is 35 characters; zod's has any number of decimals. */
const SNOOZED_UNTIL_MAX_LENGTH = 64;

/** How far ahead a snooze may wake a conversation (a year, a leap year's included). */
export const MAX_SNOOZE_DAYS = 366;

/** The fields a PATCH changes; `actor` only says who changes them. */
const PATCH_CHANGES = ['status', 'assignee', 'labels', 'priority'] as const;

/**
 * The rules across fields, in the published schema (JSON Schema), where the refinements below do
 * not reach: `snoozedUntil` with status `snoozed`, and only with it; at least one field to change.
 * That the snooze is in the future and at most a year ahead depends on the time of the request, so
 * the document can only say it (the handler checks it).
 */
const CONVERSATION_PATCH_JSON = {
  description:
    'At least one of `status`, `assignee`, `labels` or `priority` (`actor` alone, or `{}`, is refused: nothing to change). `snoozedUntil` is required with status `snoozed` and refused otherwise.',
  if: { properties: { status: { const: 'snoozed' } }, required: ['status'] },
  // biome-ignore lint/suspicious/noThenProperty: JSON Schema's `then`, never awaited
  then: { required: ['snoozedUntil'] },
  else: { not: { required: ['snoozedUntil'] } },
  // In `allOf`: a bare `anyOf` beside `properties` reads to openapi-typescript as a union with
  // `unknown`, which would leave clients an untyped body.
  allOf: [{ anyOf: PATCH_CHANGES.map((field) => ({ required: [field] })) }],
};

export const ConversationPatchSchema = z
  .strictObject({
    status: ConversationStatusSchema.optional(),
    /** Bounded so the body limit is (./body-limit.ts). */
    snoozedUntil: TimestampSchema.max(SNOOZED_UNTIL_MAX_LENGTH)
      .optional()
      .meta({
        description: `When the snooze ends (ISO 8601, any offset, kept as UTC): required with status \`snoozed\`, refused otherwise; in the future, at most ${MAX_SNOOZE_DAYS} days ahead (400 otherwise).`,
      }),
    assignee: wellFormed(AssigneeSchema).nullable().optional(),
    labels: z.array(CallerLabelSchema).max(MAX_LABELS).optional(),
    priority: ConversationPrioritySchema.nullable().optional(),
    /** Who makes the change (default: the authenticated caller, as an agent). */
    actor: CallerChangeActorSchema.optional(),
  })
  .refine((patch) => (patch.status === 'snoozed') === (patch.snoozedUntil !== undefined), {
    message: 'snoozedUntil goes with status snoozed, and only with it',
    path: ['snoozedUntil'],
  })
  .refine((patch) => PATCH_CHANGES.some((field) => patch[field] !== undefined), {
    message: 'nothing to change',
  })
  .meta({ id: 'ConversationPatch', ...CONVERSATION_PATCH_JSON });

export const SendMessageRequestSchema = SendMessageDataSchema.omit({
  idempotencyKey: true,
  conversationId: true,
})
  .strict()
  .meta({ id: 'SendMessageRequest' });

export const MarkReadRequestSchema = z
  .strictObject({ providerMessageId: z.string().min(1).max(1024) })
  .meta({ id: 'MarkReadRequest' });

export const TypingRequestSchema = z.strictObject({}).meta({ id: 'TypingRequest' });

export const IdempotencyKeyHeaderSchema = IdempotencyKeySchema;

/** The longest `If-Match` taken: a list of some dozens of ETags. */
const MAX_IF_MATCH_LENGTH = 1024;

/** An entity-tag (RFC 9110 8.8.3): weak or strong, its opaque part any visible character but `"`. */
const ENTITY_TAG = String.raw`(?:W/)?"[!#-~\x80-\xff]*"`;

/**
 * `*`, a list of entity-tags (RFC 9110 13.1.1), or a bare version (`12`, as ETags were once
 * written). Linear: each tag ends at its closing quote, and tags are apart by a comma.
 */
const IF_MATCH = new RegExp(String.raw`^(?:\*|\d{1,12}|${ENTITY_TAG}(?:[ \t]*,[ \t]*${ENTITY_TAG})*)$`);

/** One tag of the list, for reading each after the whole matched `IF_MATCH`. */
const LISTED_TAG = /(W\/)?"([!#-~\x80-\xff]*)"/g;

/** One of the conversation's ETags: `<version>.<creation marker>`, or a bare version (matching none). */
const OWN_TAG = /^(\d{1,12})(?:\.([0-9a-f]{8}))?$/;

/** A version an `If-Match` names, and the creation marker it names it with (none: it matches nothing). */
interface NamedVersion {
  readonly version: number;
  readonly marker?: string;
}

/**
 * What an `If-Match` asks: any current version (`*`: the conversation exists), or one of the
 * versions its strong tags name. A weak tag (`W/"12.1f0c9a3b"`) never matches (the comparison is
 * strong, RFC 9110 13.1.1), nor does a tag of another form: answered 412 with the current ETag.
 */
export type IfMatch =
  | { readonly any: true }
  | { readonly any?: undefined; readonly tags: readonly NamedVersion[] };

/**
 * How many times a PATCH with `If-Match: *` reads, applies and saves while another writer saves the
 * conversation between its read and its write each time; then 409, nothing changed.
 */
export const ANY_VERSION_ATTEMPTS = 5;

const namedVersionOf = (opaque: string): NamedVersion[] => {
  const own = OWN_TAG.exec(opaque);
  if (!own) return [];
  const [, version = '', marker] = own;
  return [{ version: Number(version), ...(marker === undefined ? {} : { marker }) }];
};

/**
 * The ETag read: `"<version>.<creation marker>"`, alone or in a list (`"7.1f0c9a3b", "8.1f0c9a3b"`:
 * a match of any one), or `*`. A bare version (`"12"`, as ETags were before 2026-12-05) still
 * parses, without a marker: it matches no conversation, so it is answered 412 with the current ETag.
 * Until 2026-12-06 only one strong tag was taken: a list or a weak tag was a 400 (found by a review,
 * tests/api/helpdesk-api.test.ts).
 */
export const IfMatchSchema = z
  .string()
  .max(MAX_IF_MATCH_LENGTH)
  .regex(IF_MATCH, 'the ETag you read, e.g. "12.1f0c9a3b", a list of ETags, or *')
  .transform((value): IfMatch => {
    if (value === '*') return { any: true };
    if (/^\d+$/.test(value)) return { tags: namedVersionOf(value) };
    return {
      tags: [...value.matchAll(LISTED_TAG)].flatMap(([, weak, opaque = '']) =>
        weak === undefined ? namedVersionOf(opaque) : [],
      ),
    };
  });

/** The consent scope each channel has (the outbound policy reads the same registers). */
export const CONSENT_SCOPE_OF_CHANNEL = {
  sms: 'sms',
  whatsapp: 'whatsapp_marketing',
  messenger: 'messenger_notifications',
  email: 'email',
} as const;

export const ConsentChangeSchema = z
  .strictObject({
    channel: ChannelSchema,
    consent: z.enum(['opted_out', 'opted_in']),
    /** What the customer said or did and who recorded it: kept with the change, published with it. */
    evidence: wellFormed(z.string().min(1).max(1000)),
  })
  .meta({ id: 'ConsentChange' });

/** An explicit merge or unmerge: the other person, and why (kept with the merge, published with it). */
export const ContactMergeRequestSchema = z
  .strictObject({
    /** The person merged into the one in the path (or, to unmerge, the one merged into it). */
    contactId: ContactIdSchema,
    /**
     * Checked as given, as the document states it (a bound after trimming took 500 characters and
     * a space the document refuses), then kept trimmed.
     */
    reason: wellFormed(nonBlankText(500)).trim(),
  })
  .meta({ id: 'ContactMergeRequest' });

/** A message's hub id (`msg_` and 32 hex digits), as `message.received` and `message.sent` carry it. */
export const HubMessageIdSchema = z.string().regex(/^msg_[0-9a-f]{32}$/, 'a hub message id (msg_…)');

/** Which e-mail body stored apart: `html` (`email.htmlBodyKey`) or `text` (`email.textBodyKey`). */
export const EmailBodyKindSchema = z.enum(['html', 'text']);

/** A part's position in the message's `parts`, as a path segment: `0`, `1`, … (no sign, no leading zero). */
export const PartIndexSchema = z
  .string()
  .regex(/^(?:0|[1-9]\d{0,3})$/, 'a part index (0, 1, …)')
  .transform(Number);

/**
 * The types `POST /v1/media` hands out upload URLs for: the media some channel sends, each exactly
 * as S3 stores it (the URL signs it). WhatsApp's lists bound most of them (images jpeg and png,
 * stickers webp, audio aac, amr, mpeg, mp4 and ogg, video mp4 and 3gpp, documents pdf, text and
 * Office); Messenger, MMS and e-mail add gif.
 */
export const UPLOAD_CONTENT_TYPES = [
  'image/jpeg',
  'image/png',
  'image/webp',
  'image/gif',
  'audio/aac',
  'audio/amr',
  'audio/mp4',
  'audio/mpeg',
  'audio/ogg',
  'video/mp4',
  'video/3gpp',
  'application/pdf',
  'text/plain',
  'application/msword',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/vnd.ms-excel',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'application/vnd.ms-powerpoint',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation',
] as const;

/** The largest file any channel takes: a WhatsApp document (100 MB). */
export const MAX_UPLOAD_BYTES = 100 * 1024 * 1024;

export const MediaUploadRequestSchema = z
  .strictObject({
    contentType: z.enum(UPLOAD_CONTENT_TYPES).meta({
      description: 'The exact `Content-Type` the upload must carry (the URL signs it).',
    }),
    bytes: z
      .number()
      .int()
      .min(1)
      .max(MAX_UPLOAD_BYTES)
      .meta({ description: 'The exact size of the file (the URL signs it), at most 100 MiB.' }),
    filename: z.string().min(1).max(255).optional().meta({
      description:
        "Stored with the file as its `Content-Disposition` (the upload's `headers` carry it and the URL signs it), never in its key or a URL (S3's access logs keep both): the name the file goes out under when a send gives no `filename` of its own.",
    }),
  })
  .meta({ id: 'MediaUploadRequest' });
