import { buildEvent, buildSendFailedEvent } from '#shared/contract/build.ts';
import type { OutboundPart, SendMessageCommand } from '#shared/contract/commands.ts';
import { eventIdFor, stableHash } from '#shared/contract/ids.ts';
import type { ConversationState, HubEventOf, MessagePart, SendFailedData } from '#shared/contract/types.ts';
import type { SendFailure, SendPlan, SendRecord } from '#shared/store/sends.ts';
import { rfc3986Href } from '#shared/validation/uri.ts';

/*
 * The one event each send command ends in. Both are rebuilt from the command and its send record
 * alone, so a delivery after a crash publishes exactly the event the first one would have.
 */

/** What the helpdesk asked to send, in the common message format (as a received message shows it). */
const messagePartOf = (part: OutboundPart): MessagePart => {
  switch (part.type) {
    case 'text':
      return { type: 'text', text: part.text };
    case 'media':
      return {
        type: 'media',
        kind: part.kind,
        ...(part.mimeType !== undefined ? { mimeType: part.mimeType } : {}),
        ...(part.filename !== undefined ? { filename: part.filename } : {}),
        ...(part.caption !== undefined ? { caption: part.caption } : {}),
        ref:
          's3Key' in part.source
            ? { store: 's3', key: part.source.s3Key }
            : { store: 'provider_url', url: rfc3986Href(new URL(part.source.url)), requiresAuth: false },
      };
    case 'template':
      return {
        type: 'template',
        name: part.name,
        language: part.language,
        category: part.category,
        ...(part.parameters !== undefined ? { parameters: part.parameters } : {}),
      };
    case 'interactive':
      return {
        type: 'interactive',
        body: part.body,
        ...(part.buttons ? { buttons: part.buttons } : {}),
        ...(part.list ? { list: part.list } : {}),
      };
    case 'reaction':
      return {
        type: 'reaction',
        ...(part.emoji !== '' ? { emoji: part.emoji } : {}),
        targetProviderMessageId: part.targetProviderMessageId,
      };
    case 'location':
      return {
        type: 'location',
        latitude: part.latitude,
        longitude: part.longitude,
        ...(part.name !== undefined ? { name: part.name } : {}),
        ...(part.address !== undefined ? { address: part.address } : {}),
      };
  }
};

const textOf = (parts: readonly OutboundPart[]): string =>
  parts
    .flatMap((part) =>
      part.type === 'text' ? [part.text] : part.type === 'media' && part.caption ? [part.caption] : [],
    )
    .join('\n\n');

/**
 * When the command was taken, for what its answer covers: the outbox's receipt of it (`queuedAt`,
 * kept only when before the sender's claim), else the sender's claim (`acceptedAt`). A command queued
 * behind an earlier one of its conversation (the outbox is FIFO per conversation) is claimed only once
 * that one is done, minutes later when it waited on a rate; until 2026-12-06 its answer covered the
 * customer's messages that came in meanwhile (found by a review).
 */
const takenAtOf = ({ acceptedAt, queuedAt }: Pick<SendRecord, 'acceptedAt' | 'queuedAt'>): string =>
  queuedAt ?? acceptedAt;

export const sentEventFor = (input: {
  readonly command: SendMessageCommand;
  readonly record: SendRecord;
  readonly plan: SendPlan;
  readonly conversation: Pick<ConversationState, 'contact'>;
}): HubEventOf<'switchboard.message.sent'> => {
  const { command, record, plan } = input;
  const at = record.completedAt ?? record.acceptedAt;
  const [first = ''] = record.providerIds;
  return buildEvent('switchboard.message.sent', eventIdFor(plan.channel, 'hub_sent', record.hubMessageId), {
    hubMessageId: record.hubMessageId,
    channel: plan.channel,
    provider: plan.provider,
    direction: 'outbound',
    endpoint: plan.endpoint,
    contact: input.conversation.contact,
    conversationId: record.conversationId,
    providerMessageId: first,
    providerTimestamp: at,
    receivedAt: at,
    ...(command.data.replyTo
      ? { replyTo: { providerMessageId: command.data.replyTo.providerMessageId } }
      : {}),
    sentBy: 'hub',
    idempotencyKey: command.data.idempotencyKey,
    commandId: command.id,
    // What the answer covers (shared/domain/conversation.ts): the event is dated by its last part.
    takenAt: takenAtOf(record),
    providerMessageIds: record.providerIds,
    parts: command.data.parts.map(messagePartOf),
    ...(plan.email
      ? {
          email: {
            subject: plan.email.subject,
            from: { address: plan.email.from },
            to: [{ address: plan.recipient.value }],
            cc: [],
            replyTo: [{ address: plan.email.replyTo }],
            ...(plan.email.inReplyTo ? { inReplyTo: plan.email.inReplyTo } : {}),
            references: plan.email.references,
            textBody: textOf(command.data.parts),
            isAutoReply: false,
            isBounce: false,
            attachments: [],
          },
        }
      : {}),
  });
};

export const failedEventFor = (input: {
  readonly command: Pick<SendMessageCommand, 'id'> & {
    readonly data: Pick<SendMessageCommand['data'], 'conversationId' | 'idempotencyKey'>;
  };
  readonly hubMessageId: string;
  readonly failure: SendFailure;
  readonly sentProviderMessageIds: readonly string[];
  readonly plan: SendPlan | undefined;
  readonly conversation: Pick<ConversationState, 'contact'> | undefined;
  /**
   * The content hash of a command refused because its idempotency key already stands for other
   * content: its event gets an id of its own (its command id and content), apart from the one
   * outcome of the key's message and from another command's refusal of the same content.
   */
  readonly reusedKeyCommandHash?: string;
}): HubEventOf<'switchboard.message.send_failed'> => {
  const { failure, plan } = input;
  const data: SendFailedData = {
    ...(plan ? { channel: plan.channel, provider: plan.provider, endpoint: plan.endpoint } : {}),
    ...(input.conversation ? { contact: input.conversation.contact } : {}),
    conversationId: input.command.data.conversationId,
    hubMessageId: input.hubMessageId,
    idempotencyKey: input.command.data.idempotencyKey,
    commandId: input.command.id,
    reason: failure.reason,
    retryable: failure.retryable,
    ...(failure.failedField !== undefined ? { failedField: failure.failedField } : {}),
    ...(failure.partIndex !== undefined ? { partIndex: failure.partIndex } : {}),
    ...(input.sentProviderMessageIds.length > 0
      ? { sentProviderMessageIds: [...input.sentProviderMessageIds] }
      : {}),
    ...(failure.errors && failure.errors.length > 0
      ? { errors: failure.errors }
      : failure.detail
        ? { errors: [{ code: failure.reason, title: failure.detail }] }
        : {}),
    providerTimestamp: null,
    receivedAt: failure.decidedAt,
  };
  return input.reusedKeyCommandHash === undefined
    ? buildSendFailedEvent(data)
    : buildSendFailedEvent(
        data,
        `evt_${stableHash('event', 'send_failed', input.hubMessageId, 'reused_key', input.command.id, input.reusedKeyCommandHash)}`,
      );
};
