import * as v from 'valibot';
import { buildEvent } from '#shared/contract/build.ts';
import { EVENT_TYPES } from '#shared/contract/event-types.ts';
import {
  canonicalJson,
  contactConversationId,
  eventIdFor,
  hubMessageIdFor,
  stableHash,
} from '#shared/contract/ids.ts';
import type {
  BusinessEndpoint,
  ChannelIdentity,
  Contact,
  DeliveryStatus,
  HubEvent,
  MessagePart,
  ProviderError,
  Referral,
} from '#shared/contract/types.ts';
import { ownValue } from '#shared/validation/own-value.ts';
import { type FormParam, paramsToRecord } from './form.ts';
import { consentSignalFor } from './keywords.ts';
import { mediaPartsFrom } from './media.ts';
import { type ParsedAddress, parseTwilioAddress, twilioEndpointId } from './phone.ts';
import { isTwilioMessageSid, type TwilioMessagingParams, TwilioMessagingParamsSchema } from './schema.ts';

/** Twilio's raw status → the hub's delivery status. `received`/`receiving` belong to inbound messages. */
const DELIVERY_STATUS: Readonly<Record<string, DeliveryStatus>> = {
  accepted: 'queued',
  scheduled: 'queued',
  queued: 'queued',
  sending: 'queued',
  sent: 'sent',
  delivered: 'delivered',
  read: 'read',
  undelivered: 'failed',
  failed: 'failed',
  canceled: 'failed',
  // Twilio lists it among a Message's statuses (some of the message reached the handset, not all of
  // it): no more than `sent` can be said of it. Until 2026-12-06 it became provider.unsupported
  // (found by a review).
  partially_delivered: 'sent',
};
const INBOUND_STATUSES = new Set(['received', 'receiving']);

type StatusParams = Pick<TwilioMessagingParams, 'MessageStatus' | 'SmsStatus'>;

/** The status of a status callback (a message the business sent); undefined for an incoming message's. */
const deliveryStatusOf = (params: StatusParams): string | undefined => {
  const providerStatus = params.MessageStatus ?? params.SmsStatus;
  return providerStatus !== undefined && !INBOUND_STATUSES.has(providerStatus) ? providerStatus : undefined;
};

/**
 * The address of the business a request is filed under: `From` in a status callback (the business
 * sent that message), `To` in anything else (an incoming message). The webhook checks a further
 * account's request by it (./accounts.ts), so both read it from here.
 */
export const businessAddressOf = (
  params: StatusParams & Pick<TwilioMessagingParams, 'To' | 'From'>,
): string | undefined => (deliveryStatusOf(params) === undefined ? params.To : params.From);

interface Side {
  readonly channel: 'sms' | 'whatsapp';
  readonly endpoint: BusinessEndpoint;
  readonly contact: Contact;
  readonly conversationId: string;
}

interface Context {
  readonly params: TwilioMessagingParams;
  readonly raw: Record<string, string | string[]>;
  readonly receivedAt: string;
  /** The hub message a status callback is about, from the signed callback URL (`?sb=`). */
  readonly correlationId?: string | undefined;
}

const endpointFor = (address: ParsedAddress & { channel: 'sms' | 'whatsapp' }, accountSid?: string) => {
  const id = twilioEndpointId(address);
  const type = address.channel === 'whatsapp' ? 'whatsapp_phone_number' : 'phone_number';
  return { type, id, ...(accountSid ? { accountId: accountSid } : {}) } satisfies BusinessEndpoint;
};

/**
 * The address stays the primary identity so inbound messages and status callbacks (which carry
 * no `WaId`) share a conversation; a differing `WaId` (WhatsApp rewrites some national numbers)
 * is kept as another identity.
 */
const distinctWaId = (waId: string | undefined, primary: ChannelIdentity): ChannelIdentity[] =>
  waId && /^\d+$/.test(waId) && waId !== primary.value ? [{ type: 'wa_id', value: waId }] : [];

/** Business on one side, customer on the other; both must be on the same channel. */
const sideFor = (
  businessAddress: string | undefined,
  customerAddress: string | undefined,
  params: TwilioMessagingParams,
): Side | undefined => {
  if (businessAddress === undefined || customerAddress === undefined) return undefined;
  const business = parseTwilioAddress(businessAddress);
  const customer = parseTwilioAddress(customerAddress);
  if (business.channel === 'unknown' || customer.channel !== business.channel) return undefined;
  const endpoint = endpointFor(business, params.AccountSid);
  const identities: ChannelIdentity[] =
    customer.channel === 'whatsapp'
      ? [
          customer.identity,
          { type: 'phone', value: customer.phone },
          ...distinctWaId(params.WaId, customer.identity),
        ]
      : [customer.identity];
  const displayName = customer.channel === 'whatsapp' ? params.ProfileName : undefined;
  const contact: Contact = { identities, ...(displayName ? { displayName } : {}) };
  const primary = identities[0] ?? customer.identity;
  return {
    channel: customer.channel,
    endpoint,
    contact,
    conversationId: contactConversationId(customer.channel, endpoint, primary),
  };
};

