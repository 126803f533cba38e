import { isoFromEpochMillis } from '#shared/channels/provider-time.ts';
import { contactConversationId, identityKey } from '#shared/contract/ids.ts';
import type { BusinessEndpoint, ChannelIdentity, Contact, IdentityType } from '#shared/contract/types.ts';
import type { MessagingItemBase } from './schema.ts';

/** The Messenger Platform serves Facebook pages and Instagram accounts; both stay channel `messenger`. */
export type MessengerPlatform = 'page' | 'instagram';

const PLATFORM_IDENTITIES: Readonly<
  Record<MessengerPlatform, { endpointType: BusinessEndpoint['type']; identityType: IdentityType }>
> = {
  page: { endpointType: 'facebook_page', identityType: 'psid' },
  instagram: { endpointType: 'instagram_account', identityType: 'igsid' },
};

export const isMessengerPlatform = (object: string): object is MessengerPlatform =>
  Object.hasOwn(PLATFORM_IDENTITIES, object);

/** What the adapter knows about an entry before looking at its items. */
export interface EntryContext {
  readonly platform: MessengerPlatform;
  readonly endpoint: BusinessEndpoint;
  readonly receivedAt: string;
  readonly hubAppIds: ReadonlySet<string>;
  readonly conversationIds: ConversationIdMemo;
}

/**
 * Conversation ids already derived in one request, by endpoint id then identity key: a batch of
 * up to 1000 items usually repeats a few contacts, and each id is a SHA-256.
 */
export type ConversationIdMemo = Map<string, Map<string, string>>;

export const entryContext = (
  platform: MessengerPlatform,
  entryId: string,
  receivedAt: string,
  hubAppIds: ReadonlySet<string>,
  conversationIds: ConversationIdMemo,
): EntryContext => ({
  platform,
  endpoint: { type: PLATFORM_IDENTITIES[platform].endpointType, id: entryId },
  receivedAt,
  hubAppIds,
  conversationIds,
});

const conversationIdOf = (entry: EntryContext, identity: ChannelIdentity): string => {
  let byIdentity = entry.conversationIds.get(entry.endpoint.id);
  if (byIdentity === undefined) {
    byIdentity = new Map();
    entry.conversationIds.set(entry.endpoint.id, byIdentity);
  }
  const key = identityKey(identity);
  let conversationId = byIdentity.get(key);
  if (conversationId === undefined) {
    conversationId = contactConversationId('messenger', entry.endpoint, identity);
    byIdentity.set(key, conversationId);
  }
  return conversationId;
};

/** The conversation-scoped fields every normalized event of one messaging item shares. */
export interface ConversationFields {
  readonly channel: 'messenger';
  readonly provider: 'meta';
  readonly endpoint: BusinessEndpoint;
  readonly contact: Contact;
  readonly conversationId: string;
  readonly providerTimestamp: string | null;
  readonly receivedAt: string;
}

export interface ItemContext {
  readonly fields: ConversationFields;
  /** The customer's PSID or IGSID. */
  readonly customerId: string;
  /** True when the business side acted (echoes, reactions by the page): the customer is the recipient. */
  readonly fromBusiness: boolean;
}

/**
 * Meta addresses items from the acting side: a customer's message has the customer as sender, an
 * echo of the page's own message has the page as sender. The customer is whichever side is not
 * the entry's page or account.
 */
export const itemContext = (entry: EntryContext, item: MessagingItemBase, isEcho: boolean): ItemContext => {
  const fromBusiness = isEcho || item.sender.id === entry.endpoint.id;
  const customerId = fromBusiness ? item.recipient.id : item.sender.id;
  const identity = { type: PLATFORM_IDENTITIES[entry.platform].identityType, value: customerId };
  return {
    customerId,
    fromBusiness,
    fields: {
      channel: 'messenger',
      provider: 'meta',
      endpoint: entry.endpoint,
      contact: { identities: [identity] },
      conversationId: conversationIdOf(entry, identity),
      providerTimestamp: isoFromEpochMillis(item.timestamp),
      receivedAt: entry.receivedAt,
    },
  };
};
