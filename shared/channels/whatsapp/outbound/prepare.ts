import { prepareAll, refuse } from '#shared/channels/meta/outbound/prepare-common.ts';
import type { OutboundPart } from '#shared/contract/commands.ts';
import type { Prepared, SendPolicy, StoredMedia } from '#shared/outbound/channel-sender.ts';
import { prepareWhatsAppPart } from './prepare-parts.ts';

/**
 * Command parts → WhatsApp messages. Outside the 24-hour customer-service window only approved
 * templates may go (outbound.md 1.1; error 131047 otherwise). Pure: no call, no clock.
 */
export const prepareWhatsApp = (
  parts: readonly OutboundPart[],
  policy: SendPolicy,
  stored?: StoredMedia,
): Prepared =>
  prepareAll(parts, (part, index) =>
    !policy.withinWindow && part.type !== 'template'
      ? refuse(
          'window_closed',
          `parts.${index}`,
          "outside WhatsApp's 24-hour customer-service window only approved templates may be sent",
        )
      : prepareWhatsAppPart(part, index, stored),
  );