const messageSidOf = (params: TwilioMessagingParams): string | undefined =>
  params.MessageSid || params.SmsMessageSid || params.SmsSid || undefined;

const unsupported = (context: Context, providerType: string, side?: Side, sid?: string): HubEvent => {
  const channel = side?.channel ?? 'sms';
  const id = eventIdFor(
    channel,
    'unsupported',
    providerType,
    sid ?? '',
    stableHash(canonicalJson(context.raw)),
  );
  return buildEvent(EVENT_TYPES.providerUnsupported, id, {
    channel,
    provider: 'twilio',
    ...(side ?? {}),
    providerTimestamp: null,
    receivedAt: context.receivedAt,
    providerType,
    raw: context.raw,
  });
};

/**
 * A click-to-WhatsApp ad or post the customer came from, as Twilio passes Meta's referral on. The
 * source id is an ad's when the source is an ad and a post's when it is a post, as the Cloud API
 * adapter reads Meta's own `source_id` (whatsapp/inbound/normalize-messages.ts); until 2026-12-06 a
 * post's id was dropped here (found by a review).
 */
const referralFrom = (params: TwilioMessagingParams): Referral | undefined => {
  const referral: Referral = {
    ...(params.ReferralSourceType ? { source: params.ReferralSourceType } : {}),
    ...(params.ReferralSourceId && params.ReferralSourceType === 'ad'
      ? { adId: params.ReferralSourceId }
      : {}),
    ...(params.ReferralSourceId && params.ReferralSourceType === 'post'
      ? { postId: params.ReferralSourceId }
      : {}),
    ...(params.ReferralSourceUrl ? { sourceUrl: params.ReferralSourceUrl } : {}),
    ...(params.ReferralHeadline ? { headline: params.ReferralHeadline } : {}),
    ...(params.ReferralBody ? { body: params.ReferralBody } : {}),
    ...(params.ReferralCtwaClid ? { clickId: params.ReferralCtwaClid } : {}),
  };
  return Object.keys(referral).length > 0 ? referral : undefined;
};

const coordinate = (value: string | undefined, limit: number): number | undefined => {
  if (value === undefined || !/^[-+]?\d+(\.\d+)?$/.test(value.trim())) return undefined;
  const number = Number(value);
  return Math.abs(number) <= limit ? number : undefined;
};

const partsFrom = (context: Context): MessagePart[] => {
  const { params, raw } = context;
  const parts: MessagePart[] = [];
  const isButtonReply = params.ButtonPayload !== undefined || params.ButtonText !== undefined;
  // A list-picker choice: its item's id is the business's key for it (titles may repeat), kept as
  // the Cloud API adapter keeps a list reply's (before 2026-12-06 only its title came through, as
  // text: found by a review).
  const isListReply = !isButtonReply && (params.ListId !== undefined || params.ListTitle !== undefined);
  const title = isButtonReply ? params.ButtonText : params.ListTitle;
  // A choice's Body repeats its title; the interactive part already carries it.
  const bodyIsTitle = (isButtonReply || isListReply) && params.Body === title;
  if (params.Body && !bodyIsTitle) parts.push({ type: 'text', text: params.Body });
  if (isButtonReply || isListReply) {
    const payload = isButtonReply ? params.ButtonPayload : params.ListId;
    parts.push({
      type: 'interactive_reply',
      kind: isButtonReply ? 'button' : 'list',
      ...(payload !== undefined ? { payload } : {}),
      ...(title !== undefined ? { title } : {}),
    });
  }
  if (params.Latitude !== undefined || params.Longitude !== undefined) {
    const latitude = coordinate(params.Latitude, 90);
    const longitude = coordinate(params.Longitude, 180);
    parts.push(
      latitude !== undefined && longitude !== undefined
        ? {
            type: 'location',
            latitude,
            longitude,
            ...(params.Label ? { name: params.Label } : {}),
            ...(params.Address ? { address: params.Address } : {}),
          }
        : {
            type: 'unsupported',
            providerType: 'twilio_location',
            raw: { Latitude: params.Latitude, Longitude: params.Longitude },
          },
    );
  }
  parts.push(...mediaPartsFrom(raw, params.NumMedia));
  const messageType = params.MessageType;
  if (parts.length === 0 && messageType !== undefined && messageType !== 'text') {
    // A WhatsApp type Twilio forwards without fields we map (reaction, contacts, order…): keep it whole.
    parts.push({ type: 'unsupported', providerType: messageType, raw });
  }
  return parts;
};

