import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { WebhookOutcome } from '#shared/channels/inbound.ts';
import { handleMessengerWebhook } from '#shared/channels/messenger/inbound/webhook.ts';
import { signMetaBody } from '#shared/channels/meta/signature.ts';
import { handleTwilioWebhook, signTwilioRequest } from '#shared/channels/sms/inbound/webhook.ts';
import { LOCAL_DEV_SECRETS } from '#shared/config/secrets.ts';
import { EXAMPLE_EVENTS } from '#shared/contract/examples.ts';
import { SCHEMA_PATH } from '#shared/contract/generate.ts';
import type { HubEvent, SendMessageCommand } from '#shared/contract/index.ts';
import { sentEventFor } from '#shared/outbound/outcome-events.ts';
import { httpUri } from '#shared/validation/uri.ts';
import { EVENTS_DIR } from '#tests/support/golden.ts';
import { webhookRequest } from '#tests/support/requests.ts';

/*
 * A provider's URL passed into an event is an RFC 3986 URI, as the published JSON Schema says
 * (`MediaRef.url`, `format: uri`). Review finding: the adapters passed on whatever the WHATWG parser
 * takes, so a Messenger attachment URL with a space or non-ASCII in its path, or a Twilio MediaUrl
 * with `[1]` in its query, made an event zod accepted and a consumer's JSON Schema validator refused.
 */

const ajv = new Ajv2020({ allErrors: true, strict: false });
addFormats.default(ajv);
const matchesSchema = ajv.compile(JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')) as object);
const isUri = ajv.compile({ type: 'string', format: 'uri' });
const ZodUrl = z.url();

const schemaErrors = (event: unknown): string | undefined =>
  matchesSchema(event) ? undefined : ajv.errorsText(matchesSchema.errors);

/** Characters a provider's URL may hold that RFC 3986 does not take as they are, and some it does. */
const URL_CHARACTERS = [
  ..."aZ09-._~!$&'()*+,;=:@/?%#",
  ...'[]{}|^\\`" <>',
  ...'\t\n',
  'ü',
  '語',
  '😀',
  '%zz',
  '%41',
  '\u0000',
];
const urlPiece = fc.string({ unit: fc.constantFrom(...URL_CHARACTERS), maxLength: 12 });

/** Strings the WHATWG parser may take as http(s) URLs, most of them with something to encode. */
const providerUrl = fc.oneof(
  fc
    .tuple(
      fc.constantFrom('https', 'http', 'HTTPS'),
      fc.constantFrom(
        'cdn.example.com',
        'CDN.Example.com',
        'a{b}.example',
        'xn--bcher-kva.example',
        '[::1]',
        '127.0.0.1:8443',
        'user:p[w@host.example',
      ),
      urlPiece,
      urlPiece,
      urlPiece,
    )
    .map(([scheme, host, path, query, fragment]) => `${scheme}://${host}/${path}?${query}#${fragment}`),
  fc
    .tuple(fc.webUrl({ withQueryParameters: true, withFragments: true }), urlPiece)
    .map(([url, tail]) => `${url}${tail}`),
  fc.tuple(urlPiece, fc.webUrl()).map(([head, url]) => `${head}${url}`),
);

const messengerImage = JSON.parse(readFileSync(join(EVENTS_DIR, 'messenger/image.json'), 'utf8')) as {
  entry: { messaging: { message: { attachments: { payload: { url: string } }[] } }[] }[];
};

const messengerWebhookWith = (url: string): WebhookOutcome => {
  const payload = structuredClone(messengerImage);
  const attachment = payload.entry[0]?.messaging[0]?.message.attachments[0];
  if (attachment) attachment.payload.url = url;
  const body = Buffer.from(JSON.stringify(payload), 'utf8');
  return handleMessengerWebhook(
    webhookRequest({
      path: '/webhooks/messenger',
      headers: { 'x-hub-signature-256': signMetaBody(LOCAL_DEV_SECRETS.meta.appSecret, body) },
      body,
    }),
    { secrets: LOCAL_DEV_SECRETS },
  );
};

const TWILIO_URL = 'https://hub.example.com/webhooks/sms/twilio';
const twilioMms = Object.entries(
  JSON.parse(readFileSync(join(EVENTS_DIR, 'sms/mms-two-images.json'), 'utf8')) as Record<string, string>,
);

const twilioWebhookWith = (url: string): WebhookOutcome => {
  const params = twilioMms.map(([name, value]): [string, string] => [
    name,
    name === 'MediaUrl0' ? url : value,
  ]);
  return handleTwilioWebhook(
    webhookRequest({
      path: '/webhooks/sms/twilio',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': signTwilioRequest(LOCAL_DEV_SECRETS.twilio.authToken, TWILIO_URL, params),
      },
      body: Buffer.from(new URLSearchParams(params).toString(), 'utf8'),
    }),
    { secrets: LOCAL_DEV_SECRETS, publicUrl: TWILIO_URL },
  );
};

const eventsOf = (outcome: WebhookOutcome): readonly HubEvent[] =>
  outcome.kind === 'accept' ? outcome.events : [];

/** The provider URLs an event's media parts carry. */
const mediaUrlsOf = (events: readonly HubEvent[]): string[] =>
  events.flatMap((event) =>
    event.type === 'switchboard.message.received'
      ? event.data.parts.flatMap((part) =>
          part.type === 'media' && part.ref.store === 'provider_url' ? [part.ref.url] : [],
        )
      : [],
  );

