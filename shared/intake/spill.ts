import { createHash } from 'node:crypto';
import { IngestPublishError } from '#shared/aws/event-publisher.ts';
import { isKeyableConversationId } from '#shared/aws/payload-keys.ts';
import type { BlobToStore } from '#shared/channels/inbound.ts';
import type { HubEvent } from '#shared/contract/types.ts';
import { PAYLOAD_BUCKET } from '#shared/resources/definitions.ts';

/*
 * The spill: events a webhook accepted but could not queue (SQS refused or throttled the publish
 * past its retries), kept in the payload bucket so the webhook can still answer 2xx to a provider
 * that would not send the request again (Twilio, Mailgun's delivery events: the registry's
 * `spillOnPublishFailure`). The spill drain (./spill-drain.ts) queues them a minute later, with the
 * same message group and deduplication id the webhook would have used. No zod here: this runs on
 * the webhooks' path, whose bundles hold none.
 */

/**
 * What a spilling webhook keeps of its invocation for the spill's put: its publish gives up this
 * much before the invocation's deadline (signed-caller.ts keeps a further second to answer), so
 * a throttle that uses up the publisher's retries still leaves one PutObject attempt of up to 2 s.
 */
export const SPILL_PUT_RESERVE_MS = 2_000;

/** Objects of events about no conversation (an endpoint's notices): a fixed segment, no identifier. */
const UNSCOPED_SEGMENT = 'unscoped/';

const SPILL_CONTENT_TYPE = 'application/json';

/** What a spill object holds: the events exactly as the webhook would have queued them, in order. */
export interface SpillObjectBody {
  readonly version: 1;
  readonly events: readonly HubEvent[];
}

/**
 * The events a failed publish left unqueued: the ones an IngestPublishError names, or every one
 * when the error names none (or is another error: nothing is known to be queued).
 */
export const eventsNotQueued = (events: readonly HubEvent[], error: unknown): HubEvent[] => {
  if (!(error instanceof IngestPublishError) || error.failedEventIds.length === 0) return [...events];
  const failed = new Set(error.failedEventIds);
  return events.filter((event) => failed.has(event.id));
};

/** Where a conversation's spill objects are (erasure deletes them with the conversation); undefined for any other string. */
const spillPrefixFor = (conversationId: string): string | undefined =>
  isKeyableConversationId(conversationId) ? `${PAYLOAD_BUCKET.prefixes.spill}${conversationId}/` : undefined;

/**
 * One object per conversation (the event's subject), its events in the request's order, keyed
 * `spill/<conversationId>/<sha256 of their ids>.json` (`spill/unscoped/…` for an endpoint's
 * notices). A provider's retry that fails for the same events writes the same key again; one that
 * fails for others writes another object (the events it queued are not in it), so an object is
 * never overwritten with fewer events than a drain may have read of it.
 */
export const spillObjectsFor = (events: readonly HubEvent[]): BlobToStore[] => {
  const bySubject = new Map<string, HubEvent[]>();
  for (const event of events) {
    const group = bySubject.get(event.subject) ?? [];
    group.push(event);
    bySubject.set(event.subject, group);
  }
  return [...bySubject].map(([subject, group]) => {
    const ids = createHash('sha256')
      .update(group.map((event) => event.id).join('\n'), 'utf8')
      .digest('hex');
    const prefix = spillPrefixFor(subject) ?? `${PAYLOAD_BUCKET.prefixes.spill}${UNSCOPED_SEGMENT}`;
    const body: SpillObjectBody = { version: 1, events: group };
    return {
      key: `${prefix}${ids}.json`,
      contentType: SPILL_CONTENT_TYPE,
      bytes: Buffer.from(JSON.stringify(body), 'utf8'),
    };
  });
};
