/**
 * Mailgun's API base URL per region: a sending domain lives in one region, and its messages API
 * answers only there ("US: api.mailgun.net, EU: api.eu.mailgun.net", Mailgun's API reference, base
 * URL). The one home of the URLs: the deployment's `mailgunRegion` (CDK context) picks one for the
 * sender, and the runtime default is the US one.
 */
export const MAILGUN_API_BASE_URLS = {
  us: 'https://api.mailgun.net',
  eu: 'https://api.eu.mailgun.net',
} as const;

export type MailgunRegion = keyof typeof MAILGUN_API_BASE_URLS;

export const MAILGUN_REGIONS = Object.keys(MAILGUN_API_BASE_URLS) as readonly MailgunRegion[];
