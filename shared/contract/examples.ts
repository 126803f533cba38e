import { PAYLOAD_BUCKET } from '#shared/resources/definitions.ts';
import {
  buildContactErasedEvent,
  buildContactMergeEvent,
  buildEvent,
  buildMediaEvent,
  buildResponseOverdueEvent,
  buildSendFailedEvent,
  dataSchemaFor,
} from './build.ts';
import type { ClaimCheck } from './claim-check.ts';
import type { BusinessEndpoint, Contact } from './common.ts';
import { EVENT_TYPES, type EventType, type HubEvent } from './events.ts';
import { contactConversationId, eventIdFor, hubMessageIdFor, outboundHubMessageId } from './ids.ts';

/**
 * One example of every event type, in the exact shape consumers receive. They are published in the
 * README and the AsyncAPI document, and validated against the JSON Schema by the tests.
 */

const receivedAt = '2026-11-22T09:15:02.481Z';
const whatsappEndpoint: BusinessEndpoint = {
  type: 'whatsapp_phone_number',
  id: '106540352242922',
  displayName: '+30 21 0555 0142',
  accountId: '102290129340398',
};
const whatsappContact: Contact = {
  identities: [
    { type: 'wa_id', value: '306912345678' },
    { type: 'bsuid', value: 'GR.1234567890123456' },
  ],
  displayName: 'Ελένη Παπαδοπούλου',
};
/** contactIdFor('whatsapp', whatsappContact): the person by their phone number (tests/contacts checks it). */
export const EXAMPLE_CONTACT_ID = 'ct_120c8263eb396649d82fc4ebe653e522';
const whatsappConversation = contactConversationId('whatsapp', whatsappEndpoint, {
  type: 'wa_id',
  value: '306912345678',
});
const context = {
  channel: 'whatsapp' as const,
  provider: 'meta' as const,
  endpoint: whatsappEndpoint,
  contact: whatsappContact,
  conversationId: whatsappConversation,
  receivedAt,
};
const inboundWamid = 'wamid.HBgMMzA2OTEyMzQ1Njc4FQIAEhggQTNFQjY0QjM4NUJEMjE2RkQ0NUE3RjQ1QUI2MjhCMDAA';
const replyWamid = 'wamid.HBgMMzA2OTEyMzQ1Njc4FQIAERgSMkE5RjM2QjE3MDc1RDY4QkQ0AA==';

const smsEndpoint: BusinessEndpoint = {
  type: 'phone_number',
  id: '+14155550142',
  accountId: 'AC0123456789abcdef0123456789abcdef',
};
const smsContact: Contact = { identities: [{ type: 'phone', value: '+37491234567' }] };
const smsConversation = contactConversationId('sms', smsEndpoint, { type: 'phone', value: '+37491234567' });

const messengerEndpoint: BusinessEndpoint = { type: 'facebook_page', id: '104331798255117' };
const messengerContact: Contact = { identities: [{ type: 'psid', value: '6783425123045219' }] };
const messengerConversation = contactConversationId('messenger', messengerEndpoint, {
  type: 'psid',
  value: '6783425123045219',
});

const messageReceived = buildEvent(
  EVENT_TYPES.messageReceived,
  eventIdFor('whatsapp', 'message', inboundWamid),
  {
    ...context,
    contactId: EXAMPLE_CONTACT_ID,
    hubMessageId: hubMessageIdFor('whatsapp', inboundWamid),
    direction: 'inbound',
    providerMessageId: inboundWamid,
    providerTimestamp: '2026-11-22T09:15:01.000Z',
    parts: [{ type: 'text', text: 'Καλημέρα! Η παραγγελία μου δεν έφτασε ακόμα 📦' }],
  },
);

const messageSent = buildEvent(EVENT_TYPES.messageSent, eventIdFor('whatsapp', 'echo', replyWamid), {
  ...context,
  contactId: EXAMPLE_CONTACT_ID,
  hubMessageId: hubMessageIdFor('whatsapp', replyWamid),
  direction: 'outbound',
  providerMessageId: replyWamid,
  providerTimestamp: '2026-11-22T09:17:40.000Z',
  sentBy: 'external',
  replyTo: { providerMessageId: inboundWamid },
  parts: [{ type: 'text', text: 'Λυπούμαστε! Η αποστολή φεύγει σήμερα.' }],
});

const statusUpdated = buildEvent(
  EVENT_TYPES.messageStatusUpdated,
  eventIdFor('whatsapp', 'status', replyWamid, 'read'),
  {
    ...context,
    providerTimestamp: '2026-11-22T09:18:05.000Z',
    status: 'read',
    providerStatus: 'read',
    providerMessageIds: [replyWamid],
  },
);

