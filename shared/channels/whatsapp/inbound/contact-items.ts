import * as v from 'valibot';
import { isoFromEpochSeconds } from '#shared/channels/provider-time.ts';
import type { BusinessEndpoint, Contact, HubEvent } from '#shared/contract/types.ts';
import { type ResolvedContact, resolveContact } from './contacts.ts';
import { CHANNEL, type ChangeContext, PROVIDER } from './context.ts';
import { unsupportedEvent } from './unsupported.ts';

/** Who an item names, by either of Meta's identifiers; undefined for items about no one customer. */
export interface ItemCustomer {
  readonly waId?: string | undefined;
  readonly userId?: string | undefined;
}

/** The conversation fields of an item placed with its customer. */
export interface ContactItemFields {
  readonly channel: typeof CHANNEL;
  readonly provider: typeof PROVIDER;
  readonly endpoint: BusinessEndpoint;
  readonly contact: Contact;
  readonly conversationId: string;
  readonly providerTimestamp: string | null;
  readonly receivedAt: string;
}

export interface PlacedItem<T> {
  readonly parsed: T;
  /** Absent when the item names no customer this hub can place (a group, no identifier). */
  readonly fields: ContactItemFields | undefined;
  readonly resolved: ResolvedContact | undefined;
  /** The item kept whole as unsupported under a more precise type name (`status.deleted`…). */
  readonly keptAs: (providerType: string) => HubEvent;
}

/**
 * A `statuses[]` or `user_preferences[]` item: parsed, its time read, its customer resolved from
 * the item and the change's `contacts[]`. An item that does not parse, or comes on a change with no
 * phone number, is kept whole as `providerType` at once.
 */
export const placeContactItem = <T extends { readonly timestamp?: string | undefined }>(
  item: unknown,
  context: ChangeContext,
  schema: v.GenericSchema<unknown, T>,
  providerType: string,
  customerOf: (parsed: T) => ItemCustomer | undefined,
): PlacedItem<T> | { readonly unsupported: HubEvent } => {
  const parsed = v.safeParse(schema, item);
  const endpoint = context.endpoint;
  if (!parsed.success || !endpoint) {
    return {
      unsupported: unsupportedEvent({ providerType, raw: item, receivedAt: context.receivedAt, context }),
    };
  }
  const providerTimestamp = isoFromEpochSeconds(parsed.output.timestamp);
  const customer = customerOf(parsed.output);
  const resolved = customer ? resolveContact(context.contacts, endpoint, customer) : undefined;
  return {
    parsed: parsed.output,
    resolved,
    fields: resolved && {
      channel: CHANNEL,
      provider: PROVIDER,
      endpoint,
      contact: resolved.contact,
      conversationId: resolved.conversationId,
      providerTimestamp,
      receivedAt: context.receivedAt,
    },
    keptAs: (precise) =>
      unsupportedEvent({
        providerType: precise,
        raw: item,
        receivedAt: context.receivedAt,
        context,
        resolved,
        providerTimestamp,
      }),
  };
};
