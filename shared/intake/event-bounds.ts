import { cutText } from '#shared/channels/provider-text.ts';
import { buildEvent } from '#shared/contract/build.ts';
import { eventIdFor } from '#shared/contract/ids.ts';
import type {
  BusinessEndpoint,
  Channel,
  Contact,
  HubEvent,
  IdentityType,
  Provider,
} from '#shared/contract/types.ts';
import { arrivalSequence } from '#shared/domain/time.ts';

/**
 * The bounds every event leaves the intake within, whatever a provider sent. A signed request can
 * carry identifiers and names of any length (a 3,000-character From address, a 450 KB display
 * name); kept as they are, they would break the table's key and item limits downstream and turn
 * the event into poison. So:
 * - an identifier longer than its provider documents (or a status naming more messages than any
 *   provider's) makes the event a `provider.unsupported` (`oversize_identifier`), with the
 *   original data and subject kept whole as `raw`: no conversation is made from it;
 * - a display name or username is cut to a bound, with a marker.
 * Everything else (texts, parts) stays as sent: events larger than a queue message travel as
 * claim checks, and what the recorder stores of a message is bounded there.
 */

/** Documented or observed lengths, with room to spare: a longer value is no identifier of theirs. */
const MAX_IDENTITY_LENGTH: Readonly<Record<IdentityType, number>> = {
  /** Page- and Instagram-scoped ids: about 16–17 digits. */
  psid: 64,
  igsid: 64,
  /** Phone digits (E.164 has at most 15). */
  wa_id: 32,
  /** `CC.` + up to 128 alphanumerics, `CC.ENT.` for a parent id. */
  bsuid: 160,
  phone: 32,
  short_code: 16,
  /** Alphanumeric sender ids are at most 11 characters. */
  alphanumeric: 32,
  /** RFC 5321: a path is at most 256 octets. */
  email: 320,
};

/**
 * Page ids, phone-number ids, E.164 numbers, lower-cased addresses, and the account ids beside them
 * (WhatsApp Business Account ids, Twilio account SIDs, domains): none is near this.
 */
const MAX_ENDPOINT_ID_LENGTH = 320;

/** wamids, Messenger mids, Twilio SIDs and e-mail Message-IDs are all far shorter. */
const MAX_MESSAGE_ID_LENGTH = 1024;

/**
 * A status names the few messages one delivery or read covers (WhatsApp one, Messenger's `mids` a
 * handful). The recorder writes a register per id, so an event naming thousands would outlast its
 * invocation on every try; far more than any provider sends makes it an oversize identifier too.
 */
const MAX_MESSAGE_IDS = 100;

/** Names are for people to read: longer ones are cut, with this marker at the end. */
const MAX_NAME_LENGTH = 256;
const TRUNCATION_MARKER = '…[truncated]';

const truncated = (text: string | undefined): string | undefined =>
  text === undefined || text.length <= MAX_NAME_LENGTH
    ? text
    : `${cutText(text, MAX_NAME_LENGTH - TRUNCATION_MARKER.length)}${TRUNCATION_MARKER}`;

/**
 * The provider message ids an event names: the message's own, its target (and an edit's own id,
 * which the recorder keeps with the edit), the ones a status is about.
 */
const messageIdsOf = (event: HubEvent): readonly string[] => {
  switch (event.type) {
    case 'switchboard.message.received':
    case 'switchboard.message.sent':
      return [event.data.providerMessageId];
    case 'switchboard.message.status_updated':
      return event.data.providerMessageIds;
    case 'switchboard.message.edited':
      return event.data.editProviderMessageId === undefined
        ? [event.data.targetProviderMessageId]
        : [event.data.targetProviderMessageId, event.data.editProviderMessageId];
    case 'switchboard.message.reaction_changed':
    case 'switchboard.message.deleted':
      return [event.data.targetProviderMessageId];
    default:
      return [];
  }
};

/** What every channel's event data holds of who it is between. */
interface EventParties {
  readonly channel: Channel;
  readonly provider: Provider;
  readonly contact?: Contact | undefined;
  readonly endpoint?: BusinessEndpoint | undefined;
  readonly providerTimestamp?: string | null | undefined;
  readonly receivedAt?: string | undefined;
}

