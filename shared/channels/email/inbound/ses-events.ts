import * as v from 'valibot';
import { boundDepth } from '#shared/channels/bounded-json.ts';
import { jsonOrUndefined } from '#shared/channels/provider-answer.ts';
import { cutText } from '#shared/channels/provider-text.ts';
import { isoFromDateString } from '#shared/channels/provider-time.ts';
import { buildEvent } from '#shared/contract/build.ts';
import { EVENT_TYPES } from '#shared/contract/event-types.ts';
import { canonicalJson, eventIdFor, stableHash } from '#shared/contract/ids.ts';
import type { DeliveryStatus, HubEvent, ProviderError } from '#shared/contract/types.ts';
import { parseOrThrow } from '#shared/validation/schema.ts';
import {
  CONVERSATION_TAG,
  CORRELATION_TAG,
  conversationIdOfTag,
  correlationIdOfTag,
} from '../correlation-tags.ts';
import { contactAddressIn, emailAddressOf } from './addressing.ts';
import {
  SesBounceSchema,
  type SesComplaint,
  SesComplaintSchema,
  SesDeliveryDelaySchema,
  SesDeliverySchema,
  SesEventEnvelopeSchema,
  type SesMail,
  type SesRecipient,
  SesRejectSchema,
  SesRenderingFailureSchema,
  SnsNotificationSchema,
} from './ses-events-schema.ts';

/** One recipient's status: the address, and what the provider said about it. */
interface RecipientStatus {
  readonly address: string;
  readonly errors?: ProviderError[];
}

interface Occurrence {
  readonly mail: SesMail;
  readonly eventType: string;
  readonly raw: unknown;
  readonly receivedAt: string;
}

/** Envelope sender → the business address: `"Name" <a@b>` or `a@b`, lower-cased; undefined when it is none (`""`, `<>`). */
const endpointAddressOf = (mail: SesMail): string | undefined =>
  emailAddressOf(/<([^<>]*)>\s*$/.exec(mail.source)?.[1] ?? mail.source);

const firstTag = (mail: SesMail, name: string): string | undefined => mail.tags[name]?.[0];

const unsupported = (occurrence: Occurrence): HubEvent => {
  const endpointAddress = endpointAddressOf(occurrence.mail);
  return buildEvent(
    EVENT_TYPES.providerUnsupported,
    eventIdFor(
      'email',
      'unsupported',
      'ses_event',
      occurrence.mail.messageId,
      stableHash(canonicalJson(occurrence.raw)),
    ),
    {
      channel: 'email',
      provider: 'ses',
      ...(endpointAddress ? { endpoint: { type: 'email_address' as const, id: endpointAddress } } : {}),
      providerTimestamp: isoFromDateString(occurrence.mail.timestamp),
      receivedAt: occurrence.receivedAt,
      providerType: `ses_event:${occurrence.eventType}`,
      raw: occurrence.raw,
    },
  );
};

/** Where every event about the message belongs: the business address, and the conversation from the tag. */
interface Side {
  readonly endpointAddress: string;
  readonly conversationId: string;
}

/** What an event about one recipient (an address, normalized) shares with the others. */
const sideOf = (side: Side, address: string) => ({
  channel: 'email' as const,
  provider: 'ses' as const,
  endpoint: { type: 'email_address' as const, id: side.endpointAddress },
  contact: { identities: [{ type: 'email' as const, value: address }] },
  conversationId: side.conversationId,
});

const recipientErrors = (recipient: SesRecipient, fallbackCode: string, title: string): ProviderError[] => [
  {
    code: recipient.status ?? fallbackCode,
    title,
    ...(recipient.diagnosticCode ? { message: cutText(recipient.diagnosticCode, 1000) } : {}),
  },
];

interface StatusPlan {
  readonly status: DeliveryStatus;
  readonly recipients: readonly RecipientStatus[];
  readonly timestamp: string | undefined;
}

const everyDestination = (mail: SesMail, errors?: ProviderError[]): RecipientStatus[] =>
  mail.destination.map((address) => ({ address, ...(errors ? { errors } : {}) }));

