import * as v from 'valibot';
import { canonicalJson } from '#shared/contract/ids.ts';
import type { BusinessEndpoint, HubEvent } from '#shared/contract/types.ts';
import { ownValue } from '#shared/validation/own-value.ts';
import type { MetaEnvelope } from '../../meta/webhook.ts';
import { contactDirectory, EMPTY_DIRECTORY } from './contacts.ts';
import type { ChangeContext } from './context.ts';
import { normalizeCallItem } from './normalize-calls.ts';
import { normalizeValueErrorItem } from './normalize-errors.ts';
import { normalizeMessageItem } from './normalize-messages.ts';
import { normalizePreferenceItem } from './normalize-preferences.ts';
import { normalizeStatusItem } from './normalize-statuses.ts';
import { ChangeSchema, EntrySchema, PhoneNumberValueSchema } from './schema.ts';
import { unsupportedEvent } from './unsupported.ts';
import { withoutUndefined } from './without-undefined.ts';

const WHATSAPP_OBJECT = 'whatsapp_business_account';

/** Turns one item of the array `key` at `index` into events. */
type ItemNormalizer = (item: unknown, context: ChangeContext, index: number) => HubEvent | HubEvent[];

/** The arrays of each handled field, and what turns one of their items into events. */
const ITEM_ARRAYS: Readonly<Record<string, Readonly<Record<string, ItemNormalizer>>>> = {
  messages: {
    messages: (item, context) => normalizeMessageItem(item, context, 'inbound'),
    statuses: normalizeStatusItem,
    errors: normalizeValueErrorItem,
  },
  smb_message_echoes: {
    message_echoes: (item, context) => normalizeMessageItem(item, context, 'outbound'),
    errors: normalizeValueErrorItem,
  },
  user_preferences: {
    user_preferences: normalizePreferenceItem,
    errors: normalizeValueErrorItem,
  },
  calls: {
    calls: normalizeCallItem,
    errors: normalizeValueErrorItem,
  },
};

/**
 * Keys of a handled field's value that describe the batch rather than hold items: documented in
 * the messages webhook reference (`contacts[]` is the directory the items' customers are looked up
 * in, read through `PhoneNumberValueSchema`). Any other array in the value holds items Switchboard
 * does not read (`group_events: [...]` beside `messages`), and each is kept as `provider.unsupported`.
 *
 * An unknown key whose value is not an array is taken as more envelope, not as an item: everything
 * Meta delivers is batched as array elements (`entry[]`, `changes[]`, `messages[]`, `statuses[]`,
 * `errors[]`…), while the value's non-array keys (`messaging_product`, `metadata`, and `field`
 * beside it) all describe the batch. An event for such a key could only hash a value that repeats in
 * every POST (one id for all of them) or be one notice per POST (noise in every helpdesk); a value
 * with no array Switchboard reads is still kept whole, non-array keys included.
 */
const ENVELOPE_KEYS: ReadonlySet<string> = new Set(['messaging_product', 'metadata', 'contacts']);

/** What the normalizer knows of the request besides its parsed body. */
export interface WhatsAppRequest {
  readonly receivedAt: string;
  /** Hex SHA-256 of the exact body bytes (computed on first use). */
  readonly bodyDigest: () => string;
}

/** Every entry × change of a verified body, in payload order. Never throws on provider input. */
export const normalizeWebhookBody = (body: MetaEnvelope, request: WhatsAppRequest): HubEvent[] => {
  if (body.object !== WHATSAPP_OBJECT) {
    return [unsupportedEvent({ providerType: body.object, raw: body, receivedAt: request.receivedAt })];
  }
  return body.entry.flatMap((entry, entryIndex) => normalizeEntry(entry, entryIndex, request));
};

/** Keys of an entry that describe it rather than hold items (beside `changes`, which holds the ones read). */
const ENTRY_ENVELOPE_KEYS: ReadonlySet<string> = new Set(['id', 'time']);

const normalizeEntry = (rawEntry: unknown, entryIndex: number, request: WhatsAppRequest): HubEvent[] => {
  const { receivedAt } = request;
  const entry = v.safeParse(EntrySchema, rawEntry);
  if (!entry.success) return [unsupportedEvent({ providerType: 'entry', raw: rawEntry, receivedAt })];
  const accountId = entry.output.id;
  const entryTime = entryTimeOf(rawEntry);
  const changes = entry.output.changes.flatMap((rawChange, changeIndex) => {
    const position = `${entryIndex}/${changeIndex}`;
    const change = v.safeParse(ChangeSchema, rawChange);
    if (!change.success) {
      const context = bareContext(accountId, 'change', request, position);
      return [keptValue('change', rawChange, context, entryTime)];
    }
    return normalizeChange(accountId, change.output.field, change.output.value, request, position, entryTime);
  });
  // Any other array of the entry holds items Switchboard does not read: each is kept as one
  // `provider.unsupported` (`entry.<key>`), as the Messenger adapter keeps them, in payload order.
  const entryObject = rawEntry as Readonly<Record<string, unknown>>;
  return Object.keys(entryObject).flatMap((key) => {
    if (key === 'changes') return changes;
    const items = entryObject[key];
    if (ENTRY_ENVELOPE_KEYS.has(key) || !Array.isArray(items) || items.length === 0) return [];
    const providerType = `entry.${key}`;
    const context = bareContext(accountId, providerType, request, `${entryIndex}/${key}`);
    return [keptValue(providerType, items, context, entryTime)];
  });
};

