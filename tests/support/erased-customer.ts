import { localPseudonymKey } from '#shared/aws/pseudonym-key.ts';
import {
  type BusinessEndpoint,
  type ChannelIdentity,
  contactConversationId,
} from '#shared/contract/index.ts';
import { contactIdFor } from '#shared/domain/contact-identity.ts';
import { type ErasureReport, erasePerson } from '#shared/store/erasure.ts';
import type { TableContext } from '#shared/store/table.ts';
import { minute } from '#tests/recorder/factories.ts';

/**
 * A customer's conversation on a Meta endpoint as an erasure test records it, event by event:
 * `at(n)`, the fields each of its events carries, dated minute(n); and the contact id an erasure of
 * the customer names.
 */
export const metaConversation = <C extends 'whatsapp' | 'messenger'>(
  channel: C,
  endpoint: BusinessEndpoint,
  identity: ChannelIdentity,
) => {
  const identities: [ChannelIdentity] = [identity];
  const conversationId = contactConversationId(channel, endpoint, identity);
  const envelope = { channel, provider: 'meta' as const, endpoint, contact: { identities }, conversationId };
  return {
    identities,
    conversationId,
    at: (n: number) => ({ ...envelope, providerTimestamp: minute(n), receivedAt: minute(n) }),
    contactId: contactIdFor(channel, { identities }, conversationId),
  };
};

/** Erases a person from `table` as the helpdesk API's erasure does, with no payload objects to delete. */
export const eraseFrom = (table: TableContext, contactId: string): Promise<ErasureReport | undefined> =>
  erasePerson({ pseudonymKey: localPseudonymKey, table, deleteObjects: async () => {} }, contactId);
