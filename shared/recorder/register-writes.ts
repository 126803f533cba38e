import { cutText } from '#shared/channels/provider-text.ts';
import { hubMessageIdFor } from '#shared/contract/ids.ts';
import type { HubEvent, HubEventOf, ProviderError } from '#shared/contract/index.ts';
import { statusOrder } from '#shared/domain/status.ts';
import { canonicalTime, occurredAt } from '#shared/domain/time.ts';
import type { ConsentLedgerEntry, FirstReceipt } from '#shared/store/consent-ledger.ts';
import { consentKeysFor } from '#shared/store/contacts.ts';
import { contactKeyFor } from '#shared/store/keys.ts';
import {
  consentRegister,
  messageStateRegister,
  type RegisterWrite,
  registerWrite,
  timeOrder,
  timeTie,
  watermarkRegister,
} from '#shared/store/registers.ts';

/** Bounds of what a register keeps (the event that wrote it carried everything whole). */
const MAX_EDIT_PARTS_BYTES = 16 * 1024;
const MAX_ERRORS = 10;
const MAX_TEXT = 1024;

const bounded = (text: string | undefined): string | undefined =>
  text === undefined ? text : cutText(text, MAX_TEXT);

const boundedErrors = (errors: readonly ProviderError[]): ProviderError[] =>
  errors.slice(0, MAX_ERRORS).map((error) => {
    const title = bounded(error.title);
    const message = bounded(error.message);
    const details = bounded(error.details);
    return {
      code: bounded(error.code) ?? '',
      ...(title !== undefined ? { title } : {}),
      ...(message !== undefined ? { message } : {}),
      ...(details !== undefined ? { details } : {}),
    };
  });

/**
 * Which registers an event moves, with their order and value: the recorder's policy for every
 * event that is not a message. Undefined for events that move none (referrals, provider notices).
 */
export const registerWritesFor = (
  event: HubEvent,
  messageExpiry: number,
  /** A consent change's earliest receipt as its ledger entry keeps it (recordConsentChange). */
  firstReceipt?: FirstReceipt,
): RegisterWrite[] | undefined => {
  const at = occurredAt(event);
  switch (event.type) {
    case 'switchboard.message.status_updated': {
      const { data } = event;
      const value = {
        status: data.status,
        providerStatus: data.providerStatus,
        at,
        ...(data.errors ? { errors: boundedErrors(data.errors) } : {}),
      };
      // An e-mail status no provider vouches for (no correlation id: a bounce report mailed to the
      // hub, anyone's to write) moves only a message of its own conversation (ownConversationOnly).
      const ownConversationOnly = data.channel === 'email' && data.correlationId === undefined;
      const writes = data.providerMessageIds.map((id) =>
        registerWrite(
          messageStateRegister(
            hubMessageIdFor(data.channel, id),
            'status',
            data.conversationId,
            messageExpiry,
            { ownConversationOnly },
          ),
          statusOrder(data.channel, data.status, data.providerStatus),
          event.id,
          value,
        ),
      );
      if (data.watermark && (data.status === 'read' || data.status === 'delivered')) {
        const watermark = canonicalTime(data.watermark);
        writes.push(
          registerWrite(watermarkRegister(data.conversationId, data.status), watermark, event.id, {
            watermark,
          }),
        );
      }
      return writes;
    }
    case 'switchboard.message.reaction_changed': {
      const { data } = event;
      const hubMessageId = hubMessageIdFor(data.channel, data.targetProviderMessageId);
      return [
        {
          ...registerWrite(
            messageStateRegister(hubMessageId, `${data.actor}Reaction`, data.conversationId, messageExpiry),
            timeOrder(at, event.sequence, event.id),
            event.id,
            { action: data.action, emoji: bounded(data.emoji) ?? null, at },
          ),
          ...tieOf(event.data.providerTimestamp, at),
        },
      ];
    }
    case 'switchboard.message.edited': {
      const { data } = event;
      const hubMessageId = hubMessageIdFor(data.channel, data.targetProviderMessageId);
      return [
        {
          ...registerWrite(
            messageStateRegister(hubMessageId, 'edit', data.conversationId, messageExpiry),
            timeOrder(at, event.sequence, event.id),
            event.id,
            {
              ...(Buffer.byteLength(JSON.stringify(data.parts), 'utf8') <= MAX_EDIT_PARTS_BYTES
                ? { parts: data.parts }
                : { parts: [], partsOmitted: true as const }),
              actor: data.actor,
              at,
              ...(data.editProviderMessageId ? { editProviderMessageId: data.editProviderMessageId } : {}),
            },
          ),
          ...tieOf(event.data.providerTimestamp, at),
        },
      ];
    }
    case 'switchboard.message.deleted': {
      const { data } = event;
      const hubMessageId = hubMessageIdFor(data.channel, data.targetProviderMessageId);
      return [
        registerWrite(
          messageStateRegister(hubMessageId, 'deletion', data.conversationId, messageExpiry),
          // Any deletion is final; the earliest one is kept so a retry never rewrites it.
          '1',
          event.id,
          { actor: data.actor, at },
        ),
      ];
    }
    case 'switchboard.contact.consent_changed': {
      const { data } = event;
      const order = firstReceipt?.order ?? timeOrder(at, event.sequence, event.id);
      const value = {
        consent: data.consent,
        trigger: bounded(data.trigger) ?? null,
        at: firstReceipt?.at ?? at,
      };
      // Under every identifier the event names (a WhatsApp wa_id and BSUID, consentKeysFor), the
      // first identity's first: the sender reads every identifier its conversation knows.
      return consentKeysFor(data.channel, data.contact).map((contactKey, index) => ({
        ...registerWrite(consentRegister(contactKey, data.scope, data.consent), order, event.id, value),
        ...(index > 0 ? { copy: true as const } : {}),
      }));
    }
    default:
      return undefined;
  }
};

/**
 * The tie of a time-ordered write (RegisterWrite.tie), when its time is the provider's own, which
 * every retry repeats; else `undated` (no provider time, or one not believed: too far ahead of its
 * receipt or behind it, shared/domain/time.ts): a retry then carries a later time, and only a set no
 * tie replaces keeps it stale.
 */
const tieOf = (providerTimestamp: string | null, at: string): { tie: string } | { undated: true } =>
  providerTimestamp !== null && canonicalTime(providerTimestamp) === at
    ? { tie: timeTie(at) }
    : { undated: true };

/**
 * A consent event's entry in its contact's ledger (one per event, whenever the hub receives it),
 * with this delivery's register order.
 */
export const consentLedgerEntryFor = (event: HubEventOf<'switchboard.contact.consent_changed'>) => {
  const { data } = event;
  const at = occurredAt(event);
  const entry: ConsentLedgerEntry = {
    channel: data.channel,
    scope: data.scope,
    consent: data.consent,
    trigger: bounded(data.trigger) ?? null,
    source: data.source ?? 'provider',
    ...(data.evidence !== undefined ? { evidence: data.evidence } : {}),
    at,
    eventId: event.id,
  };
  return {
    contactKey: contactKeyFor(data.channel, data.contact),
    entry,
    order: timeOrder(at, event.sequence, event.id),
  };
};
