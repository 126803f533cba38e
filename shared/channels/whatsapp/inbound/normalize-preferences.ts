import { buildEvent } from '#shared/contract/build.ts';
import { eventIdFor } from '#shared/contract/ids.ts';
import type { ConsentData, HubEvent } from '#shared/contract/types.ts';
import { ownValue } from '#shared/validation/own-value.ts';
import { placeContactItem } from './contact-items.ts';
import { CHANNEL, type ChangeContext } from './context.ts';
import { UserPreferenceItemSchema } from './schema.ts';

const MARKETING_CONSENT: Readonly<Record<string, ConsentData['consent']>> = {
  stop: 'opted_out',
  resume: 'opted_in',
};

/** One `user_preferences[]` item: the customer stopped or resumed WhatsApp marketing messages. */
export const normalizePreferenceItem = (item: unknown, context: ChangeContext): HubEvent => {
  const placed = placeContactItem(
    item,
    context,
    UserPreferenceItemSchema,
    'user_preference',
    (preference) => ({
      waId: preference.wa_id,
      userId: preference.user_id,
    }),
  );
  if ('unsupported' in placed) return placed.unsupported;
  const { parsed: preference, fields, resolved } = placed;
  const consent =
    preference.category === 'marketing_messages' ? ownValue(MARKETING_CONSENT, preference.value) : undefined;
  if (!consent || !fields || !resolved) {
    return placed.keptAs(`user_preference.${preference.category}.${preference.value}`);
  }
  const data: ConsentData = {
    ...fields,
    scope: 'whatsapp_marketing',
    consent,
    trigger: preference.value,
  };
  // The business number is part of the occurrence: the same customer stopping marketing from two
  // numbers in one second is two opt-outs, each in its own conversation.
  return buildEvent(
    'switchboard.contact.consent_changed',
    eventIdFor(
      CHANNEL,
      'consent',
      fields.endpoint.id,
      resolved.primary.value,
      preference.value,
      preference.timestamp ?? '',
    ),
    data,
  );
};
