/**
 * One home per channel connector: everything the CDK app, the local hub, bundling, configuration
 * and the sample tooling need to know about how a provider's traffic reaches the hub. Pure data
 * (the model is shared/resources/definitions.ts): nothing here runs, so the CDK app, the local hub
 * and the tests can all read it.
 *
 * A connector is one channel through one provider: e-mail arrives through Mailgun's webhook or
 * through an SES receipt rule, so `email` has two. Each has one folder of code,
 * `shared/channels/<channel>/` (what Messenger and WhatsApp share lives in `shared/channels/meta/`),
 * one Lambda entry in `functions/`, and samples in `events/<channel>/`.
 */
import type { Channel } from '#shared/contract/types.ts';
import { PAYLOAD_BUCKET } from '#shared/resources/definitions.ts';

/**
 * Sections of the channel credentials (shared/config/secrets/: a module each, composed in
 * shared/config/secrets.ts); one per provider with credentials.
 * In AWS each is a Secrets Manager secret of its own, readable only by the functions that use it.
 */
export const SECRET_SECTIONS = ['meta', 'twilio', 'mailgun', 'email'] as const;
export type SecretSection = (typeof SECRET_SECTIONS)[number];

/** How sample payloads are signed when replayed, as the provider signs them (shared/local/samples.ts). */
export type SampleSigner = 'meta' | 'twilio' | 'mailgun';

export type RouteMethod = 'GET' | 'POST';

export interface WebhookRouteDefinition {
  /** Path the provider calls, on the HTTP API or appended to a function URL. */
  readonly path: string;
  readonly methods: readonly RouteMethod[];
}

interface ConnectorFacts {
  /** The contract channel its events carry. */
  readonly channel: Channel;
  readonly provider: 'meta' | 'twilio' | 'mailgun' | 'ses';
  /** Construct id and stem of its outputs: `Messenger` → `MessengerWebhook`, `MessengerWebhookUrl`. */
  readonly name: string;
  /** Lambda entry in functions/ (exports `handler`). */
  readonly functionEntry: string;
  /** Sections of the channel secret it reads. */
  readonly secretSections: readonly SecretSection[];
  /** Payload bucket prefixes it writes under (s3:PutObject on `<prefix>*` only). */
  readonly payloadWritePrefixes: readonly string[];
  /** Payload bucket prefixes it reads from (s3:GetObject on `<prefix>*` only). */
  readonly payloadReadPrefixes: readonly string[];
  /** Table items it may write itself (the replay guard's); none by default. */
  readonly tableWrites: readonly 'replay-guard'[];
  readonly memorySizeMb: number;
  readonly timeoutSeconds: number;
}

export interface WebhookConnector extends ConnectorFacts {
  readonly intake: 'webhook';
  /** Routes its function serves, on the HTTP API or behind its own function URL. */
  readonly routes: readonly WebhookRouteDefinition[];
  /** The route to register with the provider: index into `routes`. */
  readonly providerRoute: number;
  /**
   * Whether a request whose events the ingest queue refuses is kept in the payload bucket's spill
   * (shared/intake/spill.ts) and answered 2xx, for the spill drain to queue: for a provider that
   * does not send the request again (or not long enough to outlast an SQS outage). False: it is
   * answered 503 and the provider's retry publishes it again.
   */
  readonly spillOnPublishFailure: boolean;
  /** Samples in `events/<folder>/`, replayed to the provider route signed with `signer`. */
  readonly samples: { readonly folder: string; readonly signer: SampleSigner };
}

export interface ReceiptRuleConnector extends ConnectorFacts {
  /** SES stores the raw MIME in the payload bucket, then invokes the function asynchronously. */
  readonly intake: 'ses-receipt-rule';
}

export type ChannelConnector = WebhookConnector | ReceiptRuleConnector;

/** Everything the e-mail normalizer stores: raw MIME, attachments, bodies (claim checks among them). */
const EMAIL_PAYLOAD_PREFIXES = [
  PAYLOAD_BUCKET.prefixes.rawEmail,
  PAYLOAD_BUCKET.prefixes.attachments,
  PAYLOAD_BUCKET.prefixes.bodies,
] as const;

/** The SES intake stores what the normalizer derives from a mail, never the raw MIME again. */
const SES_PAYLOAD_PREFIXES = [PAYLOAD_BUCKET.prefixes.attachments, PAYLOAD_BUCKET.prefixes.bodies] as const;

/** A chat webhook stores nothing but the claim check of an event too large for a queue message. */
const CHAT_PAYLOAD_PREFIXES = [PAYLOAD_BUCKET.claimCheckPrefix] as const;

const CHAT_WEBHOOK = {
  payloadReadPrefixes: [],
  payloadWritePrefixes: CHAT_PAYLOAD_PREFIXES,
  tableWrites: [],
  memorySizeMb: 256,
  timeoutSeconds: 10,
} as const;