const reactionChanged = buildEvent(
  EVENT_TYPES.messageReactionChanged,
  eventIdFor('whatsapp', 'reaction', 'wamid.HBgMMzA2OTEyMzQ1Njc4FQIAEhgWM0VCMDVEQzZBMjc5QjM2NUQ0QUQA'),
  {
    ...context,
    providerTimestamp: '2026-11-22T09:18:30.000Z',
    action: 'added',
    emoji: '🙏',
    targetProviderMessageId: replyWamid,
    actor: 'customer',
  },
);

const messageEdited = buildEvent(
  EVENT_TYPES.messageEdited,
  eventIdFor('messenger', 'edit', 'm_kR8nYvUQ9lQ3Jd2g0Qx8Zg', '1'),
  {
    channel: 'messenger',
    provider: 'meta',
    endpoint: messengerEndpoint,
    contact: messengerContact,
    conversationId: messengerConversation,
    providerTimestamp: '2026-11-22T08:02:11.512Z',
    receivedAt,
    targetProviderMessageId: 'm_kR8nYvUQ9lQ3Jd2g0Qx8Zg',
    parts: [{ type: 'text', text: 'Can I change the delivery address to Łódź?' }],
    actor: 'customer',
  },
);

const messageDeleted = buildEvent(
  EVENT_TYPES.messageDeleted,
  eventIdFor('messenger', 'delete', 'm_Yx2LrQp0aW5kZXgtMg'),
  {
    channel: 'messenger',
    provider: 'meta',
    endpoint: { type: 'instagram_account', id: '17841405822304914' },
    contact: { identities: [{ type: 'igsid', value: '1254377958324159' }] },
    conversationId: contactConversationId(
      'messenger',
      { type: 'instagram_account', id: '17841405822304914' },
      { type: 'igsid', value: '1254377958324159' },
    ),
    providerTimestamp: '2026-11-22T08:05:40.000Z',
    receivedAt,
    targetProviderMessageId: 'm_Yx2LrQp0aW5kZXgtMg',
    actor: 'customer',
  },
);

const stateChanged: HubEvent = {
  specversion: '1.0',
  id: eventIdFor('whatsapp', 'conversation_state', whatsappConversation, messageReceived.id),
  source: messageReceived.source,
  type: EVENT_TYPES.conversationStateChanged,
  subject: whatsappConversation,
  time: receivedAt,
  datacontenttype: 'application/json',
  dataschema: dataSchemaFor(EVENT_TYPES.conversationStateChanged),
  data: {
    causedBy: messageReceived.id,
    previousStatus: 'resolved',
    state: {
      conversationId: whatsappConversation,
      channel: 'whatsapp',
      endpoint: whatsappEndpoint,
      contact: whatsappContact,
      contactId: EXAMPLE_CONTACT_ID,
      status: 'open',
      createdAt: '2026-11-20T16:40:12.000Z',
      lastMessageAt: '2026-11-22T09:15:01.000Z',
      firstReceivedAt: '2026-11-20T16:40:12.734Z',
      lastReceivedAt: receivedAt,
      lastInboundAt: '2026-11-22T09:15:01.000Z',
      replyWindow: { applies: true, closesAt: '2026-11-23T09:15:01.000Z' },
      unreadCount: 1,
      messageCount: 7,
      firstResponseAt: '2026-11-20T16:52:40.000Z',
      firstResponseSeconds: 748,
      assignee: 'agent-17',
      labels: ['billing'],
      priority: 'normal',
      snoozedUntil: null,
      waitingSince: '2026-11-22T09:15:01.000Z',
      version: 12,
    },
  },
};

const responseOverdue = buildResponseOverdueEvent({
  conversationId: whatsappConversation,
  channel: 'whatsapp',
  provider: 'meta',
  endpoint: whatsappEndpoint,
  contact: whatsappContact,
  contactId: EXAMPLE_CONTACT_ID,
  waitingSince: '2026-11-22T09:15:01.000Z',
  targetSeconds: 900,
  waitedSeconds: 936,
  detectedAt: '2026-11-22T09:30:37.214Z',
});

const contactErased = buildContactErasedEvent({
  contactId: EXAMPLE_CONTACT_ID,
  erasedAt: '2026-11-29T08:00:00.000Z',
  itemsDeleted: 42,
  objectsDeleted: 3,
  tombstones: 17,
  optOutsKept: 1,
});