/** The status an event type means, or undefined for a malformed section. */
const statusPlanOf = (
  eventType: string,
  event: Record<string, unknown>,
  mail: SesMail,
): StatusPlan | undefined => {
  switch (eventType) {
    case 'Send':
      return { status: 'sent', recipients: everyDestination(mail), timestamp: undefined };
    case 'Delivery': {
      const delivery = v.safeParse(SesDeliverySchema, event.delivery);
      if (!delivery.success) return undefined;
      return {
        status: 'delivered',
        recipients: delivery.output.recipients.map((address) => ({ address })),
        timestamp: delivery.output.timestamp,
      };
    }
    case 'Bounce': {
      // SES publishes a soft bounce only once it gives up: every Bounce event is a failure.
      const bounce = v.safeParse(SesBounceSchema, event.bounce);
      if (!bounce.success) return undefined;
      const title = `${bounce.output.bounceType} bounce${bounce.output.bounceSubType ? `: ${bounce.output.bounceSubType}` : ''}`;
      return {
        status: 'failed',
        recipients: bounce.output.bouncedRecipients.map((recipient) => ({
          address: recipient.emailAddress,
          errors: recipientErrors(recipient, bounce.output.bounceType, title),
        })),
        timestamp: bounce.output.timestamp,
      };
    }
    case 'DeliveryDelay': {
      // SES still holds the message and tries again: queued, with why it waits.
      const delay = v.safeParse(SesDeliveryDelaySchema, event.deliveryDelay);
      if (!delay.success) return undefined;
      return {
        status: 'queued',
        recipients: delay.output.delayedRecipients.map((recipient) => ({
          address: recipient.emailAddress,
          errors: recipientErrors(recipient, delay.output.delayType, `delayed: ${delay.output.delayType}`),
        })),
        timestamp: delay.output.timestamp,
      };
    }
    case 'Reject': {
      const reject = v.safeParse(SesRejectSchema, event.reject ?? {});
      const reason = reject.success ? reject.output.reason : undefined;
      return {
        status: 'failed',
        recipients: everyDestination(mail, [{ code: 'Reject', ...(reason ? { message: reason } : {}) }]),
        timestamp: undefined,
      };
    }
    case 'Rendering Failure': {
      const failure = v.safeParse(SesRenderingFailureSchema, event.failure ?? {});
      const message = failure.success ? failure.output.errorMessage : undefined;
      return {
        status: 'failed',
        recipients: everyDestination(mail, [{ code: 'RenderingFailure', ...(message ? { message } : {}) }]),
        timestamp: undefined,
      };
    }
    default:
      return undefined;
  }
};

/** The status of each recipient, whose address is a usable one (see usableRecipients). */
const statusEvents = (
  occurrence: Occurrence,
  side: Side,
  plan: StatusPlan,
  recipients: readonly RecipientStatus[],
): HubEvent[] => {
  const { mail, eventType } = occurrence;
  const correlationId = correlationIdOfTag(firstTag(mail, CORRELATION_TAG));
  const providerTimestamp = isoFromDateString(plan.timestamp) ?? isoFromDateString(mail.timestamp);
  return recipients.map((recipient) =>
    buildEvent(
      EVENT_TYPES.messageStatusUpdated,
      eventIdFor('email', 'status', mail.messageId, eventType, recipient.address, plan.timestamp ?? ''),
      {
        ...sideOf(side, recipient.address),
        providerTimestamp,
        receivedAt: occurrence.receivedAt,
        status: plan.status,
        providerStatus: eventType,
        providerMessageIds: [mail.messageId],
        ...(correlationId ? { correlationId } : {}),
        ...(recipient.errors ? { errors: recipient.errors } : {}),
      },
    ),
  );
};

/** A complaint's recipients: the ones it names, else every destination of the message. */
const complainedRecipients = (complaint: SesComplaint, mail: SesMail): RecipientStatus[] =>
  complaint.complainedRecipients.length > 0
    ? complaint.complainedRecipients.map((recipient) => ({ address: recipient.emailAddress }))
    : everyDestination(mail);

/**
 * Feedback types (RFC 5965 §7.3, as SES passes them in `complaintFeedbackType`) that ask nothing of
 * the sender: `not-spam` is the recipient saying the mail is NOT spam (the opposite of a complaint),
 * `auth-failure` (RFC 6591) and `virus` are the receiving system's reports about the message, which
 * nobody asked to stop. Every other type is an opt-out: `abuse` (the usual "this is spam"), `fraud`
 * (the mail called phishing), `other`, one RFC 5965 may add later, and none at all (most ISPs' feedback
 * loops give none): a missed opt-out costs more than a wrong one, which the customer's next mail lifts.
 */
const NOT_OPT_OUT_FEEDBACK_TYPES = new Set(['not-spam', 'auth-failure', 'virus']);

