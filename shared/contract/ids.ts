import { hash } from 'node:crypto';
import type { BusinessEndpoint, Channel, ChannelIdentity, Provider } from './common.ts';

/** Separator that cannot occur in provider ids, so ('a','bc') and ('ab','c') hash differently. */
const UNIT_SEPARATOR = '\u001f';

/**
 * 128 bits of SHA-256 over the parts, hex: stable across processes, retries and replays. The
 * one-shot `hash` costs a quarter of a `createHash` object, and several ids are hashed per event.
 */
export const stableHash = (...parts: readonly string[]): string =>
  hash('sha256', parts.join(UNIT_SEPARATOR), 'hex').slice(0, 32);

/** The form of every conversation id: `conv_` and 32 hex digits (conversationIdFor, emailThreadConversationId). */
export const CONVERSATION_ID_PATTERN = /^conv_[0-9a-f]{32}$/;

/** The form of every person's id: `ct_` and 32 hex digits (shared/domain/contact-identity.ts). */
export const CONTACT_ID_PATTERN = /^ct_[0-9a-f]{32}$/;

/**
 * A conversation is one contact talking to one business endpoint on one channel (for e-mail: one
 * thread with one customer, emailThreadConversationId). Deriving the id from those facts means the
 * webhook needs no database read.
 */
export const conversationIdFor = (channel: Channel, endpointId: string, contactKey: string): string =>
  `conv_${stableHash('conversation', channel, endpointId, contactKey)}`;

/**
 * An e-mail conversation the mail names no tag of: one thread (its root Message-ID) at one business
 * address with one customer. The thread alone is no conversation: one mail the business sent to
 * several customers (an announcement, all in Bcc) is the root of each one's separate answer. Each
 * fact is a part of its own (a root is of id characters, no control character), so no root or
 * address can be written to read as another's.
 */
export const emailThreadConversationId = (
  endpointAddress: string,
  threadRoot: string,
  customerAddress: string,
): string =>
  `conv_${stableHash('conversation', 'email', endpointAddress, 'thread', threadRoot, customerAddress)}`;

/** The key a contact's primary identity contributes to ids: `wa_id:4930…`. */
export const identityKey = (identity: ChannelIdentity): string => `${identity.type}:${identity.value}`;

/**
 * Longest identity kept readable in a key. Provider identifiers are far shorter (an e-mail address
 * at most 254 characters, a BSUID about 131); a longer one, which only a hostile or broken request
 * sends, is hashed, so no key ever outgrows DynamoDB's limits (2,048 bytes for a partition key,
 * 1,024 for a sort key) and no event becomes poison for its size. Counted in UTF-8 bytes: an
 * address of 181 characters with an internationalised domain may be 352.
 */
export const MAX_READABLE_IDENTITY_BYTES = 320;

/**
 * `type:value`, or `type:sha256:<hex>` for a value too long for a key: the form a contact is stored
 * under (shared/store/keys.ts), and the one its person is derived from when no strong identifier
 * names them (shared/domain/contact-identity.ts), so that a contact read back is the person it was
 * recorded as.
 */
export const boundedIdentityKey = (identity: ChannelIdentity): string =>
  Buffer.byteLength(identity.value, 'utf8') <= MAX_READABLE_IDENTITY_BYTES
    ? identityKey(identity)
    : `${identity.type}:sha256:${hash('sha256', identity.value, 'hex')}`;

/** One business endpoint as one provider serves it: what its send rate and its send pause are kept by. */
export const sendingEndpointKey = (provider: Provider, endpoint: BusinessEndpoint): string =>
  `${provider}#${endpoint.type}:${endpoint.id}`;

/** Conversation id for chat and SMS channels: endpoint + the contact's primary identity. */
export const contactConversationId = (
  channel: Channel,
  endpoint: BusinessEndpoint,
  primaryIdentity: ChannelIdentity,
): string => conversationIdFor(channel, endpoint.id, identityKey(primaryIdentity));

export const hubMessageIdFor = (channel: Channel, providerMessageId: string): string =>
  `msg_${stableHash('message', channel, providerMessageId)}`;

/**
 * The hub message id of a message sent through the hub: known when the command is accepted (the
 * API answers with it), the same for every repeat of the command, whatever the provider's ids.
 */
export const outboundHubMessageId = (conversationId: string, idempotencyKey: string): string =>
  `msg_${stableHash('outbound', conversationId, idempotencyKey)}`;

/**
 * The outbox's SQS deduplication id of a send command (its group is the conversation): the whole
 * key hashed, so two keys differ however long they are (SQS takes 128 characters; until 2026-12-06
 * `npm run send` cut `<conversationId>:<key>` there, and a second command whose key shared its first
 * 90 characters was dropped by SQS as a duplicate). The API and the CLI give the same id for a key.
 */
export const outboxDeduplicationId = (conversationId: string, idempotencyKey: string): string =>
  stableHash('outbox', conversationId, idempotencyKey);

/**
 * Event ids are a hash of what makes the occurrence unique (channel, kind, provider ids, status…),
 * never of when we received it: a provider retry days later yields the same id.
 */
export const eventIdFor = (channel: Channel, kind: string, ...uniqueParts: readonly string[]): string =>
  `evt_${stableHash('event', channel, kind, ...uniqueParts)}`;

/** Stable JSON (sorted keys) so an unknown item hashes the same however its keys were ordered. */
export const canonicalJson = (value: unknown): string => {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
};