describe('provider URLs in events', () => {
  it('makes every http(s) URL the WHATWG parser takes a URI for ajv and for zod, naming the same host, and is idempotent', () => {
    fc.assert(
      fc.property(providerUrl, (raw) => {
        // Prepare
        const parsed = URL.canParse(raw) ? new URL(raw) : undefined;
        fc.pre(parsed?.protocol === 'https:' || parsed?.protocol === 'http:');
        // Act
        const uri = httpUri(raw);
        // Assess
        expect(uri).toBeDefined();
        expect(isUri(uri), `${JSON.stringify(raw)} → ${uri}`).toBe(true);
        expect(ZodUrl.safeParse(uri).data).toBe(uri);
        expect(new URL(uri ?? '').host).toBe(parsed?.host);
        expect(httpUri(uri ?? '')).toBe(uri);
      }),
      { numRuns: 2000 },
    );
  });

  it('passes on every URL a Messenger attachment or a Twilio MediaUrl may carry as one valid against the published schema', () => {
    fc.assert(
      fc.property(providerUrl, (raw) => {
        // Act
        const messenger = eventsOf(messengerWebhookWith(raw));
        const twilio = eventsOf(twilioWebhookWith(raw));
        // Assess: a media part of the URL as a URI, or a part kept unsupported; every event valid
        expect([messenger.length, twilio.length]).toEqual([1, 1]);
        for (const event of [...messenger, ...twilio]) {
          expect(schemaErrors(event), JSON.stringify(raw)).toBeUndefined();
        }
        const uri = httpUri(raw);
        expect(mediaUrlsOf(messenger)).toEqual(uri === undefined ? [] : [uri]);
        if (uri !== undefined && /^\s*https?:\/\//i.test(raw)) expect(mediaUrlsOf(twilio)[0]).toBe(uri);
      }),
      { numRuns: 300 },
    );
  });

  it('encodes a space and non-ASCII in a Messenger attachment path and [1] in a Twilio MediaUrl query, leaving the golden URLs as they are', () => {
    // Prepare
    const messenger = 'https://cdn.fbsbx.com/v/t59/Scan 2026 – Überweisung.pdf?_nc_cat=106&oh=03_Q7';
    const twilio = 'https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1?Page[1]=x';
    const golden = messengerImage.entry[0]?.messaging[0]?.message.attachments[0]?.payload.url ?? '';
    // Act
    const [fromMessenger] = mediaUrlsOf(eventsOf(messengerWebhookWith(messenger)));
    const fromTwilio = mediaUrlsOf(eventsOf(twilioWebhookWith(twilio)));
    const [fromGolden] = mediaUrlsOf(eventsOf(messengerWebhookWith(golden)));
    // Assess
    expect(fromMessenger).toBe(
      'https://cdn.fbsbx.com/v/t59/Scan%202026%20%E2%80%93%20%C3%9Cberweisung.pdf?_nc_cat=106&oh=03_Q7',
    );
    expect(fromTwilio[0]).toBe(
      'https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1?Page%5B1%5D=x',
    );
    expect(fromTwilio).toHaveLength(2);
    expect(fromGolden).toBe(golden);
    for (const event of [
      ...eventsOf(messengerWebhookWith(messenger)),
      ...eventsOf(twilioWebhookWith(twilio)),
    ]) {
      expect(schemaErrors(event)).toBeUndefined();
    }
  });

  it("records a sent file's https URL as a URI in its message.sent event", () => {
    // Prepare: the command's URL is one zod's url takes as it is
    const url = 'https://files.example.com/Rechnung März [final].pdf';
    const received = EXAMPLE_EVENTS['switchboard.message.received'];
    if (received.type !== 'switchboard.message.received') throw new Error('no received example');
    const command: SendMessageCommand = {
      specversion: '1.0',
      id: 'cmd-uri',
      source: 'helpdesk',
      type: 'switchboard.command.send_message',
      data: {
        idempotencyKey: 'key-uri',
        conversationId: received.data.conversationId,
        parts: [{ type: 'media', kind: 'file', source: { url } }],
        sender: { kind: 'agent', id: 'agent-1' },
      },
    };
    // Act
    const sent = sentEventFor({
      command,
      record: {
        hubMessageId: 'msg_00000000000000000000000000000001',
        conversationId: received.data.conversationId,
        commandId: command.id,
        commandHash: 'hash',
        state: 'sent',
        acceptedAt: '2026-12-04T10:00:00.000Z',
        messageCount: 1,
        next: 1,
        providerIds: ['wamid.sent'],
        links: {},
      },
      plan: {
        channel: received.data.channel,
        provider: received.data.provider,
        endpoint: received.data.endpoint,
        recipient: received.data.contact.identities[0] ?? { type: 'wa_id', value: '0' },
        withinWindow: true,
        humanAgentTag: false,
      },
      conversation: { contact: received.data.contact },
    });
    // Assess
    expect(sent.data.parts[0]).toMatchObject({
      ref: { store: 'provider_url', url: 'https://files.example.com/Rechnung%20M%C3%A4rz%20%5Bfinal%5D.pdf' },
    });
    expect(schemaErrors(sent)).toBeUndefined();
  });
});