const contactMerged = buildContactMergeEvent('switchboard.contact.merged', {
  survivingContactId: EXAMPLE_CONTACT_ID,
  discardedContactId: 'ct_0c8f2b7d9e1a4c6b8d0f2a4c6e8b0d2f',
  reason: 'Same customer: confirmed her e-mail address on a WhatsApp call (ticket 4711)',
  mergedAt: '2026-11-30T10:00:00.000Z',
  conversationIds: ['conv_3b1f6c0a9d2e4f8a7c5b1d3e9f0a2c4b'],
});

const contactUnmerged = buildContactMergeEvent('switchboard.contact.unmerged', {
  ...contactMerged.data,
  reason: 'Merged by mistake: two sisters sharing a family phone',
  unmergedAt: '2026-11-30T11:30:00.000Z',
});

const consentChanged = buildEvent(
  EVENT_TYPES.contactConsentChanged,
  eventIdFor('sms', 'consent', 'SM6f1c0a3b7b2e4c0d9e8f7a6b5c4d3e2f', 'opted_out'),
  {
    channel: 'sms',
    provider: 'twilio',
    endpoint: smsEndpoint,
    contact: smsContact,
    conversationId: smsConversation,
    providerTimestamp: null,
    receivedAt,
    scope: 'sms',
    consent: 'opted_out',
    trigger: 'STOP',
  },
);

const contactReferred = buildEvent(
  EVENT_TYPES.contactReferred,
  eventIdFor('messenger', 'referral', '6783425123045219', '1763800000000'),
  {
    channel: 'messenger',
    provider: 'meta',
    endpoint: messengerEndpoint,
    contact: messengerContact,
    conversationId: messengerConversation,
    providerTimestamp: '2025-11-22T08:26:40.000Z',
    receivedAt,
    referral: { source: 'ADS', type: 'OPEN_THREAD', ref: 'winter-sale', adId: '23851234567890123' },
  },
);

const providerError = buildEvent(
  EVENT_TYPES.providerError,
  eventIdFor('whatsapp', 'error', '131000', receivedAt),
  {
    channel: 'whatsapp',
    provider: 'meta',
    endpoint: whatsappEndpoint,
    providerTimestamp: null,
    receivedAt,
    errors: [{ code: '131000', title: 'Something went wrong', message: 'Something went wrong' }],
  },
);

// A notice about the WhatsApp Business Account, not one of its numbers: no endpoint, the account in
// the source and subject (as the adapter emits it, events/whatsapp/account-update.expected.json).
const providerUnsupported = buildEvent(
  EVENT_TYPES.providerUnsupported,
  eventIdFor('whatsapp', 'unsupported', 'account_update', whatsappEndpoint.accountId ?? ''),
  {
    channel: 'whatsapp',
    provider: 'meta',
    providerTimestamp: null,
    receivedAt,
    providerType: 'account_update',
    raw: { phone_number: '302105550142', event: 'VERIFIED_ACCOUNT' },
  },
  whatsappEndpoint.accountId,
);

const sendFailed = buildSendFailedEvent({
  ...context,
  hubMessageId: outboundHubMessageId(whatsappConversation, 'reply-7f3a'),
  idempotencyKey: 'reply-7f3a',
  commandId: 'cmd_01JDX4Q2T8',
  reason: 'window_closed',
  retryable: false,
  partIndex: 0,
  errors: [
    {
      code: 'window_closed',
      title: 'The 24-hour customer service window closed at 2026-11-23T09:15:01.000Z',
      details: 'Send an approved template instead.',
    },
  ],
  providerTimestamp: null,
  receivedAt: '2026-11-23T10:02:11.905Z',
});

const mediaContext = {
  channel: 'whatsapp' as const,
  provider: 'meta' as const,
  endpoint: whatsappEndpoint,
  conversationId: whatsappConversation,
  hubMessageId: hubMessageIdFor('whatsapp', inboundWamid),
  partIndex: 0,
};
const photoSha256 = '5c1e7a0b9f2d4e6c8a1b3d5f7e9c0a2b4d6f8e1c3a5b7d9f0e2c4a6b8d0f1e3a';
const photoKey = `attachments/${whatsappConversation}/${mediaContext.hubMessageId}/0`;

const mediaStored = buildMediaEvent('switchboard.message.media_stored', {
  ...mediaContext,
  part: {
    type: 'media',
    kind: 'image',
    mimeType: 'image/jpeg',
    size: 183_422,
    sha256: photoSha256,
    caption: 'The receipt',
    ref: { store: 's3', key: photoKey },
  },
  key: photoKey,
  sha256: photoSha256,
  size: 183_422,
  contentType: 'image/jpeg',
  storedAt: '2026-11-22T09:15:03.912Z',
});

