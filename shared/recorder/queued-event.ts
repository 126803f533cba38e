import { ClaimCheckLostError } from '#shared/aws/claim-check.ts';
import { isKeyableConversationId } from '#shared/aws/payload-keys.ts';
import {
  buildEvent,
  ChannelSchema,
  eventIdFor,
  type HubEvent,
  HubEventSchema,
  ProviderSchema,
} from '#shared/contract/index.ts';

/** A queue message that can never become a hub event; it goes to the dead-letter queue after its retries. */
export class PoisonMessageError extends Error {
  override readonly name = 'PoisonMessageError';
}

/** Turns a queue body into event JSON; the wiring resolves the webhook side's S3 claim checks here. */
export type BodyResolver = (body: string) => Promise<unknown>;

/**
 * What the helpdesk is told of an event whose claim check is lost (the object erased with its
 * conversation or expired, or not the one queued): a `provider.unsupported` in the event's own
 * conversation, `providerType` the reason, `raw` the lost event's id, type and subject. Its id
 * hashes the lost event's, so every delivery of the pointer tells the same. Undefined for a pointer
 * that names no channel or provider (queued before pointers carried them): nothing can be built.
 */
const claimCheckLostEvent = (lost: ClaimCheckLostError, now: Date): HubEvent | undefined => {
  const { pointer, reason } = lost;
  const channel = ChannelSchema.safeParse(pointer.channel);
  const provider = ProviderSchema.safeParse(pointer.provider);
  if (!channel.success || !provider.success) return undefined;
  const event = buildEvent(
    'switchboard.provider.unsupported',
    eventIdFor(channel.data, 'claim_check_lost', pointer.id),
    {
      channel: channel.data,
      provider: provider.data,
      ...(isKeyableConversationId(pointer.subject) ? { conversationId: pointer.subject } : {}),
      providerTimestamp: null,
      receivedAt: now.toISOString(),
      providerType: reason,
      raw: { id: pointer.id, type: pointer.type, subject: pointer.subject },
    },
  );
  // The lost event's group: the helpdesk meets the notice where the event would have been.
  return { ...event, subject: pointer.subject };
};

export interface LostClaimChecks {
  /** The notice's time. */
  readonly now: () => Date;
  /** Told of each lost claim check turned into its notice. */
  readonly onNotice: (lost: ClaimCheckLostError) => void;
}

/**
 * The hub event a queue body stands for. A lost claim check becomes its notice
 * (`claimCheckLostEvent`); one that cannot is thrown as `ClaimCheckLostError`.
 */
export const parseQueuedEvent = async (
  body: string,
  resolve: BodyResolver = async (text) => JSON.parse(text),
  lostClaimChecks?: LostClaimChecks,
): Promise<HubEvent> => {
  let json: unknown;
  try {
    json = await resolve(body);
  } catch (error) {
    if (error instanceof SyntaxError) throw new PoisonMessageError('body is not JSON');
    if (error instanceof ClaimCheckLostError) {
      const notice = claimCheckLostEvent(error, lostClaimChecks?.now() ?? new Date());
      if (notice) {
        lostClaimChecks?.onNotice(error);
        return notice;
      }
    }
    throw error;
  }
  const parsed = HubEventSchema.safeParse(json);
  if (!parsed.success) throw new PoisonMessageError('body is not a valid hub event');
  return parsed.data;
};
