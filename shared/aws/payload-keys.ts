import { createHash } from 'node:crypto';
import { CONVERSATION_ID_PATTERN } from '#shared/contract/ids.ts';
import { PAYLOAD_BUCKET } from '#shared/resources/definitions.ts';

/*
 * Where the payload bucket keeps what belongs to a conversation: its claim checks, its attachments
 * and its e-mail bodies, each under the conversation's id, so erasing the conversation finds them
 * all by listing, whether or not a record still names them. Nothing a customer chose (a file name,
 * an address) becomes part of a key: keys reach S3's access logs.
 */

/** A message id as `hubMessageIdFor` makes it (or any id of letters, digits, `_` and `-`). */
const MESSAGE_ID = /^[A-Za-z0-9_-]{1,128}$/;

/** A conversation id as `conversationIdFor` makes it: the only id that becomes part of a key. */
export const isKeyableConversationId = (conversationId: string): boolean =>
  CONVERSATION_ID_PATTERN.test(conversationId);

const PAYLOAD_PREFIXES = Object.values(PAYLOAD_BUCKET.prefixes);

/** S3's longest key, in bytes of UTF-8 (not characters). */
const MAX_KEY_BYTES = 1024;

/**
 * Only characters XML 1.0 allows: DeleteObjects sends its keys in an XML body, which S3 refuses
 * whole (400 MalformedXML, nothing deleted) when one key has another (U+0000–U+001F other than tab,
 * newline and carriage return, which the SDK escapes; a lone surrogate; U+FFFE, U+FFFF). With `u`, a
 * surrogate pair is one code point.
 */
const XML_CHARACTERS = /^[\t\n\r\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]*$/u;

/**
 * Whether a key a stored item names may be handed to S3 as a payload object's (to delete it, or to
 * list it in an export): under one of the bucket's prefixes, at most 1024 bytes, only XML 1.0
 * characters. Any other string names no object S3 could hold (a helpdesk command's key the sender
 * refused, kept in a record before that was checked): passed over, never sent, nothing left behind.
 */
export const isPayloadObjectKey = (value: unknown): value is string =>
  typeof value === 'string' &&
  PAYLOAD_PREFIXES.some((prefix) => value.startsWith(prefix)) &&
  Buffer.byteLength(value, 'utf8') <= MAX_KEY_BYTES &&
  XML_CHARACTERS.test(value);

/**
 * The prefixes under which a conversation's objects sit, each followed by its id: what erasure lists
 * (and so what its role may list: infra/constructs/helpdesk-api.ts). The spill among them: events a
 * webhook kept when SQS refused them (shared/intake/spill.ts), until the drain queues them.
 */
export const CONVERSATION_OBJECT_PREFIXES = [
  PAYLOAD_BUCKET.claimCheckPrefix,
  PAYLOAD_BUCKET.prefixes.attachments,
  PAYLOAD_BUCKET.prefixes.bodies,
  PAYLOAD_BUCKET.prefixes.spill,
] as const;

/** Every prefix under which the bucket keeps objects of `conversationId`; none for any other string. */
export const conversationObjectPrefixes = (conversationId: string): string[] =>
  isKeyableConversationId(conversationId)
    ? CONVERSATION_OBJECT_PREFIXES.map((prefix) => `${prefix}${conversationId}/`)
    : [];

/**
 * Where the media fetcher's multipart uploads of a conversation's attachments are (its keys are
 * `attachments/<conversationId>/<hubMessageId>/<partIndex>`): what erasure lists for uploads a dead
 * fetcher left; none for any other string.
 */
export const conversationUploadPrefix = (conversationId: string): string | undefined =>
  isKeyableConversationId(conversationId)
    ? `${PAYLOAD_BUCKET.prefixes.attachments}${conversationId}/`
    : undefined;

/**
 * Where an object of one message goes under `prefix`: `<prefix><conversationId>/<hubMessageId>/`
 * when the ids are the hub's own, else (no conversation id, or another kind) `<prefix>email/<sha256
 * of both>/`: still one message's alone (never shared with another person's message), found
 * through its record rather than by its conversation's prefix.
 */
const messageScope = (prefix: string, scope: MessageScope): string =>
  isKeyableConversationId(scope.conversationId) && MESSAGE_ID.test(scope.hubMessageId)
    ? `${prefix}${scope.conversationId}/${scope.hubMessageId}/`
    : `${prefix}email/${createHash('sha256').update(`${scope.conversationId}\u0000${scope.hubMessageId}`, 'utf8').digest('hex')}/`;

/**
 * The prefixes every e-mail body key (`emailBodyKey`) is under since 2026-12-02: `bodies/conv_<id>/…`
 * (a conversation id starts `conv_`) and `bodies/email/<sha256>/…`; never the claim checks beside
 * them (`bodies/events/`: whole events of every channel). What the helpdesk API may read of
 * `bodies/` (infra/constructs/helpdesk-api.ts). Before 2026-12-02 a body was `bodies/<sha256>.<ext>`,
 * by content alone: under neither.
 */
export const EMAIL_BODY_PREFIXES = [
  `${PAYLOAD_BUCKET.prefixes.bodies}conv_`,
  `${PAYLOAD_BUCKET.prefixes.bodies}email/`,
] as const;

/** The message an object belongs to. */
export interface MessageScope {
  readonly conversationId: string;
  readonly hubMessageId: string;
}

/** An e-mail attachment of one message, by its content's sha256 (the same file twice in one mail is stored once). */
export const emailAttachmentKey = (scope: MessageScope, sha256: string): string =>
  `${messageScope(PAYLOAD_BUCKET.prefixes.attachments, scope)}${sha256}`;

/** An e-mail body too large for the event, of one message. */
export const emailBodyKey = (scope: MessageScope, sha256: string, kind: 'text' | 'html'): string =>
  `${messageScope(PAYLOAD_BUCKET.prefixes.bodies, scope)}${sha256}.${kind === 'text' ? 'txt' : 'html'}`;
