import type { SQSEvent } from 'aws-lambda';
import {
  type BusinessEndpoint,
  buildEvent,
  type Channel,
  type ChannelIdentity,
  contactConversationId,
  type DeliveryStatus,
  eventIdFor,
  type HubEvent,
  hubMessageIdFor,
  type Referral,
} from '#shared/contract/index.ts';
import type { RecorderStore } from '#shared/store/recorder-store.ts';
import type { SendRecord } from '#shared/store/sends.ts';

/** Test events built the way the adapters build them: deterministic ids, conversation from the contact. */

export const conversationFor = (customer: string, channel: Channel = 'whatsapp') => {
  const endpoint = { type: 'whatsapp_phone_number' as const, id: 'phone-1' };
  const contact = { identities: [{ type: 'wa_id' as const, value: customer }] };
  return {
    channel,
    endpoint,
    contact,
    conversationId: contactConversationId(
      channel,
      endpoint,
      contact.identities[0] ?? { type: 'wa_id', value: '' },
    ),
  };
};

/**
 * A send of the hub's to the customer's WhatsApp conversation that never became a message: its call
 * in flight when its command gave up (no message record shares its partition).
 */
export const unsentSend = (customer: string, hubMessageId: string, at: string): SendRecord => {
  const { channel, endpoint, contact, conversationId } = conversationFor(customer);
  return {
    hubMessageId,
    conversationId,
    commandId: `command-${hubMessageId}`,
    commandHash: 'hash',
    state: 'sending',
    acceptedAt: at,
    messageCount: 1,
    next: 0,
    providerIds: [],
    inFlight: { index: 0, at },
    links: {},
    plan: {
      channel,
      provider: 'meta',
      endpoint,
      recipient: contact.identities[0] ?? { type: 'wa_id', value: customer },
      withinWindow: true,
      humanAgentTag: false,
    },
  };
};

const context = (customer: string, at: string, channel: Channel = 'whatsapp') => {
  const conversation = conversationFor(customer, channel);
  return {
    ...conversation,
    provider: 'meta' as const,
    providerTimestamp: at,
    // Received as it happened: a provider time far after the receipt is a wrong clock (domain/time.ts).
    receivedAt: at,
  };
};

export const minute = (n: number): string =>
  new Date(Date.UTC(2026, 10, 22, 10, 0, 0) + n * 60_000).toISOString();

export const messageEvent = (
  customer: string,
  providerMessageId: string,
  at: string,
  direction: 'inbound' | 'outbound' = 'inbound',
  text = 'hello',
  channel: Channel = 'whatsapp',
): HubEvent => {
  const data = context(customer, at, channel);
  const type = direction === 'inbound' ? 'switchboard.message.received' : 'switchboard.message.sent';
  return buildEvent(type, eventIdFor(data.channel, 'message', providerMessageId), {
    ...data,
    hubMessageId: hubMessageIdFor(data.channel, providerMessageId),
    direction,
    providerMessageId,
    parts: [{ type: 'text', text }],
  });
};

/**
 * A WhatsApp customer's text to `endpoint` naming `identities` (a wa_id, a BSUID, or both), as the webhook makes it:
 * the conversation is the first identity's.
 */
export const whatsAppMessageFrom = (
  endpoint: BusinessEndpoint,
  identities: readonly ChannelIdentity[],
  wamid: string,
  at: string,
  text = 'hello',
): HubEvent => {
  const [primary, ...others] = identities;
  if (!primary) throw new Error('no identity');
  return buildEvent('switchboard.message.received', eventIdFor('whatsapp', 'message', wamid), {
    channel: 'whatsapp',
    provider: 'meta',
    endpoint,
    contact: { identities: [primary, ...others] },
    conversationId: contactConversationId('whatsapp', endpoint, primary),
    hubMessageId: hubMessageIdFor('whatsapp', wamid),
    direction: 'inbound',
    providerMessageId: wamid,
    providerTimestamp: at,
    receivedAt: at,
    parts: [{ type: 'text', text }],
  });
};

/**
 * An SMS from `phone` as the recorder receives it from the Twilio webhook, to the business number
 * `endpointId` (the consent events of consentEvent are on the default one).
 */