/** The entry's `time` as sent (canonical JSON), or '' without one. */
const entryTimeOf = (rawEntry: unknown): string =>
  typeof rawEntry === 'object' && rawEntry !== null && Object.hasOwn(rawEntry, 'time')
    ? canonicalJson((rawEntry as { time: unknown }).time)
    : '';

/**
 * A change's value, or an array of it, kept as `provider.unsupported`. Such a value (account_update,
 * phone_number_quality_update, template status…) carries no id or time of its own: the same quality
 * update on two days, or a template going APPROVED → PAUSED → APPROVED, is the same JSON. Its id
 * hashes the entry's `time` with it, so each occurrence has its own id while a retry of the same
 * bytes keeps its id; without an entry time it hashes the value alone.
 */
const keptValue = (providerType: string, raw: unknown, context: ChangeContext, entryTime: string) =>
  unsupportedEvent({
    providerType,
    raw,
    receivedAt: context.receivedAt,
    context,
    occurrence: entryTime === '' ? undefined : [entryTime, canonicalJson(raw)],
  });

/** Arrays whose items carry Meta's own ids and times: a value holding one is unique to its occurrence. */
const holdsTimedItems = (value: unknown, arrays: Readonly<Record<string, ItemNormalizer>> | undefined) =>
  arrays !== undefined &&
  typeof value === 'object' &&
  value !== null &&
  Object.entries(value).some(
    ([key, items]) =>
      key !== 'errors' && Object.hasOwn(arrays, key) && Array.isArray(items) && items.length > 0,
  );

const normalizeChange = (
  accountId: string,
  field: string,
  value: unknown,
  request: WhatsAppRequest,
  position: string,
  entryTime: string,
): HubEvent[] => {
  const { receivedAt } = request;
  const arrays = ownValue(ITEM_ARRAYS, field);
  const phoneValue = v.safeParse(PhoneNumberValueSchema, value);
  const endpoint: BusinessEndpoint | undefined = phoneValue.success
    ? withoutUndefined({
        type: 'whatsapp_phone_number' as const,
        // Route on the phone-number id: the display number is formatting, not identity.
        id: phoneValue.output.metadata.phone_number_id,
        displayName: phoneValue.output.metadata.display_phone_number,
        accountId,
      })
    : undefined;
  const context: ChangeContext = {
    accountId,
    field,
    endpoint,
    contacts: phoneValue.success ? contactDirectory(phoneValue.output.contacts) : EMPTY_DIRECTORY,
    receivedAt,
    occurrence: { bodyDigest: request.bodyDigest, position, bytesAreUnique: holdsTimedItems(value, arrays) },
  };
  const unsupported = () => [keptValue(field, value, context, entryTime)];
  if (!arrays || !endpoint || typeof value !== 'object' || value === null) return unsupported();
  const events: HubEvent[] = [];
  let itemArrays = 0;
  // Object key order is the payload's order, so events follow the payload.
  for (const [key, items] of Object.entries(value)) {
    const normalize = ownValue(arrays, key);
    if (!normalize) {
      // Items of a kind this field does not read, beside ones it does: kept as one event per array.
      if (Array.isArray(items) && items.length > 0 && !ENVELOPE_KEYS.has(key)) {
        events.push(keptValue(`${field}.${key}`, items, context, entryTime));
      }
      continue;
    }
    itemArrays += 1;
    if (!Array.isArray(items)) {
      // A key we read, in a shape we do not (`messages` as an object): kept, never skipped.
      events.push(keptValue(`${field}.${key}`, items, context, entryTime));
      continue;
    }
    items.forEach((item, index) => {
      events.push(...[normalize(item, context, index)].flat());
    });
  }
  // A value of a known field with none of the arrays we read is something new: keep it whole
  // (any unknown arrays in it included, so they are not passed on twice).
  return itemArrays > 0 ? events : unsupported();
};

const bareContext = (
  accountId: string,
  field: string,
  request: WhatsAppRequest,
  position: string,
): ChangeContext => ({
  accountId,
  field,
  endpoint: undefined,
  contacts: EMPTY_DIRECTORY,
  receivedAt: request.receivedAt,
  occurrence: { bodyDigest: request.bodyDigest, position, bytesAreUnique: false },
});
