import { createHmac } from 'node:crypto';
import { constantTimeEqual } from '../signature.ts';

/**
 * Reply addresses: `reply+<tag>@<inbound domain>` places an answer in the conversation the hub
 * wrote from. The tag is the conversation id and an HMAC of it under the channel secret's
 * `email.replyTagKey`, so only the hub can make one: conversation ids hash public facts, and a
 * bare `reply+conv_<id>@` could otherwise be written by anyone to post into another customer's
 * conversation. Tags without a valid MAC (older bare ones included) place nothing.
 */

/** 64 bits of HMAC-SHA256, hex: the local part stays under RFC 5321's 64 octets with `reply+`. */
const MAC_HEX_LENGTH = 16;
const TAG = /^(conv_[0-9a-f]{32})\.([0-9a-f]{16})$/;
/** The shape of any conversation tag, signed or not: removed from endpoint addresses either way. */
const ANY_CONVERSATION_TAG = /^conv_[0-9a-f]{32}(?:\.[0-9a-f]{16})?$/;

const macOf = (conversationId: string, key: string): string =>
  createHmac('sha256', key).update(conversationId, 'utf8').digest('hex').slice(0, MAC_HEX_LENGTH);

/** The tag of a conversation, for the local part of a reply address. */
export const replyTagFor = (conversationId: string, key: string): string =>
  `${conversationId}.${macOf(conversationId, key)}`;

/** The conversation a tag names, when the hub made it; undefined for a forged, bare or malformed tag. */
export const conversationOfReplyTag = (tag: string, key: string | undefined): string | undefined => {
  if (key === undefined) return undefined;
  const match = TAG.exec(tag);
  if (!match) return undefined;
  const [, conversationId = '', mac = ''] = match;
  return constantTimeEqual(macOf(conversationId, key), mac) ? conversationId : undefined;
};

/** The local part of the fallback reply address (before its `+<tag>`). */
export const FALLBACK_REPLY_LOCAL_PART = 'reply';

/**
 * The hub's fallback reply address of an endpoint, without its tag: `reply@<the endpoint's domain>`.
 * `<local>+<tag>@` is too long for a local part over 9 characters, so those endpoints answer at
 * `reply+<tag>@<domain>`, which names no endpoint: a message the tag placed there belongs to the
 * endpoint of the conversation the tag names (the recorder checks the domain is that endpoint's).
 */
export const fallbackReplyAddressOf = (endpointAddress: string): string =>
  `${FALLBACK_REPLY_LOCAL_PART}${endpointAddress.slice(endpointAddress.lastIndexOf('@'))}`;

/** Whether a `+tag` of a local part is a conversation tag (signed or not) rather than the address's own. */
export const isConversationTag = (tag: string): boolean => ANY_CONVERSATION_TAG.test(tag);
