import type { SenderSettings } from '#shared/outbound/senders.ts';

/** The sender's settings as a test builds them: the real providers' URLs, no SES call, given secrets. */
export const testSenderSettings = (
  secrets: SenderSettings['secrets'],
  overrides: Partial<SenderSettings> = {},
): SenderSettings => ({
  secrets,
  graphApiUrl: 'https://graph.facebook.com',
  graphApiVersion: 'v23.0',
  twilioApiUrl: 'https://api.twilio.com',
  mailgunApiUrl: 'https://api.mailgun.net',
  ses: () => ({ send: async () => ({}) }) as never,
  timeoutMs: 1000,
  ...overrides,
});
