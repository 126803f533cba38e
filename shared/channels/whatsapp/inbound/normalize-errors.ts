import * as v from 'valibot';
import { buildEvent } from '#shared/contract/build.ts';
import { eventIdFor } from '#shared/contract/ids.ts';
import type { HubEvent } from '#shared/contract/types.ts';
import { CHANNEL, type ChangeContext, occurrenceParts, PROVIDER } from './context.ts';
import { providerError } from './errors.ts';
import { ProviderErrorItemSchema } from './schema.ts';
import { unsupportedEvent } from './unsupported.ts';
import { withoutUndefined } from './without-undefined.ts';

/**
 * A value-level `errors[]` item: Meta could not deliver something to us (not about one message).
 * It carries no id and no time, and the same error recurring is the same JSON: its id hashes where
 * it sits in the request (the body's SHA-256 and its position, so a retry of the POST hashes the
 * same), and, when nothing else in its value makes the bytes unique, the receive time too
 * (ChangeOccurrence in ./context.ts).
 */
export const normalizeValueErrorItem = (item: unknown, context: ChangeContext, index: number): HubEvent => {
  const occurrence = occurrenceParts(context, 'errors', index);
  const parsed = v.safeParse(ProviderErrorItemSchema, item);
  if (!parsed.success) {
    return unsupportedEvent({
      providerType: 'error',
      raw: item,
      receivedAt: context.receivedAt,
      context,
      occurrence,
    });
  }
  return buildEvent(
    'switchboard.provider.error',
    eventIdFor(CHANNEL, 'provider_error', context.accountId, context.endpoint?.id ?? '', ...occurrence),
    withoutUndefined({
      channel: CHANNEL,
      provider: PROVIDER,
      endpoint: context.endpoint,
      providerTimestamp: null,
      receivedAt: context.receivedAt,
      errors: [providerError(parsed.output)],
    }),
  );
};
