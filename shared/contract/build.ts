import type { Channel } from './common.ts';
import type {
  ContactErasedData,
  ContactMergeData,
  EventType,
  HubEvent,
  HubEventOf,
  MediaFailedData,
  MediaStoredData,
  ResponseOverdueData,
  SendFailedData,
} from './events.ts';
import { stableHash } from './ids.ts';

/** `dataschema` of each event: a URN naming the event's definition in the published JSON Schema. */
export const dataSchemaFor = (type: EventType): string => `urn:switchboard:schema:v1:${type}`;

/** Characters a URI may hold as they are after `switchboard:<channel>:` (RFC 3986 pchar and `/`). */
const URI_SAFE = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/]*$/;

/** An endpoint id as URI text: every other character percent-encoded as UTF-8 (`%` too). */
const uriSafe = (id: string): string =>
  URI_SAFE.test(id)
    ? id
    : Array.from(id, (char) =>
        URI_SAFE.test(char) ? char : encodeURIComponent(char).replaceAll("'", '%27'),
      ).join('');

/**
 * `switchboard:<channel>:<endpoint id>`, a valid URI-reference whatever the provider's id holds
 * (ids with `<`, spaces or quotes are percent-encoded; ordinary ids are unchanged).
 */
export const sourceFor = (channel: Channel, endpointId: string | undefined): string =>
  `switchboard:${channel}:${uriSafe(endpointId ?? 'unknown')}`;

/** Subject for provider notices that belong to no conversation. */
export const endpointSubject = (channel: Channel, endpointId: string | undefined): string =>
  `endpoint:${channel}:${endpointId ?? 'unknown'}`;

interface EventDataBase {
  channel: Channel;
  endpoint?: { id: string } | undefined;
  conversationId?: string | undefined;
  providerTimestamp: string | null;
  receivedAt: string;
}

/** Events about a channel's traffic; the hub's own (state changes, send failures) are built where they arise. */
type ChannelScopedType = Exclude<
  EventType,
  | 'switchboard.conversation.state_changed'
  | 'switchboard.conversation.response_overdue'
  | 'switchboard.message.send_failed'
  | 'switchboard.message.media_stored'
  | 'switchboard.message.media_failed'
>;

/**
 * Wraps normalized data in its CloudEvents envelope. `id` must come from `eventIdFor` so that the
 * same provider occurrence always produces the same event. `sourceId` names the source and, without
 * a conversation, the subject: the endpoint's id, or for a notice about a whole provider account (a
 * WhatsApp Business Account's `account_update`, which names no endpoint) the account's id.
 */
export const buildEvent = <T extends ChannelScopedType>(
  type: T,
  id: string,
  data: HubEventOf<T>['data'] & EventDataBase,
  sourceId: string | undefined = data.endpoint?.id,
): HubEventOf<T> =>
  ({
    specversion: '1.0',
    id,
    source: sourceFor(data.channel, sourceId),
    type,
    subject: data.conversationId ?? endpointSubject(data.channel, sourceId),
    time: data.providerTimestamp ?? data.receivedAt,
    datacontenttype: 'application/json',
    dataschema: dataSchemaFor(type),
    data,
  }) as HubEventOf<T>;

/**
 * The one `send_failed` event of a command: its id hashes the hub message id, so a command that
 * fails again after a crash yields the same event.
 */
export const buildSendFailedEvent = (
  data: SendFailedData,
  id: string = `evt_${stableHash('event', 'send_failed', data.hubMessageId)}`,
): HubEventOf<'switchboard.message.send_failed'> => ({
  specversion: '1.0',
  id,
  source: data.channel ? sourceFor(data.channel, data.endpoint?.id) : 'switchboard:hub:outbox',
  type: 'switchboard.message.send_failed',
  subject: data.conversationId,
  time: data.receivedAt,
  datacontenttype: 'application/json',
  dataschema: dataSchemaFor('switchboard.message.send_failed'),
  data,
});

