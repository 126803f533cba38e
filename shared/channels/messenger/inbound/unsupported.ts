import * as v from 'valibot';
import { isoFromEpochMillis } from '#shared/channels/provider-time.ts';
import { buildEvent } from '#shared/contract/build.ts';
import { canonicalJson, eventIdFor } from '#shared/contract/ids.ts';
import type { BusinessEndpoint, Contact, HubEvent } from '#shared/contract/types.ts';
import { type EntryContext, itemContext } from './context.ts';
import { MessagingItemBaseSchema } from './schema.ts';

export interface UnsupportedFacts {
  /** Meta's name for what it sent: the `object`, the messaging event key, the change field… */
  readonly providerType: string;
  /** The item exactly as parsed from Meta's JSON. */
  readonly raw: unknown;
  readonly receivedAt: string;
  readonly endpoint?: BusinessEndpoint | undefined;
  readonly contact?: Contact | undefined;
  readonly conversationId?: string | undefined;
  readonly providerTimestamp?: string | null | undefined;
  /** What identifies the occurrence; by default the canonical JSON of `raw`, so a retry hashes the same. */
  readonly occurrenceKey?: string | undefined;
}

/**
 * Something Meta sent that Switchboard does not normalize: passed on whole, never dropped. The id
 * hashes the page or account it came to with the occurrence: an item need not name its page (an
 * Instagram `changes` item), and the same item coming to two of them is two occurrences.
 */
export const unsupportedEvent = (facts: UnsupportedFacts): HubEvent =>
  buildEvent(
    'switchboard.provider.unsupported',
    eventIdFor(
      'messenger',
      'provider.unsupported',
      facts.endpoint?.id ?? '',
      facts.occurrenceKey ?? canonicalJson(facts.raw),
    ),
    {
      channel: 'messenger',
      provider: 'meta',
      ...(facts.endpoint ? { endpoint: facts.endpoint } : {}),
      ...(facts.contact ? { contact: facts.contact } : {}),
      ...(facts.conversationId ? { conversationId: facts.conversationId } : {}),
      providerTimestamp: facts.providerTimestamp ?? null,
      receivedAt: facts.receivedAt,
      providerType: facts.providerType,
      raw: facts.raw,
    },
  );

const timestampOf = (raw: unknown): string | null =>
  typeof raw === 'object' && raw !== null && 'timestamp' in raw ? isoFromEpochMillis(raw.timestamp) : null;

/**
 * A messaging item kept as unsupported. When its entry and its sender and recipient are readable
 * it still names the conversation, so a helpdesk can show "something happened here" in the right
 * thread.
 */
export const unsupportedItemEvent = (
  raw: unknown,
  providerType: string,
  receivedAt: string,
  entry: EntryContext | undefined,
): HubEvent => {
  const frame = v.safeParse(MessagingItemBaseSchema, raw);
  const conversation = entry && frame.success ? itemContext(entry, frame.output, false).fields : undefined;
  return unsupportedEvent({
    providerType,
    raw,
    receivedAt,
    endpoint: entry?.endpoint,
    contact: conversation?.contact,
    conversationId: conversation?.conversationId,
    providerTimestamp: conversation?.providerTimestamp ?? timestampOf(raw),
  });
};
