import * as v from 'valibot';
import { cutText } from '#shared/channels/provider-text.ts';
import { isoFromEpochSeconds } from '#shared/channels/provider-time.ts';
import { buildEvent } from '#shared/contract/build.ts';
import { EVENT_TYPES } from '#shared/contract/event-types.ts';
import { canonicalJson, eventIdFor, stableHash } from '#shared/contract/ids.ts';
import type { DeliveryStatus, HubEvent, ProviderError } from '#shared/contract/types.ts';
import {
  CONVERSATION_TAG,
  CORRELATION_TAG,
  conversationIdOfTag,
  correlationIdOfTag,
} from '../correlation-tags.ts';
import { contactAddressIn, emailAddressOf } from './addressing.ts';
import { boundedAddressParser } from './encoded-word-budget.ts';
import { type MailgunEventData, MailgunEventDataSchema } from './mailgun-events-schema.ts';

const MAX_ERROR_TEXT = 1000;

interface Known {
  readonly data: MailgunEventData;
  readonly messageId: string;
  readonly endpointAddress: string;
  readonly contactAddress: string;
  readonly conversationId: string;
  readonly providerTimestamp: string | null;
  readonly receivedAt: string;
}

const stringVariable = (data: MailgunEventData, name: string): string | undefined => {
  const value = data['user-variables']?.[name];
  return typeof value === 'string' ? value : undefined;
};

/** The first address of a From header, unless its encoded words pass the budget (see encoded-word-budget.ts). */
const firstAddressOf = (from: string): string | undefined => {
  try {
    return boundedAddressParser(from)[0]?.address;
  } catch {
    return undefined;
  }
};

/** The From header's address (the business address the hub sent from), else the envelope sender. */
const senderAddressOf = (data: MailgunEventData): string | undefined => {
  const from = data.message?.headers?.from;
  const parsed = from === undefined ? undefined : firstAddressOf(from);
  const address = parsed ?? data.envelope?.sender;
  return emailAddressOf(address);
};

const unsupported = (raw: unknown, data: MailgunEventData | undefined, receivedAt: string): HubEvent => {
  const endpointAddress = data ? senderAddressOf(data) : undefined;
  return buildEvent(
    EVENT_TYPES.providerUnsupported,
    eventIdFor('email', 'unsupported', 'mailgun_event', data?.id ?? '', stableHash(canonicalJson(raw))),
    {
      channel: 'email',
      provider: 'mailgun',
      ...(endpointAddress ? { endpoint: { type: 'email_address' as const, id: endpointAddress } } : {}),
      providerTimestamp: isoFromEpochSeconds(data?.timestamp),
      receivedAt,
      providerType: `mailgun_event:${data?.event ?? 'unknown'}`,
      raw,
    },
  );
};

const sideOf = (known: Known) => ({
  channel: 'email' as const,
  provider: 'mailgun' as const,
  endpoint: { type: 'email_address' as const, id: known.endpointAddress },
  contact: { identities: [{ type: 'email' as const, value: known.contactAddress }] },
  conversationId: known.conversationId,
  providerTimestamp: known.providerTimestamp,
  receivedAt: known.receivedAt,
});

const errorsOf = (data: MailgunEventData): ProviderError[] => {
  const status = data['delivery-status'];
  const text = data.reject?.description || status?.message || status?.description;
  const title = [data.severity, data.reason].filter(Boolean).join(' ');
  return [
    {
      code: status?.code ?? data.reject?.reason ?? data.reason ?? data.event,
      ...(title ? { title } : {}),
      ...(text ? { message: cutText(text, MAX_ERROR_TEXT) } : {}),
    },
  ];
};

/**
 * The status an event means. A temporary failure is Mailgun still trying: queued, with why it
 * waits (the state machine never moves a status back, so it only informs). A failure of unknown
 * severity is kept whole rather than guessed.
 */
const statusOf = (data: MailgunEventData): DeliveryStatus | undefined => {
  switch (data.event) {
    case 'accepted':
      return 'queued';
    case 'delivered':
      return 'delivered';
    case 'rejected':
      return 'failed';
    case 'failed':
      return data.severity === 'permanent' ? 'failed' : data.severity === 'temporary' ? 'queued' : undefined;
    default:
      return undefined;
  }
};

const eventFor = (known: Known): HubEvent | undefined => {
  const { data } = known;
  if (data.event === 'complained' || data.event === 'unsubscribed') {
    return buildEvent(
      EVENT_TYPES.contactConsentChanged,
      eventIdFor('email', 'consent', known.messageId, data.id),
      { ...sideOf(known), scope: 'email', consent: 'opted_out', trigger: data.event },
    );
  }
  const status = statusOf(data);
  if (status === undefined) return undefined;
  const correlationId = correlationIdOfTag(stringVariable(data, CORRELATION_TAG));
  const withErrors = data.event === 'failed' || data.event === 'rejected';
  return buildEvent(
    EVENT_TYPES.messageStatusUpdated,
    eventIdFor('email', 'status', known.messageId, data.id),
    {
      ...sideOf(known),
      status,
      providerStatus: data.severity ? `${data.event}:${data.severity}` : data.event,
      providerMessageIds: [known.messageId],
      ...(correlationId ? { correlationId } : {}),
      ...(withErrors ? { errors: errorsOf(data) } : {}),
    },
  );
};

/**
 * One verified Mailgun event → hub events: delivered, failed (permanent), rejected and accepted
 * as statuses of the hub's message in the conversation its `switchboard_conversation` variable
 * names; complained and unsubscribed as e-mail opt-outs. Events of mail the hub did not send, and
 * every other event (opened, clicked, stored…), are kept whole as `provider.unsupported`.
 */
export const normalizeMailgunEvent = (raw: unknown, receivedAt: Date): HubEvent[] => {
  const received = receivedAt.toISOString();
  const parsed = v.safeParse(MailgunEventDataSchema, raw);
  if (!parsed.success) return [unsupported(raw, undefined, received)];
  const data = parsed.output;
  const messageId = data.message?.headers?.['message-id']?.trim().replace(/^<|>$/g, '');
  const endpointAddress = senderAddressOf(data);
  const conversationId = conversationIdOfTag(stringVariable(data, CONVERSATION_TAG));
  // The contact the recipient is: the hub sent to the ASCII form of an internationalised domain.
  const contactAddress = contactAddressIn(data.recipient);
  if (!messageId || !endpointAddress || !conversationId || !contactAddress) {
    return [unsupported(raw, data, received)];
  }
  const known: Known = {
    data,
    messageId,
    endpointAddress,
    contactAddress,
    conversationId,
    providerTimestamp: isoFromEpochSeconds(data.timestamp),
    receivedAt: received,
  };
  const event = eventFor(known);
  return [event ?? unsupported(raw, data, received)];
};
