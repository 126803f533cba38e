import * as v from 'valibot';
import { contactConversationId } from '#shared/contract/ids.ts';
import type { BusinessEndpoint, ChannelIdentity, Contact } from '#shared/contract/types.ts';
import { type ContactEntry, ContactEntrySchema } from './schema.ts';
import { withoutUndefined } from './without-undefined.ts';

/** The `contacts[]` of a change, indexed by both of Meta's user identifiers. */
export interface ContactDirectory {
  readonly byWaId: ReadonlyMap<string, ContactEntry>;
  readonly byUserId: ReadonlyMap<string, ContactEntry>;
}

export const EMPTY_DIRECTORY: ContactDirectory = { byWaId: new Map(), byUserId: new Map() };

/** Malformed entries are skipped: they only add names to items that carry their own ids. */
export const contactDirectory = (items: readonly unknown[] | undefined): ContactDirectory => {
  const byWaId = new Map<string, ContactEntry>();
  const byUserId = new Map<string, ContactEntry>();
  for (const item of items ?? []) {
    const parsed = v.safeParse(ContactEntrySchema, item);
    if (!parsed.success) continue;
    if (parsed.output.wa_id) byWaId.set(parsed.output.wa_id, parsed.output);
    if (parsed.output.user_id) byUserId.set(parsed.output.user_id, parsed.output);
  }
  return { byWaId, byUserId };
};

/**
 * wa_ids are digits only; echoes and some statuses carry the number as the business typed it
 * (`+1 650…`), so phone-like values are reduced to digits to land in the same conversation.
 */
const normalizeWaId = (value: string | undefined): string | undefined => {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\+?[\d\s().-]+$/.test(trimmed)) {
    const digits = trimmed.replace(/\D/g, '');
    return digits.length > 0 ? digits : undefined;
  }
  return trimmed.length > 0 ? trimmed : undefined;
};

export interface ResolvedContact {
  readonly contact: Contact;
  readonly primary: ChannelIdentity;
  readonly conversationId: string;
}

/**
 * The customer behind an item: wa_id (phone-based) and/or BSUID, completed from `contacts[]`.
 * The primary identity is the wa_id when there is one, else the BSUID. Undefined when the item
 * names nobody.
 */
export const resolveContact = (
  directory: ContactDirectory,
  endpoint: BusinessEndpoint,
  ids: { waId?: string | undefined; userId?: string | undefined },
): ResolvedContact | undefined => {
  const itemWaId = normalizeWaId(ids.waId);
  const itemUserId = ids.userId && ids.userId.length > 0 ? ids.userId : undefined;
  const entry =
    (itemWaId ? directory.byWaId.get(itemWaId) : undefined) ??
    (itemUserId ? directory.byUserId.get(itemUserId) : undefined);
  const waId = itemWaId ?? normalizeWaId(entry?.wa_id);
  const userId = itemUserId ?? entry?.user_id;
  const identities: ChannelIdentity[] = [];
  if (waId) identities.push({ type: 'wa_id', value: waId });
  if (userId) identities.push({ type: 'bsuid', value: userId });
  const [primary] = identities;
  if (!primary) return undefined;
  // Valid for ContactSchema by construction (no contract parse here, it is on the hot path): the
  // identities are typed and non-empty (normalizeWaId and the checks above never keep ''), names
  // are strings or absent. The property tests check every event against HubEventSchema.
  const contact: Contact = withoutUndefined({
    identities,
    displayName: nonEmpty(entry?.profile?.name),
    username: nonEmpty(entry?.profile?.username),
  });
  return { contact, primary, conversationId: contactConversationId('whatsapp', endpoint, primary) };
};

const nonEmpty = (value: string | undefined): string | undefined =>
  value !== undefined && value.length > 0 ? value : undefined;
