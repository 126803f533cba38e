/*
 * The contract's types, without its schemas. Code on a webhook's path imports its contract types
 * from here and its values from the schema-free modules (build.ts, ids.ts, event-types.ts): a value
 * import of a schema module constructs every zod schema at a Lambda's import, for schemas the
 * webhooks never run. A lint rule (biome.json, noRestrictedImports) holds that code to it.
 */
export type { ClaimCheck } from './claim-check.ts';
export type {
  BusinessEndpoint,
  Channel,
  ChannelIdentity,
  Contact,
  IdentityType,
  Provider,
  ProviderError,
  Timestamp,
} from './common.ts';
export type { ConversationState, ConversationStatus } from './conversation.ts';
export type { EventType } from './event-types.ts';
export type {
  ConsentData,
  ConsentScope,
  ConversationStateChangedData,
  DeliveryStatus,
  HubEvent,
  HubEventOf,
  MediaFailedData,
  MediaFailureReason,
  MediaStoredData,
  MessageDeletedData,
  MessageEditedData,
  MessageStatusData,
  ProviderErrorData,
  ProviderUnsupportedData,
  ReactionData,
  ReferralData,
  ResponseOverdueData,
  SendFailedData,
  SendFailureReason,
} from './events.ts';
export type { EmailAddress, EmailDetails, Message, Referral } from './message.ts';
export type {
  CallPart,
  MediaKind,
  MediaPart,
  MediaRef,
  MessagePart,
  SharedContact,
  TextPart,
} from './parts.ts';
