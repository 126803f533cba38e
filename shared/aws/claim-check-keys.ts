import { createHash } from 'node:crypto';
import { PAYLOAD_BUCKET } from '#shared/resources/definitions.ts';
import { isKeyableConversationId } from './payload-keys.ts';

/*
 * Where the publisher stores an event too large for one queue message (the claim check's object).
 * Kept apart from the reader (./claim-check.ts), which parses pointers with the contract's zod
 * schema: the publisher runs on the webhooks' path, whose bundles hold no zod.
 */

export const CLAIM_CHECK_CONTENT_TYPE = 'application/cloudevents+json';

/** Claim checks of events about no conversation (an endpoint's notices): a fixed segment, no identifier. */
const UNSCOPED_SEGMENT = 'unscoped/';

/**
 * Where a conversation's claim checks are kept, so erasing the conversation finds them all with
 * one listing; undefined for anything but a conversation id (no other string becomes a key).
 */
export const claimCheckPrefixFor = (conversationId: string): string | undefined =>
  isKeyableConversationId(conversationId)
    ? `${PAYLOAD_BUCKET.claimCheckPrefix}${conversationId}/`
    : undefined;

/**
 * The key of an event's claim check: `bodies/events/<conversationId>/<sha256>.json`, under its
 * conversation (its subject) and content-addressed within it. The pointer names the key, so readers
 * read any key, the older `bodies/events/<sha256>.json` too.
 */
export const claimCheckKeyFor = (eventJson: string, subject: string): { key: string; sha256: string } => {
  const sha256 = createHash('sha256').update(eventJson, 'utf8').digest('hex');
  const prefix = claimCheckPrefixFor(subject) ?? `${PAYLOAD_BUCKET.claimCheckPrefix}${UNSCOPED_SEGMENT}`;
  return { key: `${prefix}${sha256}.json`, sha256 };
};
