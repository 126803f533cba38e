/**
 * The HTTP API's routes and the Lambda entry file behind each, as the CDK app wires them. The local
 * hub serves exactly these; anything else is API Gateway's 404.
 */
export interface LocalRoute {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  /** File under functions/ exporting `handler`. */
  readonly functionFile: string;
}

export const WEBHOOK_ROUTES: readonly LocalRoute[] = [
  { method: 'GET', path: '/webhooks/messenger', functionFile: 'webhook-messenger.ts' },
  { method: 'POST', path: '/webhooks/messenger', functionFile: 'webhook-messenger.ts' },
  { method: 'GET', path: '/webhooks/whatsapp', functionFile: 'webhook-whatsapp.ts' },
  { method: 'POST', path: '/webhooks/whatsapp', functionFile: 'webhook-whatsapp.ts' },
  { method: 'POST', path: '/webhooks/sms/twilio', functionFile: 'webhook-sms-twilio.ts' },
  { method: 'POST', path: '/webhooks/email/mailgun', functionFile: 'webhook-email-mailgun.ts' },
];

export const routeKeyOf = (route: Pick<LocalRoute, 'method' | 'path'>): string =>
  `${route.method} ${route.path}`;

/** HTTP APIs match the path exactly (no trailing-slash folding) and answer 404, not 405, for a wrong method. */
export const matchRoute = (
  routes: readonly LocalRoute[],
  method: string,
  rawPath: string,
): LocalRoute | undefined =>
  routes.find((route) => route.method === method.toUpperCase() && route.path === rawPath);

/** Local-only endpoint describing the running hub, so the replay kit and the example consumer find the emulators. */
export const HUB_INFO_PATH = '/_switchboard/local';

/** Route per sample channel folder. */
export const CHANNEL_ROUTE_PATHS = {
  messenger: '/webhooks/messenger',
  whatsapp: '/webhooks/whatsapp',
  sms: '/webhooks/sms/twilio',
  email: '/webhooks/email/mailgun',
} as const;
