import { isoFromEpochSeconds } from '#shared/channels/provider-time.ts';
import { buildEvent } from '#shared/contract/build.ts';
import { eventIdFor } from '#shared/contract/ids.ts';
import type { DeliveryStatus, HubEvent, MessageStatusData } from '#shared/contract/index.ts';
import { resolveContact } from './contacts.ts';
import { CHANNEL, type ChangeContext, PROVIDER, withoutUndefined } from './context.ts';
import { providerErrors } from './errors.ts';
import { StatusItemSchema } from './schema.ts';
import { unsupportedEvent } from './unsupported.ts';

/** Meta's status words the contract knows; any other word is kept as unsupported, not guessed. */
const KNOWN_STATUSES: Readonly<Record<string, DeliveryStatus>> = {
  sent: 'sent',
  delivered: 'delivered',
  read: 'read',
  failed: 'failed',
  played: 'played',
};

/** One `statuses[]` item → a status update for the wamid it names. */
export const normalizeStatusItem = (item: unknown, context: ChangeContext): HubEvent => {
  const parsed = StatusItemSchema.safeParse(item);
  const endpoint = context.endpoint;
  if (!parsed.success || !endpoint) {
    return unsupportedEvent({ providerType: 'status', raw: item, receivedAt: context.receivedAt, context });
  }
  const status = parsed.data;
  const providerTimestamp = isoFromEpochSeconds(status.timestamp);
  const known = Object.hasOwn(KNOWN_STATUSES, status.status) ? KNOWN_STATUSES[status.status] : undefined;
  // Group messages have the group as recipient: the contract has no group conversations yet.
  const resolved =
    status.recipient_type === 'group'
      ? undefined
      : resolveContact(context.contacts, endpoint, {
          waId: status.recipient_id,
          userId: status.recipient_user_id,
        });
  if (!known || !resolved) {
    return unsupportedEvent({
      providerType: `status.${status.status}`,
      raw: item,
      receivedAt: context.receivedAt,
      context,
      resolved,
      providerTimestamp,
    });
  }
  const pricing = status.pricing
    ? withoutUndefined({
        billable: status.pricing.billable,
        pricingModel: status.pricing.pricing_model,
        category: status.pricing.category,
        type: status.pricing.type,
      })
    : undefined;
  const data: MessageStatusData = withoutUndefined({
    channel: CHANNEL,
    provider: PROVIDER,
    endpoint,
    contact: resolved.contact,
    conversationId: resolved.conversationId,
    providerTimestamp,
    receivedAt: context.receivedAt,
    status: known,
    providerStatus: status.status,
    providerMessageIds: [status.id],
    errors: providerErrors(status.errors),
    pricing,
  });
  return buildEvent(
    'switchboard.message.status_updated',
    eventIdFor(CHANNEL, 'status', status.id, status.status),
    data,
  );
};
