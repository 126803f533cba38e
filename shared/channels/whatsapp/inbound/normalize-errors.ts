import * as v from 'valibot';
import { buildEvent } from '#shared/contract/build.ts';
import { canonicalJson, eventIdFor } from '#shared/contract/ids.ts';
import type { HubEvent } from '#shared/contract/types.ts';
import { CHANNEL, type ChangeContext, PROVIDER } from './context.ts';
import { providerError } from './errors.ts';
import { ProviderErrorItemSchema } from './schema.ts';
import { unsupportedEvent } from './unsupported.ts';
import { withoutUndefined } from './without-undefined.ts';

/** A value-level `errors[]` item: Meta could not deliver something to us (not about one message). */
export const normalizeValueErrorItem = (item: unknown, context: ChangeContext): HubEvent => {
  const parsed = v.safeParse(ProviderErrorItemSchema, item);
  if (!parsed.success) {
    return unsupportedEvent({ providerType: 'error', raw: item, receivedAt: context.receivedAt, context });
  }
  return buildEvent(
    'switchboard.provider.error',
    eventIdFor(CHANNEL, 'provider_error', context.accountId, context.endpoint?.id ?? '', canonicalJson(item)),
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