export const smsReceived = (
  phone: string,
  providerMessageId: string,
  at: string,
  {
    endpointId = '+15550000000',
    text = 'hello',
  }: { readonly endpointId?: string; readonly text?: string } = {},
): HubEvent => {
  const endpoint = { type: 'phone_number' as const, id: endpointId };
  const identity = { type: 'phone' as const, value: phone };
  return buildEvent('switchboard.message.received', eventIdFor('sms', 'message', providerMessageId), {
    channel: 'sms',
    provider: 'twilio',
    endpoint,
    contact: { identities: [identity] },
    conversationId: contactConversationId('sms', endpoint, identity),
    hubMessageId: hubMessageIdFor('sms', providerMessageId),
    direction: 'inbound',
    providerMessageId,
    providerTimestamp: at,
    receivedAt: at,
    parts: [{ type: 'text', text }],
  });
};

export const statusEvent = (
  customer: string,
  providerMessageId: string,
  status: DeliveryStatus,
  at: string,
): HubEvent => {
  const data = context(customer, at);
  return buildEvent(
    'switchboard.message.status_updated',
    eventIdFor(data.channel, 'status', providerMessageId, status),
    {
      ...data,
      status,
      providerStatus: status,
      providerMessageIds: [providerMessageId],
      ...(status === 'failed' ? { errors: [{ code: '131047', title: 'Re-engagement message' }] } : {}),
    },
  );
};

export const consentEvent = (
  customer: string,
  consent: 'opted_out' | 'opted_in',
  at: string,
  trigger: string,
): HubEvent => {
  const data = context(customer, at, 'sms');
  return buildEvent(
    'switchboard.contact.consent_changed',
    eventIdFor('sms', 'consent', customer, trigger, at),
    {
      ...data,
      endpoint: { type: 'phone_number', id: '+15550000000' },
      contact: { identities: [{ type: 'phone', value: customer }] },
      provider: 'twilio',
      scope: 'sms',
      consent,
      trigger,
    },
  );
};

export const reactionEvent = (
  customer: string,
  target: string,
  emoji: string | undefined,
  at: string,
  channel: Channel = 'whatsapp',
): HubEvent => {
  const data = context(customer, at, channel);
  return buildEvent(
    'switchboard.message.reaction_changed',
    eventIdFor(data.channel, 'reaction', target, at),
    {
      ...data,
      action: emoji ? 'added' : 'removed',
      ...(emoji ? { emoji } : {}),
      targetProviderMessageId: target,
      actor: 'customer',
    },
  );
};

/** A standalone referral (Meta's `messaging_referrals`: a customer with a thread came back through a link or an ad). */
export const referralEvent = (customer: string, referral: Referral, at: string): HubEvent => {
  const data = context(customer, at, 'messenger');
  return buildEvent('switchboard.contact.referred', eventIdFor(data.channel, 'referral', customer, at), {
    ...data,
    referral,
  });
};

/** An SQS FIFO batch as the Lambda event source delivers it; `receive`: every record's ApproximateReceiveCount. */
export const sqsEvent = (
  bodies: readonly { id: string; group: string; body: string }[],
  receive = 1,
): SQSEvent => ({
  Records: bodies.map(({ id, group, body }) => ({
    messageId: id,
    receiptHandle: id,
    body,
    attributes: {
      ApproximateReceiveCount: String(receive),
      SentTimestamp: '0',
      SenderId: 'test',
      ApproximateFirstReceiveTimestamp: '0',
      MessageGroupId: group,
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:switchboard-ingest.fifo',
    awsRegion: 'us-east-1',
  })),
});

/** A store that holds nothing: every message is new, every write lands (for batch-handling tests). */
export const noStore: RecorderStore = {
  readForBatch: async (hubMessageIds, conversationIds) => ({
    marks: new Map(hubMessageIds.map((id) => [id, { held: 'absent' as const }])),
    conversations: new Map(
      conversationIds.map((id) => [id, { model: undefined, recentEventIds: [], lastChange: undefined }]),
    ),
    // Sends not read: a status reads its send for itself.
    sends: new Map(),
  }),
  messageMark: async () => 'absent',
  claimMessage: async () => true,
  loadConversation: async () => ({ model: undefined, recentEventIds: [], lastChange: undefined }),
  saveConversation: async () => 'saved',
  indexContact: async () => 0,
  recordedMessage: async () => undefined,
  putMessage: async () => {},
  putCountedMarker: async () => {},
  writeRegister: async () => 'written',
  linkSend: async () => undefined,
  sendOfProviderMessage: async () => undefined,
  findLinkedConversation: async () => undefined,
  conversationAlias: async () => undefined,
  putConversationAlias: async () => 'aliased',
  claimIdentities: async () => undefined,
  resolvePerson: async (contactId) => contactId,
  linkPerson: async () => 'linked',
  wasErasedWith: async () => false,
  recordConsentChange: async (_contactKey, entry, order) => ({ at: entry.at, order }),
  keepUnreadableEmail: async () => 'kept',
};
