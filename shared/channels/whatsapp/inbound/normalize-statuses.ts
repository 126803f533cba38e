import { buildEvent } from '#shared/contract/build.ts';
import { eventIdFor } from '#shared/contract/ids.ts';
import type { DeliveryStatus, HubEvent, MessageStatusData } from '#shared/contract/types.ts';
import { parseCorrelationId } from '#shared/outbound/channel-sender.ts';
import { ownValue } from '#shared/validation/own-value.ts';
import { placeContactItem } from './contact-items.ts';
import { CHANNEL, type ChangeContext } from './context.ts';
import { providerErrors } from './errors.ts';
import { isGroupItem } from './groups.ts';
import { StatusItemSchema } from './schema.ts';
import { withoutUndefined } from './without-undefined.ts';

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
  const placed = placeContactItem(item, context, StatusItemSchema, 'status', (status) =>
    // A group's status names no customer: the contract has no group conversations yet.
    isGroupItem(status) ? undefined : { waId: status.recipient_id, userId: status.recipient_user_id },
  );
  if ('unsupported' in placed) return placed.unsupported;
  const { parsed: status, fields } = placed;
  const known = ownValue(KNOWN_STATUSES, status.status);
  if (!known || !fields) return placed.keptAs(`status.${status.status}`);
  const pricing = status.pricing
    ? withoutUndefined({
        billable: status.pricing.billable,
        pricingModel: status.pricing.pricing_model,
        category: status.pricing.category,
        type: status.pricing.type,
      })
    : undefined;
  const data: MessageStatusData = withoutUndefined({
    ...fields,
    status: known,
    providerStatus: status.status,
    providerMessageIds: [status.id],
    // The hub's own sends carry `<hubMessageId>.<sequence>`: the status says which hub message it is of.
    correlationId: parseCorrelationId(status.biz_opaque_callback_data)
      ? status.biz_opaque_callback_data
      : undefined,
    errors: providerErrors(status.errors),
    pricing,
  });
  return buildEvent(
    'switchboard.message.status_updated',
    eventIdFor(CHANNEL, 'status', status.id, status.status),
    data,
  );
};