const mediaFailed = buildMediaEvent('switchboard.message.media_failed', {
  ...mediaContext,
  partIndex: 1,
  part: {
    type: 'media',
    kind: 'file',
    mimeType: 'application/pdf',
    filename: 'invoice.pdf',
    ref: { store: 'provider_media_id', mediaId: '1483920571650987' },
  },
  reason: 'expired',
  detail: 'the provider no longer has the media id (HTTP 400, Graph code 100)',
  attempts: 1,
  failedAt: '2026-11-22T09:15:03.640Z',
});

export const EXAMPLE_EVENTS: Readonly<Record<EventType, HubEvent>> = {
  [EVENT_TYPES.messageReceived]: messageReceived,
  [EVENT_TYPES.messageSent]: messageSent,
  [EVENT_TYPES.messageSendFailed]: sendFailed,
  [EVENT_TYPES.messageStatusUpdated]: statusUpdated,
  [EVENT_TYPES.messageReactionChanged]: reactionChanged,
  [EVENT_TYPES.messageEdited]: messageEdited,
  [EVENT_TYPES.messageDeleted]: messageDeleted,
  [EVENT_TYPES.messageMediaStored]: mediaStored,
  [EVENT_TYPES.messageMediaFailed]: mediaFailed,
  [EVENT_TYPES.conversationStateChanged]: stateChanged,
  [EVENT_TYPES.conversationResponseOverdue]: responseOverdue,
  [EVENT_TYPES.contactConsentChanged]: consentChanged,
  [EVENT_TYPES.contactReferred]: contactReferred,
  [EVENT_TYPES.contactErased]: contactErased,
  [EVENT_TYPES.contactMerged]: contactMerged,
  [EVENT_TYPES.contactUnmerged]: contactUnmerged,
  [EVENT_TYPES.providerError]: providerError,
  [EVENT_TYPES.providerUnsupported]: providerUnsupported,
};

/**
 * The claim check the example `message.received` would be queued as if it were larger than a queue
 * message: the event's own id, type and subject, and where its full CloudEvent is kept.
 */
const largeEvent = messageReceived;
const largeEventSha256 = 'b5d4045c3f466fa91fe2cc6abe79232a1a57cdf104f7a26e716e0a1e2789df78';
export const EXAMPLE_CLAIM_CHECK: ClaimCheck = {
  switchboardClaimCheck: {
    version: 1,
    bucket: PAYLOAD_BUCKET.name,
    key: `${PAYLOAD_BUCKET.claimCheckPrefix}${largeEvent.subject}/${largeEventSha256}.json`,
    sha256: largeEventSha256,
    bytes: 1_482_113,
  },
  id: largeEvent.id,
  type: largeEvent.type,
  subject: largeEvent.subject,
  channel: largeEvent.data.channel,
  provider: largeEvent.data.provider,
};