/**
 * The one `response_overdue` event of a wait: its id hashes the conversation and the conversation's
 * version when the wait began (`waitVersion`), which name the wait, so a sweep that emits it again
 * (after a crash, or alongside another sweep) yields the same event even when the wait's
 * `waitingSince` moved back in between (an older customer message recorded late, in the same wait),
 * and a later wait of the same `waitingSince` another. A wait begun before 2026-12-05 has no
 * version: its id hashes the conversation and `waitingSince`, as it did then. Until 2026-12-05 a
 * versioned wait's id hashed its `waitingSince` too, so one wait could be published under two ids
 * (found by a review). A conversation's `origin` is hashed too when it has one (created since
 * 2026-12-06): one erased and created again under its id counts its versions from 1 again, and its
 * first wait had the erased one's first wait's id until then (found by a review). `time` is when the
 * wait reached its target.
 */
export const buildResponseOverdueEvent = (
  data: ResponseOverdueData,
  waitVersion?: number,
  origin?: string,
): HubEventOf<'switchboard.conversation.response_overdue'> => ({
  specversion: '1.0',
  id: `evt_${stableHash('event', 'response_overdue', data.conversationId, waitVersion === undefined ? data.waitingSince : String(waitVersion), ...(origin === undefined ? [] : [origin]))}`,
  source: sourceFor(data.channel, data.endpoint.id),
  type: 'switchboard.conversation.response_overdue',
  subject: data.conversationId,
  time: new Date(Date.parse(data.waitingSince) + data.targetSeconds * 1000).toISOString(),
  datacontenttype: 'application/json',
  dataschema: dataSchemaFor('switchboard.conversation.response_overdue'),
  data,
});

/**
 * The id of an attachment's outcome: one per part of a message, whichever the outcome, so a fetcher
 * that publishes again after a crash repeats the same event, and a consumer deduplicating on ids can
 * never hold both a `media_stored` and a `media_failed` of one part.
 */
export const mediaEventId = (hubMessageId: string, partIndex: number): string =>
  `evt_${stableHash('event', 'media', hubMessageId, String(partIndex))}`;

/** The one outcome event of an attachment (`media_stored` or `media_failed`). */
export const buildMediaEvent = <
  T extends 'switchboard.message.media_stored' | 'switchboard.message.media_failed',
>(
  type: T,
  data: T extends 'switchboard.message.media_stored' ? MediaStoredData : MediaFailedData,
): HubEventOf<T> =>
  ({
    specversion: '1.0',
    id: mediaEventId(data.hubMessageId, data.partIndex),
    source: sourceFor(data.channel, data.endpoint.id),
    type,
    subject: data.conversationId,
    time: 'storedAt' in data ? data.storedAt : data.failedAt,
    datacontenttype: 'application/json',
    dataschema: dataSchemaFor(type),
    data,
  }) as HubEventOf<T>;

/** The one `contact.erased` event of an erasure (its id hashes the person and the time). */
export const buildContactErasedEvent = (
  data: ContactErasedData,
): HubEventOf<'switchboard.contact.erased'> => ({
  specversion: '1.0',
  id: `evt_${stableHash('event', 'contact_erased', data.contactId, data.erasedAt)}`,
  source: 'switchboard:hub:contacts',
  type: 'switchboard.contact.erased',
  subject: data.contactId,
  time: data.erasedAt,
  datacontenttype: 'application/json',
  dataschema: dataSchemaFor('switchboard.contact.erased'),
  data,
});

/**
 * The event of a merge or its undoing: one per merge (its id hashes the pair and the merge's time,
 * so a retried request publishes the same id again) and one per unmerge.
 */
export const buildContactMergeEvent = <
  T extends 'switchboard.contact.merged' | 'switchboard.contact.unmerged',
>(
  type: T,
  data: ContactMergeData,
): HubEventOf<T> =>
  ({
    specversion: '1.0',
    id: `evt_${stableHash('event', type, data.discardedContactId, data.survivingContactId, data.mergedAt, data.unmergedAt ?? '')}`,
    source: 'switchboard:hub:contacts',
    type,
    subject: data.survivingContactId,
    time: data.unmergedAt ?? data.mergedAt,
    datacontenttype: 'application/json',
    dataschema: dataSchemaFor(type),
    data,
  }) as HubEventOf<T>;

/** Convenience guard used by consumers and the recorder. */
export const isEventOfType = <T extends EventType>(event: HubEvent, type: T): event is HubEventOf<T> =>
  event.type === type;
