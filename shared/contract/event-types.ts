/** CloudEvents `type` of every event Switchboard emits. */
export const EVENT_TYPES = {
  messageReceived: 'switchboard.message.received',
  messageSent: 'switchboard.message.sent',
  messageSendFailed: 'switchboard.message.send_failed',
  messageStatusUpdated: 'switchboard.message.status_updated',
  messageReactionChanged: 'switchboard.message.reaction_changed',
  messageEdited: 'switchboard.message.edited',
  messageDeleted: 'switchboard.message.deleted',
  messageMediaStored: 'switchboard.message.media_stored',
  messageMediaFailed: 'switchboard.message.media_failed',
  conversationStateChanged: 'switchboard.conversation.state_changed',
  conversationResponseOverdue: 'switchboard.conversation.response_overdue',
  contactConsentChanged: 'switchboard.contact.consent_changed',
  contactReferred: 'switchboard.contact.referred',
  contactErased: 'switchboard.contact.erased',
  contactMerged: 'switchboard.contact.merged',
  contactUnmerged: 'switchboard.contact.unmerged',
  providerError: 'switchboard.provider.error',
  providerUnsupported: 'switchboard.provider.unsupported',
} as const;
export type EventType = (typeof EVENT_TYPES)[keyof typeof EVENT_TYPES];