/** Whether a complaint is the recipient asking for no more mail (see NOT_OPT_OUT_FEEDBACK_TYPES). */
const isOptOut = (complaint: SesComplaint): boolean =>
  !NOT_OPT_OUT_FEEDBACK_TYPES.has(complaint.complaintFeedbackType?.trim().toLowerCase() ?? '');

/**
 * Whether SES did not send the message at all: a complaint of subtype `OnAccountSuppressionList`
 * ("SES accepted the message, but didn't attempt to send it because it was on the account-level
 * suppression list", SES v2 API reference, Complaint), which is how SES reports a send to an address
 * it holds for an earlier complaint (by default, every account since November 2019 does).
 */
const isSuppressedSend = (complaint: SesComplaint): boolean =>
  complaint.complaintSubType?.trim().toLowerCase() === 'onaccountsuppressionlist';

/**
 * The `failed` status of a message SES did not send to the complained recipients (isSuppressedSend):
 * until 2026-12-07 such a complaint was read as an opt-out alone, and the reply it dropped stayed
 * `sent` for ever, the helpdesk believing it had gone.
 */
const suppressedPlan = (complaint: SesComplaint, recipients: readonly RecipientStatus[]): StatusPlan => ({
  status: 'failed',
  recipients: recipients.map(({ address }) => ({
    address,
    errors: [
      {
        code: 'OnAccountSuppressionList',
        title: 'not sent: the address is on the account-level suppression list for a complaint',
      },
    ],
  })),
  timestamp: complaint.timestamp,
});

/** A complaint is the recipient saying "spam": no more e-mail to that address (a usable one, see usableRecipients). */
const complaintEvents = (
  occurrence: Occurrence,
  side: Side,
  complaint: SesComplaint,
  recipients: readonly RecipientStatus[],
): HubEvent[] => {
  const { mail } = occurrence;
  const providerTimestamp = isoFromDateString(complaint.timestamp) ?? isoFromDateString(mail.timestamp);
  return recipients.map(({ address }) =>
    buildEvent(
      EVENT_TYPES.contactConsentChanged,
      eventIdFor('email', 'consent', mail.messageId, address, complaint.feedbackId ?? ''),
      {
        ...sideOf(side, address),
        providerTimestamp,
        receivedAt: occurrence.receivedAt,
        scope: 'email',
        consent: 'opted_out',
        trigger: complaint.complaintFeedbackType ?? 'complaint',
      },
    ),
  );
};

/**
 * The recipients whose address is one, as the contact it names (contactAddressIn: the hub sent to
 * the ASCII form of an internationalised domain, which SES names here); the others (`""`, `<>`)
 * would be a contact the contract refuses.
 */
const usableRecipients = (recipients: readonly RecipientStatus[]): RecipientStatus[] =>
  recipients.flatMap((recipient) => {
    const address = contactAddressIn(recipient.address);
    return address === undefined ? [] : [{ ...recipient, address }];
  });

/**
 * The events about each usable recipient; the occurrence kept whole beside them when a recipient
 * is no address (a status or opt-out for nobody), alone when none is usable or none is named (it
 * would say nothing, or an opt-out would be lost unseen).
 */
const recipientEvents = (
  occurrence: Occurrence,
  recipients: readonly RecipientStatus[],
  eventsFor: (usable: readonly RecipientStatus[]) => HubEvent[],
): HubEvent[] => {
  const usable = usableRecipients(recipients);
  if (usable.length === 0) return [unsupported(occurrence)];
  const events = eventsFor(usable);
  return usable.length === recipients.length ? events : [...events, unsupported(occurrence)];
};

/** A notification read: the event JSON, or a text that is no JSON with the SNS message id it came with. */
type Read =
  | { readonly kind: 'json'; readonly value: unknown }
  | { readonly kind: 'text'; readonly text: string; readonly snsMessageId: string | undefined };

/** The event JSON: inside an SNS notification envelope, or bare (raw message delivery, EventBridge's detail). */
const readNotification = (notification: unknown, snsMessageId: string | undefined): Read => {
  let value = notification;
  if (typeof value === 'string') {
    const parsed = jsonOrUndefined(value);
    if (parsed === undefined) return { kind: 'text', text: value, snsMessageId };
    value = parsed;
  }
  const envelope = v.safeParse(SnsNotificationSchema, value);
  if (!envelope.success) return { kind: 'json', value: boundDepth(value) };
  const inner = jsonOrUndefined(envelope.output.Message);
  return inner === undefined
    ? { kind: 'text', text: envelope.output.Message, snsMessageId: envelope.output.MessageId ?? snsMessageId }
    : { kind: 'json', value: boundDepth(inner) };
};

