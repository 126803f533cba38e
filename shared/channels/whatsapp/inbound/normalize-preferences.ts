import { isoFromEpochSeconds } from '#shared/channels/provider-time.ts';
import { buildEvent } from '#shared/contract/build.ts';
import { eventIdFor } from '#shared/contract/ids.ts';
import type { ConsentData, HubEvent } from '#shared/contract/index.ts';
import { resolveContact } from './contacts.ts';
import { CHANNEL, type ChangeContext, PROVIDER, withoutUndefined } from './context.ts';
import { UserPreferenceItemSchema } from './schema.ts';
import { unsupportedEvent } from './unsupported.ts';

const MARKETING_CONSENT: Readonly<Record<string, ConsentData['consent']>> = {
  stop: 'opted_out',
  resume: 'opted_in',
};

/** One `user_preferences[]` item: the customer stopped or resumed WhatsApp marketing messages. */
export const normalizePreferenceItem = (item: unknown, context: ChangeContext): HubEvent => {
  const parsed = UserPreferenceItemSchema.safeParse(item);
  const endpoint = context.endpoint;
  if (!parsed.success || !endpoint) {
    return unsupportedEvent({
      providerType: 'user_preference',
      raw: item,
      receivedAt: context.receivedAt,
      context,
    });
  }
  const preference = parsed.data;
  const providerTimestamp = isoFromEpochSeconds(preference.timestamp);
  const resolved = resolveContact(context.contacts, endpoint, {
    waId: preference.wa_id,
    userId: preference.user_id,
  });
  const consent =
    preference.category === 'marketing_messages' && Object.hasOwn(MARKETING_CONSENT, preference.value)
      ? MARKETING_CONSENT[preference.value]
      : undefined;
  if (!resolved || !consent) {
    return unsupportedEvent({
      providerType: `user_preference.${preference.category}.${preference.value}`,
      raw: item,
      receivedAt: context.receivedAt,
      context,
      resolved,
      providerTimestamp,
    });
  }
  const data: ConsentData = withoutUndefined({
    channel: CHANNEL,
    provider: PROVIDER,
    endpoint,
    contact: resolved.contact,
    conversationId: resolved.conversationId,
    providerTimestamp,
    receivedAt: context.receivedAt,
    scope: 'whatsapp_marketing' as const,
    consent,
    trigger: preference.value,
  });
  return buildEvent(
    'switchboard.contact.consent_changed',
    eventIdFor(CHANNEL, 'consent', resolved.primary.value, preference.value, preference.timestamp ?? ''),
    data,
  );
};
