import { lazyChannelSecrets } from '#shared/aws/lazy-secrets.ts';
import type { RuntimeConfig } from '#shared/config/runtime.ts';
import type { ProviderErasureOptions } from './provider-erasure.ts';

/**
 * Where an erasure redacts the person's messages at Twilio and deletes the hub's WhatsApp uploads,
 * as the sender reaches those providers: its base URLs and the channel secret's credentials, with
 * Secrets Manager loaded on the first redaction. The helpdesk API's erasures and the attention
 * sweeper's retries of them use the same.
 */
export const providerErasureSettings = (
  config: Pick<
    RuntimeConfig,
    'SWITCHBOARD_TWILIO_API_URL' | 'SWITCHBOARD_GRAPH_API_URL' | 'SWITCHBOARD_GRAPH_API_VERSION'
  >,
): Pick<ProviderErasureOptions, 'secrets' | 'twilioApiUrl' | 'graphApiUrl' | 'graphApiVersion'> => ({
  twilioApiUrl: config.SWITCHBOARD_TWILIO_API_URL,
  graphApiUrl: config.SWITCHBOARD_GRAPH_API_URL,
  graphApiVersion: config.SWITCHBOARD_GRAPH_API_VERSION,
  secrets: lazyChannelSecrets,
});
