import { Duration } from 'aws-cdk-lib';
import { HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { PAYLOAD_BUCKET } from '#shared/resources/definitions.ts';
import type { Channel } from './config.ts';
import type { WebhookRoute } from './constructs/channel-webhook.ts';
import type { HubFunctionEntry } from './constructs/hub-function.ts';

/** Where the ingest publisher claim-checks events too large for one SQS message (shared/aws/claim-check.ts). */
export const CLAIM_CHECK_PREFIX = `${PAYLOAD_BUCKET.prefixes.bodies}events/`;

/** Everything the e-mail normalizer stores: raw MIME of unsupported mail, attachments, bodies. */
export const EMAIL_PAYLOAD_PREFIXES = [
  PAYLOAD_BUCKET.prefixes.rawEmail,
  PAYLOAD_BUCKET.prefixes.attachments,
  PAYLOAD_BUCKET.prefixes.bodies,
] as const;

export interface WebhookChannelSpec {
  /** Construct id and output name stem. */
  readonly id: string;
  readonly entryName: HubFunctionEntry;
  readonly routes: readonly WebhookRoute[];
  /** The URL to give the provider: index into `routes`. */
  readonly providerRoute: number;
  readonly payloadPrefixes: readonly string[];
  readonly replayGuard: boolean;
  readonly memorySize: number;
  readonly timeout: Duration;
}

/**
 * Webhook channels and what each function needs. Mailgun posts raw MIME only to a URL ending in
 * `mime`, so its channel also answers on `/webhooks/email/mailgun/mime` (same function).
 */
export const WEBHOOK_CHANNELS: Record<Exclude<Channel, 'email-ses'>, WebhookChannelSpec> = {
  messenger: {
    id: 'Messenger',
    entryName: 'webhook-messenger',
    routes: [{ path: '/webhooks/messenger', methods: [HttpMethod.GET, HttpMethod.POST] }],
    providerRoute: 0,
    payloadPrefixes: [CLAIM_CHECK_PREFIX],
    replayGuard: false,
    memorySize: 256,
    timeout: Duration.seconds(10),
  },
  whatsapp: {
    id: 'WhatsApp',
    entryName: 'webhook-whatsapp',
    routes: [{ path: '/webhooks/whatsapp', methods: [HttpMethod.GET, HttpMethod.POST] }],
    providerRoute: 0,
    payloadPrefixes: [CLAIM_CHECK_PREFIX],
    replayGuard: false,
    memorySize: 256,
    timeout: Duration.seconds(10),
  },
  sms: {
    id: 'TwilioSms',
    entryName: 'webhook-sms-twilio',
    routes: [{ path: '/webhooks/sms/twilio', methods: [HttpMethod.POST] }],
    providerRoute: 0,
    payloadPrefixes: [CLAIM_CHECK_PREFIX],
    replayGuard: false,
    memorySize: 256,
    timeout: Duration.seconds(10),
  },
  'email-mailgun': {
    id: 'Mailgun',
    entryName: 'webhook-email-mailgun',
    routes: [
      { path: '/webhooks/email/mailgun', methods: [HttpMethod.POST] },
      { path: '/webhooks/email/mailgun/mime', methods: [HttpMethod.POST] },
    ],
    providerRoute: 1,
    payloadPrefixes: EMAIL_PAYLOAD_PREFIXES,
    replayGuard: true,
    memorySize: 512,
    // Under HTTP API's 30-second integration limit.
    timeout: Duration.seconds(28),
  },
};