const inboundEvents = (context: Context, side: Side, sid: string): HubEvent[] => {
  const { params, receivedAt } = context;
  const { channel } = side;
  const referral = referralFrom(params);
  const signal = consentSignalFor(params.OptOutType, params.Body, channel === 'sms');
  const message = buildEvent(EVENT_TYPES.messageReceived, eventIdFor(channel, 'message', sid), {
    hubMessageId: hubMessageIdFor(channel, sid),
    provider: 'twilio',
    direction: 'inbound',
    ...side,
    providerMessageId: sid,
    // Twilio's incoming-message request carries no time of its own.
    providerTimestamp: null,
    receivedAt,
    ...(params.OriginalRepliedMessageSid
      ? {
          replyTo: {
            providerMessageId: params.OriginalRepliedMessageSid,
            ...(params.OriginalRepliedMessageSender
              ? { from: params.OriginalRepliedMessageSender.replace(/^whatsapp:/i, '') }
              : {}),
          },
        }
      : {}),
    ...(params.Forwarded !== undefined ? { forwarded: params.Forwarded === 'true' } : {}),
    ...(params.FrequentlyForwarded !== undefined
      ? { frequentlyForwarded: params.FrequentlyForwarded === 'true' }
      : {}),
    ...(referral ? { referral } : {}),
    ...(signal ? { consentKeyword: signal.consent } : {}),
    parts: partsFrom(context),
  });
  if (!signal) return [message];
  const consent = buildEvent(EVENT_TYPES.contactConsentChanged, eventIdFor(channel, 'consent', sid), {
    provider: 'twilio',
    ...side,
    providerTimestamp: null,
    receivedAt,
    scope: channel === 'sms' ? 'sms' : 'whatsapp_marketing',
    consent: signal.consent,
    trigger: signal.trigger,
  });
  return [message, consent];
};

const statusEvent = (context: Context, sid: string, providerStatus: string): HubEvent => {
  const { params, receivedAt } = context;
  // A status callback is about a message the business sent: From is the business, To the customer.
  const side = sideFor(businessAddressOf(params), params.To, params);
  const status = ownValue(DELIVERY_STATUS, providerStatus);
  if (!side || !status) return unsupported(context, 'twilio_status_callback', side, sid);
  const errors: ProviderError[] | undefined = params.ErrorCode
    ? [{ code: params.ErrorCode, ...(params.ErrorMessage ? { message: params.ErrorMessage } : {}) }]
    : undefined;
  // Each distinct status is its own occurrence: callbacks arrive out of order and all must count.
  return buildEvent(
    EVENT_TYPES.messageStatusUpdated,
    eventIdFor(side.channel, 'status', sid, providerStatus),
    {
      provider: 'twilio',
      ...side,
      providerTimestamp: null,
      receivedAt,
      status,
      providerStatus,
      providerMessageIds: [sid],
      ...(context.correlationId ? { correlationId: context.correlationId } : {}),
      ...(errors ? { errors } : {}),
    },
  );
};

/**
 * Turns the verified parameters of one Twilio Messaging request into hub events: an inbound
 * message (plus a consent change for STOP/START/HELP), a delivery status, or, for anything else,
 * the request kept whole as `provider.unsupported`. `correlationId` (from the signed callback URL)
 * goes on a status event only.
 */
export const normalizeTwilioParams = (
  params: readonly FormParam[],
  receivedAt: Date,
  options: { readonly correlationId?: string | undefined } = {},
): HubEvent[] => {
  const raw = paramsToRecord(params);
  const parsed = v.safeParse(TwilioMessagingParamsSchema, raw);
  const base = { raw, receivedAt: receivedAt.toISOString(), correlationId: options.correlationId };
  if (!parsed.success) return [unsupported({ ...base, params: {} }, 'twilio_request')];
  const context: Context = { ...base, params: parsed.output };
  const sid = messageSidOf(parsed.output);
  // Without a Message SID in Twilio's format, nothing is filed under the id the request gives: a
  // message's record would carry it to erasure, where Twilio cannot be asked about it (its redaction
  // refused for good) and the pending redaction's key is the id itself. Until 2026-12-06 any id up to
  // 1,024 characters became a message (found by a review).
  if (!sid || !isTwilioMessageSid(sid)) return [unsupported(context, 'twilio_request')];
  const providerStatus = deliveryStatusOf(parsed.output);
  if (providerStatus !== undefined) return [statusEvent(context, sid, providerStatus)];
  const isMessage = parsed.output.Body !== undefined || parsed.output.NumMedia !== undefined;
  const side = sideFor(businessAddressOf(parsed.output), parsed.output.From, parsed.output);
  if (!isMessage || !side) return [unsupported(context, 'twilio_request', side, sid)];
  return inboundEvents(context, side, sid);
};
