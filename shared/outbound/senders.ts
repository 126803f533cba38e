import type { SESv2Client } from '@aws-sdk/client-sesv2';
import { createMessengerSender } from '#shared/channels/messenger/outbound/sender.ts';
import { createTwilioSender } from '#shared/channels/sms/outbound/sender.ts';
import { createWhatsAppSender } from '#shared/channels/whatsapp/outbound/sender.ts';
import {
  type ChannelSecrets,
  mailgunApiKeyFor,
  metaAccessTokenFor,
  sectionOf,
  twilioAccountFor,
} from '#shared/config/secrets.ts';
import type { BusinessEndpoint, Channel, Provider } from '#shared/contract/types.ts';
import type { ChannelSender } from './channel-sender.ts';

/*
 * Which sending side serves a conversation: its provider and channel, with this deployment's
 * credentials and provider URLs. Undefined when the channel secret lacks the credentials (the
 * command then ends `send_failed`, reason `credentials`, and an alarm fires). The e-mail senders
 * (and their MIME composer) load on the first e-mail.
 */

export interface SenderRoute {
  readonly provider: Provider;
  readonly channel: Channel;
  readonly endpoint: BusinessEndpoint;
}

export type SenderFor = (route: SenderRoute) => Promise<ChannelSender | undefined>;

export interface SenderSettings {
  readonly secrets: () => Promise<ChannelSecrets>;
  readonly graphApiUrl: string;
  readonly graphApiVersion: string;
  readonly twilioApiUrl: string;
  readonly mailgunApiUrl: string;
  readonly ses: () => Pick<SESv2Client, 'send'>;
  readonly sesConfigurationSet?: string;
  /**
   * Quote the customer message a Messenger or Instagram reply answers (`reply_to`).
   * @default true
   */
  readonly messengerReplyQuotes?: boolean;
  /** A provider that has not answered by then may still act on the request: the sender reconciles. */
  readonly timeoutMs: number;
  readonly fetch?: typeof fetch;
}

const domainOf = (address: string): string => address.slice(address.lastIndexOf('@') + 1);

/**
 * The sender for a route; undefined when the deployment has no credentials for its provider (the
 * command ends `credentials`). Throws while that provider's secret cannot be read (the command is
 * tried again): another provider's broken secret stops nothing here.
 */
export const createSenderFor =
  (settings: SenderSettings): SenderFor =>
  async ({ provider, channel, endpoint }) => {
    const secrets = await settings.secrets();
    const common = { timeoutMs: settings.timeoutMs, ...(settings.fetch ? { fetch: settings.fetch } : {}) };
    switch (provider) {
      case 'meta': {
        const meta = sectionOf(secrets, 'meta');
        if (!meta || (meta.accessToken === undefined && meta.accessTokens === undefined)) return undefined;
        const graph = {
          ...common,
          graphBaseUrl: settings.graphApiUrl,
          apiVersion: settings.graphApiVersion,
          accessTokenFor: (id: string, endpointType?: string) => metaAccessTokenFor(meta, id, endpointType),
        };
        if (channel === 'whatsapp') return createWhatsAppSender(graph);
        return channel === 'messenger'
          ? createMessengerSender({ ...graph, quoteReplies: settings.messengerReplyQuotes !== false })
          : undefined;
      }
      case 'twilio': {
        const twilio = sectionOf(secrets, 'twilio');
        if (!twilio || (channel !== 'sms' && channel !== 'whatsapp')) return undefined;
        // A further account's number sends with that account's own login; any other with the main one.
        const { accountSid, login } = twilioAccountFor(twilio, endpoint);
        if (!login || accountSid === undefined) return undefined;
        return createTwilioSender({
          ...common,
          channel,
          apiBaseUrl: settings.twilioApiUrl,
          accountSid,
          login,
        });
      }
      case 'ses': {
        const { createSesSender } = await import('#shared/channels/email/outbound/ses-sender.ts');
        return createSesSender({
          client: settings.ses(),
          timeoutMs: settings.timeoutMs,
          ...(settings.sesConfigurationSet ? { configurationSetName: settings.sesConfigurationSet } : {}),
        });
      }
      case 'mailgun': {
        const domain = domainOf(endpoint.id);
        const apiKey = mailgunApiKeyFor(sectionOf(secrets, 'mailgun'), domain);
        if (apiKey === undefined) return undefined;
        const { createMailgunSender } = await import('#shared/channels/email/outbound/mailgun-sender.ts');
        return createMailgunSender({ ...common, apiBaseUrl: settings.mailgunApiUrl, domain, apiKey });
      }
    }
  };