/** One line per event type for the docs. */
export const EVENT_DESCRIPTIONS: Readonly<Record<EventType, string>> = {
  [EVENT_TYPES.messageReceived]:
    "A customer sent a message to the business (any channel, any content). A WhatsApp customer's call is one too: its one part is a `call` (since 2026-12-05), and it counts as any message of theirs (reply window, wait, unread).",
  [EVENT_TYPES.messageSent]:
    "The business sent a message: through the hub, or outside it (page inbox, phone, WhatsApp Business app) as echoed by the provider. `sentBy` tells which. Sent through the hub, it is dated when its last provider message was accepted, and `takenAt` says when the hub took the command: the customer's messages received after that are not answered by it (they stay unread and waiting).",
  [EVENT_TYPES.messageSendFailed]:
    'A message the helpdesk asked the hub to send was not sent, with a normalized `reason`, whether a new attempt could succeed, and what the provider said. Every send command ends in exactly one `message.sent` or `message.send_failed`.',
  [EVENT_TYPES.messageStatusUpdated]:
    'A sent message was queued, sent, delivered, read, played or failed. Statuses only move forward (`failed` ranks below `delivered`, except on e-mail, where a bounce can follow a delivery); Messenger reports a `watermark` instead of ids (an Instagram read names its message).',
  [EVENT_TYPES.messageReactionChanged]:
    "A reaction was added to or removed from a message. A Messenger or Instagram customer's reaction opens Meta's 24-hour window: a `conversation.state_changed` follows it (`replyWindow.lastActionAt`).",
  [EVENT_TYPES.messageEdited]:
    "A message was edited; `parts` is its new content. A WhatsApp customer's call ends as one: its `call` part with `outcome` (`answered`, `missed`, or `failed` when Meta's status is `FAILED`, with Meta's `errors`), Meta's `providerStatus`, and the call's times.",
  [EVENT_TYPES.messageDeleted]: 'A message was deleted or unsent.',
  [EVENT_TYPES.messageMediaStored]:
    "An attachment of a recorded message is now an object in the hub's payload bucket (`key`, with its `sha256`, `size` and `contentType` checked against the bytes): no provider credential is needed to show it. `contentType` is the type the object is stored and served as (what the API's download answers), `part.mimeType` the file's type; they differ only for active content (HTML, SVG, any XML, scripts) and for bytes without their declared type's signature, whose object is `application/octet-stream` while `part.mimeType` keeps the customer's type (since 2026-12-05, see [Attachments](#attachments)). One outcome per part: its id derives from the message and `partIndex`, shared with `media_failed`.",
  [EVENT_TYPES.messageMediaFailed]:
    "An attachment of a recorded message could not be copied into the hub's bucket: `expired`, `too_large`, `forbidden` (at once for a file the hub may not read; after retries for the hub's credentials the provider kept refusing), `checksum_mismatch`, or `provider_error` after retries. The part keeps the provider's reference. Same id as the `media_stored` it replaces.",
  [EVENT_TYPES.conversationStateChanged]:
    "A conversation's state changed (status, counters, reply window). Keep the state with the highest `version`; across a conversation erased and created again under its id (counting from 1 again), a state whose `firstReceivedAt` is later than the kept one's `lastReceivedAt` replaces it, and one whose `lastReceivedAt` is earlier than the kept one's `firstReceivedAt` is ignored (the hub's receipts; a state without them, of a conversation created before 2026-12-06, is read with `createdAt` and `lastMessageAt`); otherwise the higher version wins.",
  [EVENT_TYPES.conversationResponseOverdue]:
    "A customer has waited longer than the channel's response target (`targetSeconds`) with no answer. Once per wait: the id derives from the conversation and the wait (its `waitingSince`, and which of the conversation's waits it is), so a repeat (after a crash) carries the same id, and each new wait after an answer can be overdue again, with an id of its own even when it starts at the same time as the one before. `time` is when the target was reached, `detectedAt` when the hub's sweep (every minute) saw it.",
  [EVENT_TYPES.contactConsentChanged]:
    "A contact opted out of or into a channel (SMS STOP/START/HELP, WhatsApp marketing stop/resume, Messenger notifications). A Messenger Marketing Messages opt-in or stop also carries `notificationMessages`: the topic (`topic`, `title`), the token the business sends that topic's messages with, the frequency, the time zone, and the token's expiry and status. The hub keeps one Messenger notifications consent per page and person, not per topic: a helpdesk offering several topics keeps consent per topic from these events.",
  [EVENT_TYPES.contactReferred]:
    "A contact arrived from an ad, an m.me link or another referral source. On Messenger and Instagram a referral that is not an ad's (an m.me or ig.me link, the chat plugin) opens Meta's 24-hour window: a `conversation.state_changed` follows it (`replyWindow.lastActionAt`). A referral (here, or on the message it came with) also carries, when Meta gives them, the ad's `mediaType`, `imageUrl`, `videoUrl`, `thumbnailUrl` and `welcomeMessage` (click-to-WhatsApp), and `postId`, `productId` (a Messenger product ad's product, or the Shops product the customer wrote from) and `flowId` (the welcome message flow a click-to-Messenger ad starts). The URLs are Meta's: the hub never fetches them.",
  [EVENT_TYPES.contactErased]:
    'A person was erased from the hub (`DELETE /v1/contacts/{contactId}` or `npm run erase`): every record and attachment of theirs on every channel is gone. Erase your copy of everything under `contactId`.',
  [EVENT_TYPES.contactMerged]:
    'The helpdesk merged two people (`POST /v1/contacts/{contactId}/merge`): `discardedContactId` now stands for `survivingContactId`, and the listed conversations carry the surviving id. Their reply addresses are unchanged. Re-key your copy; the API still answers reads of the discarded id with the surviving person.',
  [EVENT_TYPES.contactUnmerged]:
    'The helpdesk undid a merge (`POST /v1/contacts/{contactId}/unmerge`): `discardedContactId` is a person of their own again, and the listed conversations went back to it.',
  [EVENT_TYPES.providerError]:
    'The provider reported an error not tied to one message (WhatsApp value-level errors).',
  [EVENT_TYPES.providerUnsupported]:
    'The provider sent something the hub does not model yet; `providerType` and `raw` keep it whole.',
};