export const CONNECTORS = {
  messenger: {
    intake: 'webhook',
    channel: 'messenger',
    provider: 'meta',
    name: 'Messenger',
    functionEntry: 'webhook-messenger',
    routes: [{ path: '/webhooks/messenger', methods: ['GET', 'POST'] }],
    providerRoute: 0,
    secretSections: ['meta'],
    samples: { folder: 'messenger', signer: 'meta' },
    // Meta retries a failed delivery for up to 36 hours: the 503 loses nothing.
    spillOnPublishFailure: false,
    ...CHAT_WEBHOOK,
  },
  whatsapp: {
    intake: 'webhook',
    channel: 'whatsapp',
    provider: 'meta',
    name: 'WhatsApp',
    functionEntry: 'webhook-whatsapp',
    routes: [{ path: '/webhooks/whatsapp', methods: ['GET', 'POST'] }],
    providerRoute: 0,
    secretSections: ['meta'],
    samples: { folder: 'whatsapp', signer: 'meta' },
    // Meta retries a failed delivery for up to 36 hours: the 503 loses nothing.
    spillOnPublishFailure: false,
    ...CHAT_WEBHOOK,
  },
  sms: {
    intake: 'webhook',
    channel: 'sms',
    provider: 'twilio',
    name: 'TwilioSms',
    functionEntry: 'webhook-sms-twilio',
    routes: [{ path: '/webhooks/sms/twilio', methods: ['POST'] }],
    providerRoute: 0,
    secretSections: ['twilio'],
    samples: { folder: 'sms', signer: 'twilio' },
    // Twilio keeps no inbound message or status for later: its retries all fit in 15 seconds.
    spillOnPublishFailure: true,
    ...CHAT_WEBHOOK,
  },
  'email-mailgun': {
    intake: 'webhook',
    channel: 'email',
    provider: 'mailgun',
    name: 'Mailgun',
    functionEntry: 'webhook-email-mailgun',
    // Mailgun posts the raw MIME (`body-mime`) only to a URL ending in `mime`: that is the one to
    // register. The shorter path takes Mailgun's parsed-fields form, for routes set up by hand.
    // The events route takes Mailgun's delivery event webhooks (statuses of the hub's replies).
    routes: [
      { path: '/webhooks/email/mailgun', methods: ['POST'] },
      { path: '/webhooks/email/mailgun/mime', methods: ['POST'] },
      { path: '/webhooks/email/mailgun/events', methods: ['POST'] },
    ],
    providerRoute: 1,
    secretSections: ['mailgun', 'email'],
    samples: { folder: 'email', signer: 'mailgun' },
    // Mailgun does not retry a `delivered` notification (and its other retries end after about 8 hours).
    spillOnPublishFailure: true,
    payloadReadPrefixes: [],
    payloadWritePrefixes: EMAIL_PAYLOAD_PREFIXES,
    tableWrites: ['replay-guard'],
    memorySizeMb: 512,
    // Under HTTP API's 30-second integration limit.
    timeoutSeconds: 28,
  },
  'email-ses': {
    intake: 'ses-receipt-rule',
    channel: 'email',
    provider: 'ses',
    name: 'EmailIntake',
    functionEntry: 'email-ses',
    secretSections: ['email'],
    payloadReadPrefixes: [PAYLOAD_BUCKET.prefixes.sesInbound],
    // The raw MIME stays where the receipt rule put it (ses-inbound/): never copied to raw/email/.
    payloadWritePrefixes: SES_PAYLOAD_PREFIXES,
    tableWrites: [],
    memorySizeMb: 512,
    timeoutSeconds: 60,
  },
} as const satisfies Record<string, ChannelConnector>;

export type ConnectorId = keyof typeof CONNECTORS;

/** Connector ids in registry order (the order the CDK app adds them and the README lists them). */
export const CONNECTOR_IDS = Object.keys(CONNECTORS) as [ConnectorId, ...ConnectorId[]];

/** The connectors providers reach over HTTP. */
export type WebhookConnectorId = {
  [K in ConnectorId]: (typeof CONNECTORS)[K] extends { readonly intake: 'webhook' } ? K : never;
}[ConnectorId];
export type WebhookConnectorOf<K extends WebhookConnectorId = WebhookConnectorId> = (typeof CONNECTORS)[K];

const isWebhookConnectorId = (id: ConnectorId): id is WebhookConnectorId =>
  CONNECTORS[id].intake === 'webhook';

/** The webhook connectors with their ids, in registry order. */
export const webhookConnectors = (): Array<[WebhookConnectorId, WebhookConnectorOf]> =>
  CONNECTOR_IDS.filter(isWebhookConnectorId).map((id) => [id, CONNECTORS[id]]);

/** Lambda entries of the connectors, as `functions/<entry>.ts`. */
export type ConnectorFunctionEntry = (typeof CONNECTORS)[ConnectorId]['functionEntry'];