/**
 * The id an event's subject names outside a conversation (`endpoint:<channel>:<id>`, the id its
 * source names too), or ''. Mostly the endpoint's, but a notice about a whole account (WhatsApp's
 * account_update or template status, which names no phone number) names the account's, which
 * nothing in its data carries; and the claim check of a large event repeats the subject, so one of a
 * megabyte would make even that pointer too large for a queue message. (An event in a conversation
 * has an endpoint, whose id its source names, checked with it below.)
 */
const subjectId = (event: HubEvent, channel: Channel): string => {
  const prefix = `endpoint:${channel}:`;
  return event.subject.startsWith(prefix) ? event.subject.slice(prefix.length) : '';
};

const hasOversizeIdentifier = (event: HubEvent, { channel, contact, endpoint }: EventParties): boolean =>
  subjectId(event, channel).length > MAX_ENDPOINT_ID_LENGTH ||
  (endpoint !== undefined &&
    (endpoint.id.length > MAX_ENDPOINT_ID_LENGTH ||
      (endpoint.accountId?.length ?? 0) > MAX_ENDPOINT_ID_LENGTH)) ||
  (contact?.identities.some((identity) => identity.value.length > MAX_IDENTITY_LENGTH[identity.type]) ??
    false) ||
  messageIdsOf(event).length > MAX_MESSAGE_IDS ||
  messageIdsOf(event).some((id) => id.length > MAX_MESSAGE_ID_LENGTH);

const boundedContact = (contact: Contact): Contact => {
  const displayName = truncated(contact.displayName);
  const username = truncated(contact.username);
  if (displayName === contact.displayName && username === contact.username) return contact;
  return {
    ...contact,
    ...(displayName !== undefined ? { displayName } : {}),
    ...(username !== undefined ? { username } : {}),
  };
};

const boundedEndpoint = (endpoint: BusinessEndpoint): BusinessEndpoint => {
  const displayName = truncated(endpoint.displayName);
  return displayName === endpoint.displayName
    ? endpoint
    : { ...endpoint, ...(displayName ? { displayName } : {}) };
};

/** What the intake queues: each event within bounds, in the request's order, with its arrival sequence. */
export const forQueue = (events: readonly HubEvent[], receivedAt: Date): HubEvent[] =>
  events.map((event, position) => ({
    ...withinBounds(event),
    sequence: arrivalSequence(receivedAt, position),
  }));

/** The event within the bounds above (the same object when it already was). */
const withinBounds = (event: HubEvent): HubEvent => {
  // The hub's own events carry no provider input.
  if (
    event.type === 'switchboard.conversation.state_changed' ||
    event.type === 'switchboard.conversation.response_overdue' ||
    event.type === 'switchboard.contact.erased' ||
    event.type === 'switchboard.contact.merged' ||
    event.type === 'switchboard.contact.unmerged' ||
    event.type === 'switchboard.message.send_failed' ||
    event.type === 'switchboard.message.media_stored' ||
    event.type === 'switchboard.message.media_failed'
  )
    return event;
  const data: EventParties = event.data;
  if (hasOversizeIdentifier(event, data)) {
    return buildEvent(
      'switchboard.provider.unsupported',
      eventIdFor(data.channel, 'oversize_identifier', event.id),
      {
        channel: data.channel,
        provider: data.provider,
        providerTimestamp: data.providerTimestamp ?? null,
        receivedAt: data.receivedAt ?? event.time,
        providerType: 'oversize_identifier',
        // The subject too: an account's notice names the account's id nowhere else (its source
        // names the same id, percent-encoded, so up to nine times as long: not kept).
        raw: { type: event.type, subject: event.subject, data: event.data },
      },
    );
  }
  const contact = data.contact ? boundedContact(data.contact) : undefined;
  const endpoint = data.endpoint ? boundedEndpoint(data.endpoint) : undefined;
  if (contact === data.contact && endpoint === data.endpoint) return event;
  return {
    ...event,
    data: { ...event.data, ...(contact ? { contact } : {}), ...(endpoint ? { endpoint } : {}) },
  } as HubEvent;
};