/**
 * SNS's text of a notification that is no JSON: SES's own "Successfully validated SNS topic for
 * Amazon SES event destination." when an event destination is set up, and whatever else reaches
 * the topic. One `provider.unsupported` of type `ses_notification:not_json` holding the text, its
 * id hashing the SNS message id (an SNS retry keeps it) or, without one, the text. Never a throw:
 * before 2026-12-04 this threw ("SES event notification is not JSON"), so SNS retried it, it ended
 * in the function's failed events and raised SesDeliveryEventsFailed at every set-up.
 */
const notJsonEvent = (text: string, snsMessageId: string | undefined, receivedAt: Date): HubEvent =>
  buildEvent(
    EVENT_TYPES.providerUnsupported,
    eventIdFor('email', 'unsupported', 'ses_notification:not_json', snsMessageId ?? stableHash(text)),
    {
      channel: 'email',
      provider: 'ses',
      providerTimestamp: null,
      receivedAt: receivedAt.toISOString(),
      providerType: 'ses_notification:not_json',
      raw: { text, ...(snsMessageId !== undefined ? { snsMessageId } : {}) },
    },
  );

/**
 * One SES event-publishing notification → hub events: a status of the hub's message for Send
 * (sent), Delivery (delivered), Bounce, Reject and Rendering Failure (failed) and DeliveryDelay
 * (queued, with the reason), a consent change for a Complaint (one of a feedback type that asks to
 * stop: see NOT_OPT_OUT_FEEDBACK_TYPES; the others are kept whole) and a failed status too for one
 * that reports a send SES did not make (isSuppressedSend), in the conversation its
 * `switchboard_conversation` tag names, with the correlation id of its `switchboard_correlation`
 * tag. Other types (Open, Click, Subscription), sends without the hub's tags, malformed
 * sections, a sender that is no address and a status or complaint naming no recipient are kept
 * whole as `provider.unsupported`; so is one naming a recipient that is no address, beside the
 * events of the others, and a notification that is no JSON (see notJsonEvent). The notification
 * comes from AWS (SNS to SQS or Lambda, authorized by IAM): JSON that is not an SES event at all is
 * a deployment error, and this throws, naming what is wrong.
 */
export const normalizeSesEvent = (
  notification: unknown,
  receivedAt: Date,
  /** The SNS message id, when the notification is SNS's `Message` alone (a Lambda subscription's record). */
  snsMessageId?: string,
): HubEvent[] => {
  const read = readNotification(notification, snsMessageId);
  if (read.kind === 'text') return [notJsonEvent(read.text, read.snsMessageId, receivedAt)];
  const raw = read.value;
  const { eventType, mail } = parseOrThrow(SesEventEnvelopeSchema, raw);
  const event = raw as Record<string, unknown>;
  const occurrence: Occurrence = { mail, eventType, raw, receivedAt: receivedAt.toISOString() };
  const conversationId = conversationIdOfTag(firstTag(mail, CONVERSATION_TAG));
  const endpointAddress = endpointAddressOf(mail);
  if (conversationId === undefined || endpointAddress === undefined) return [unsupported(occurrence)];
  const side: Side = { endpointAddress, conversationId };
  if (eventType === 'Complaint') {
    const complaint = v.safeParse(SesComplaintSchema, event.complaint);
    if (!complaint.success) return [unsupported(occurrence)];
    const optOut = isOptOut(complaint.output);
    const suppressed = isSuppressedSend(complaint.output);
    // A report that asks nothing (not-spam, auth-failure, virus) is kept whole, and opts nobody out.
    if (!optOut && !suppressed) return [unsupported(occurrence)];
    return recipientEvents(occurrence, complainedRecipients(complaint.output, mail), (usable) => {
      const notSent = suppressedPlan(complaint.output, usable);
      return [
        ...(optOut ? complaintEvents(occurrence, side, complaint.output, usable) : []),
        ...(suppressed ? statusEvents(occurrence, side, notSent, notSent.recipients) : []),
      ];
    });
  }
  const plan = statusPlanOf(eventType, event, mail);
  if (plan === undefined) return [unsupported(occurrence)];
  return recipientEvents(occurrence, plan.recipients, (usable) =>
    statusEvents(occurrence, side, plan, usable),
  );
};
