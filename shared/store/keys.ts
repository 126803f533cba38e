import {
  type Channel,
  type ChannelIdentity,
  type Contact,
  type ConversationState,
  hubMessageIdFor,
  identityKey,
} from '#shared/contract/index.ts';

/*
 * Single-table key design (one item kind per prefix; see the README section in docs):
 *   CONV#<conversationId>   STATE                 conversation state (gsi1: by status, by activity)
 *   MSG#<hubMessageId>      MSG                   message record = dedup marker (gsi2: a conversation's messages)
 *   MSG#<hubMessageId>      STATE                 status, reactions, edit, deletion of that message
 *   CONTACT#<contactKey>    CONTACT               identities (string set) and consent
 *   IDENT#<type>:<value>    CONTACT#<contactKey>  one per identity: find a contact by any of them
 */

export const conversationKey = (conversationId: string) => ({ pk: `CONV#${conversationId}`, sk: 'STATE' });

export const messageKey = (channel: Channel, providerMessageId: string) => ({
  pk: `MSG#${hubMessageIdFor(channel, providerMessageId)}`,
  sk: 'MSG',
});

export const messageStateKey = (channel: Channel, providerMessageId: string) => ({
  pk: `MSG#${hubMessageIdFor(channel, providerMessageId)}`,
  sk: 'STATE',
});

/** A contact is a customer on one channel, named by its primary identity. */
export const contactKeyOf = (channel: Channel, primary: ChannelIdentity): string =>
  `${channel}#${identityKey(primary)}`;

/** The schema guarantees at least one identity; the first is the primary one. */
export const contactKeyFor = (channel: Channel, contact: Contact): string => {
  const [primary] = contact.identities;
  if (!primary) throw new Error('contact without identity');
  return contactKeyOf(channel, primary);
};

export const contactItemKey = (contactKey: string) => ({ pk: `CONTACT#${contactKey}`, sk: 'CONTACT' });

export const identityItemKey = (identity: ChannelIdentity, contactKey: string) => ({
  pk: `IDENT#${identityKey(identity)}`,
  sk: `CONTACT#${contactKey}`,
});

export const identityPartition = (identity: ChannelIdentity): string => `IDENT#${identityKey(identity)}`;

/**
 * gsi1: conversations by status, most recent activity first (ScanIndexForward false), to the hour.
 * The exact time would move the index entry (a delete and a put) on every message; the hour moves it
 * at most once an hour, so a busy conversation's messages cost the index nothing. Readers order
 * within a page by the exact time they read from the items.
 */
export const statusIndexKeys = (state: ConversationState) => ({
  gsi1pk: `STATUS#${state.status}`,
  gsi1sk: `${activityHourOf(lastActivityOf(state))}#${state.conversationId}`,
});

/** What the by-status listing orders by: the last message, or the creation of a conversation without one. */
export const lastActivityOf = (state: ConversationState): string => state.lastMessageAt ?? state.createdAt;

/** `2026-11-22T10:42:07.123Z` → `2026-11-22T10`: canonical times are UTC ISO strings. */
export const activityHourOf = (time: string): string => time.slice(0, 13);

/** gsi2: a conversation's messages in time order; the hub message id breaks ties. */
export const conversationMessagesKeys = (
  conversationId: string,
  occurredAt: string,
  hubMessageId: string,
) => ({
  gsi2pk: `CONVMSGS#${conversationId}`,
  gsi2sk: `${occurredAt}#${hubMessageId}`,
});
