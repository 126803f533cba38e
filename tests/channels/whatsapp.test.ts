import { describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES, type WebhookOutcome } from '#shared/channels/inbound.ts';
import { signMetaBody } from '#shared/channels/meta/signature.ts';
import { handleWhatsAppWebhook } from '#shared/channels/whatsapp/inbound/webhook.ts';
import { LOCAL_DEV_SECRETS } from '#shared/config/secrets.ts';
import { type HubEvent, HubEventSchema } from '#shared/contract/index.ts';
import { webhookRequest } from '#tests/support/requests.ts';
import { TEST_WHATSAPP_BUSINESS, whatsappChangeBody } from '#tests/support/whatsapp-change.ts';

const secrets = LOCAL_DEV_SECRETS;
const PHONE_NUMBER_ID = TEST_WHATSAPP_BUSINESS.phoneNumberId;

const bytesOf = (body: string | Buffer): Buffer =>
  typeof body === 'string' ? Buffer.from(body, 'utf8') : body;

/** `null` posts without the signature header; by default the body is signed with the app secret. */
const post = (body: string | Buffer, signature?: string | null) =>
  handleWhatsAppWebhook(
    webhookRequest({
      path: '/webhooks/whatsapp',
      headers:
        signature === null
          ? {}
          : { 'X-Hub-Signature-256': signature ?? signMetaBody(secrets.meta.appSecret, body) },
      body: bytesOf(body),
    }),
    { secrets },
  );

const eventsOf = (outcome: WebhookOutcome): readonly HubEvent[] => {
  if (outcome.kind !== 'accept') throw new Error(`expected accept, got ${outcome.kind}`);
  return outcome.events;
};

const messagesBody = (value: Record<string, unknown>, field = 'messages') => whatsappChangeBody(field, value);

const textMessage = (from: string, id: string, body: string) => ({
  from,
  id,
  timestamp: '1795330000',
  type: 'text',
  text: { body },
});

describe('WhatsApp webhook handshake', () => {
  it('echoes the challenge when the verify token matches', () => {
    // Prepare
    const query = `hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=${secrets.meta.verifyToken}`;
    // Act
    const outcome = handleWhatsAppWebhook(webhookRequest({ method: 'GET', rawQueryString: query }), {
      secrets,
    });
    // Assess
    expect(outcome).toMatchObject({ kind: 'respond', response: { statusCode: 200, body: '1158201444' } });
  });

  it('refuses a wrong verify token with 403', () => {
    // Prepare
    const query = 'hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=guessed';
    // Act
    const outcome = handleWhatsAppWebhook(webhookRequest({ method: 'GET', rawQueryString: query }), {
      secrets,
    });
    // Assess
    expect(outcome).toMatchObject({ kind: 'reject', status: 403 });
  });

  it('answers other methods with 405', () => {
    // Act
    const outcome = handleWhatsAppWebhook(webhookRequest({ method: 'PUT', body: bytesOf('{}') }), {
      secrets,
    });
    // Assess
    expect(outcome).toMatchObject({ kind: 'reject', status: 405 });
  });
});

describe('WhatsApp webhook verification', () => {
  const body = messagesBody({ messages: [textMessage('4915112345678', 'wamid.A1', 'Grüß Gott')] });

  it('refuses a body without signature with 401', () => {
    expect(post(body, null)).toMatchObject({ kind: 'reject', status: 401 });
  });

  it('refuses a signature made with another secret with 403', () => {
    expect(post(body, signMetaBody('not-the-app-secret', body))).toMatchObject({
      kind: 'reject',
      status: 403,
    });
  });

  it('refuses a body changed by one byte after signing with 403', () => {
    // Prepare
    const signature = signMetaBody(secrets.meta.appSecret, body);
    const tampered = Buffer.from(body, 'utf8');
    const index = tampered.indexOf('Gott');
    tampered[index] = 'G'.charCodeAt(0) ^ 0x20;
    // Act
    const outcome = post(tampered, signature);
    // Assess
    expect(outcome).toMatchObject({ kind: 'reject', status: 403 });
  });

  it('verifies the escaped wire form, not a re-serialization', () => {
    // Prepare: Meta signs `\u00fc`, which JSON.stringify would write as `ü`.
    const escaped = body.replace('ü', '\\u00fc');
    // Act
    const outcome = post(escaped);
    // Assess
    const [event] = eventsOf(outcome);
    expect(event?.type === 'switchboard.message.received' && event.data.parts).toEqual([
      { type: 'text', text: 'Grüß Gott' },
    ]);
  });

  it('keeps a signed body that is not JSON as one unsupported event, answered 200', () => {
    // Prepare
    const truncated = '{"object": "whatsapp_business_account", "entry": [';
    // Act
    const outcome = post(truncated);
    // Assess
    expect(outcome).toMatchObject({ kind: 'accept', response: { statusCode: 200 } });
    expect(eventsOf(outcome)).toEqual([
      expect.objectContaining({
        type: 'switchboard.provider.unsupported',
        data: expect.objectContaining({ providerType: 'unnormalizable_body', raw: truncated }),
      }),
    ]);
  });

  it('keeps a signed body of the wrong shape as one unsupported event, answered 200', () => {
    // Prepare
    const body = JSON.stringify({ object: 'whatsapp_business_account', entry: {} });
    // Act
    const outcome = post(body);
    const retry = post(body);
    // Assess
    expect(outcome).toMatchObject({ kind: 'accept', response: { statusCode: 200 } });
    const events = eventsOf(outcome);
    expect(events).toHaveLength(1);
    expect(HubEventSchema.safeParse(events[0]).error).toBeUndefined();
    expect(events[0]).toMatchObject({
      type: 'switchboard.provider.unsupported',
      data: { channel: 'whatsapp', providerType: 'unnormalizable_body', raw: body },
    });
    expect(eventsOf(retry).map((event) => event.id)).toEqual([events[0]?.id]);
  });

  it('keeps the exact bytes of a signed body that is not UTF-8, as base64', () => {
    // Prepare
    const bytes = Buffer.concat([
      Buffer.from('{"object":"whatsapp_business_account","x":"'),
      Buffer.from([0xff]),
      Buffer.from('"}'),
    ]);
    // Act
    const events = eventsOf(post(bytes));
    // Assess
    expect(events).toEqual([
      expect.objectContaining({
        data: expect.objectContaining({
          providerType: 'unnormalizable_body',
          raw: { base64: bytes.toString('base64') },
        }),
      }),
    ]);
  });

  it('refuses an oversize body with 413 before looking at the signature', () => {
    // Prepare
    const huge = Buffer.alloc(MAX_BODY_BYTES.meta + 1, 0x20);
    // Act
    const outcome = post(huge, 'sha256=0');
    // Assess
    expect(outcome).toMatchObject({ kind: 'reject', status: 413 });
  });

  it('keeps customer text out of rejection reasons', () => {
    // Prepare
    const secretText = 'Meine IBAN ist DE02120300000000202051';
    const bodyWithText = `{"object":"whatsapp_business_account","entry":[{"text":"${secretText}"`;
    // Act
    const outcome = post(bodyWithText, signMetaBody('not-the-app-secret', bodyWithText));
    // Assess
    expect(outcome.kind).toBe('reject');
    expect(JSON.stringify(outcome)).not.toContain('DE02');
  });
});

describe('WhatsApp webhook normalization', () => {
  it('accepts an unknown field as one unsupported event with the raw value', () => {
    // Prepare
    const value = { event: 'FLAGGED', current_limit: 'TIER_1K' };
    const body = JSON.stringify({
      object: 'whatsapp_business_account',
      entry: [{ id: '104937284615523', changes: [{ field: 'phone_number_quality_update', value }] }],
    });
    // Act
    const events = eventsOf(post(body));
    // Assess
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'switchboard.provider.unsupported',
      data: { providerType: 'phone_number_quality_update', raw: value },
    });
  });

  it("names the WhatsApp Business Account in the source and subject of a notice about the account, a number's notice by its number", () => {
    // Prepare: two accounts' template notices (review finding: both were switchboard:whatsapp:unknown)
    const notice = (account: string) =>
      JSON.stringify({
        object: 'whatsapp_business_account',
        entry: [
          {
            id: account,
            changes: [
              {
                field: 'message_template_status_update',
                value: {
                  event: 'APPROVED',
                  message_template_id: 594425479261596,
                  message_template_name: 'order_update',
                },
              },
            ],
          },
        ],
      });
    // Act
    const events = [
      ...eventsOf(post(notice('104937284615523'))),
      ...eventsOf(post(notice('102290129340398'))),
    ];
    const numbers = eventsOf(post(messagesBody({ group_events: [{ group_id: '120363041875529731' }] })));
    // Assess
    expect(events.map(({ source, subject }) => ({ source, subject }))).toEqual([
      { source: 'switchboard:whatsapp:104937284615523', subject: 'endpoint:whatsapp:104937284615523' },
      { source: 'switchboard:whatsapp:102290129340398', subject: 'endpoint:whatsapp:102290129340398' },
    ]);
    expect(events.map((event) => 'endpoint' in event.data)).toEqual([false, false]);
    expect(numbers.map(({ source, subject }) => ({ source, subject }))).toEqual([
      { source: `switchboard:whatsapp:${PHONE_NUMBER_ID}`, subject: `endpoint:whatsapp:${PHONE_NUMBER_ID}` },
    ]);
  });

  it('keeps an unknown array beside messages as one unsupported event, and no envelope key', () => {
    // Prepare
    const groupEvents = [
      { group_id: '120363041875529731', type: 'participant_added', timestamp: '1795330001' },
    ];
    const body = messagesBody({
      contacts: [{ wa_id: '306912345678', profile: { name: 'Ελένη' } }],
      messages: [textMessage('306912345678', 'wamid.BESIDE', 'Καλημέρα')],
      group_events: groupEvents,
    });
    // Act
    const events = eventsOf(post(body));
    // Assess
    expect(events).toEqual([
      expect.objectContaining({ type: 'switchboard.message.received' }),
      expect.objectContaining({
        type: 'switchboard.provider.unsupported',
        data: expect.objectContaining({
          providerType: 'messages.group_events',
          raw: groupEvents,
          endpoint: expect.objectContaining({ id: PHONE_NUMBER_ID }),
        }),
      }),
    ]);
  });

  it('keeps a known array of another field (statuses in smb_message_echoes) as unsupported', () => {
    // Prepare
    const statuses = [
      { id: 'wamid.S1', status: 'read', timestamp: '1795330001', recipient_id: '306912345678' },
    ];
    const echo = { ...textMessage('4930609859530', 'wamid.ECHO', 'Γεια'), to: '306912345678' };
    const body = messagesBody({ message_echoes: [echo], statuses }, 'smb_message_echoes');
    // Act
    const events = eventsOf(post(body));
    // Assess
    expect(
      events.map((event) => [event.type, 'providerType' in event.data && event.data.providerType]),
    ).toEqual([
      ['switchboard.message.sent', false],
      ['switchboard.provider.unsupported', 'smb_message_echoes.statuses'],
    ]);
  });

  it('passes over non-array and empty unknown value keys, as envelope with nothing to keep', () => {
    // Prepare
    const body = messagesBody({
      contacts: [{ wa_id: '306912345678', profile: { name: 'Ελένη' } }],
      messages: [textMessage('306912345678', 'wamid.ALONE', 'Καλημέρα')],
      api_version: 'v24.0',
      group_events: [],
    });
    // Act
    const events = eventsOf(post(body));
    // Assess
    expect(events.map((event) => event.type)).toEqual(['switchboard.message.received']);
  });

  it('keeps an unknown array of the entry, beside its changes or alone, as one unsupported event each, in payload order', () => {
    // Prepare
    const withChanges = JSON.parse(
      messagesBody({
        contacts: [{ wa_id: '306912345678', profile: { name: 'Ελένη' } }],
        messages: [textMessage('306912345678', 'wamid.ENTRY', 'Καλημέρα')],
      }),
    );
    const [entry] = withChanges.entry;
    const beside = { ...entry, messaging: [{ foo: 1 }, { foo: 2 }] };
    const alone = {
      id: entry.id,
      time: 1795330000,
      changes: [],
      calls_v2: [{ id: 'x' }],
      note: 'envelope',
      empty: [],
    };
    // Act
    const besideEvents = eventsOf(post(JSON.stringify({ ...withChanges, entry: [beside] })));
    const aloneEvents = eventsOf(post(JSON.stringify({ ...withChanges, entry: [alone] })));
    const aloneAgain = eventsOf(post(JSON.stringify({ ...withChanges, entry: [alone] })));
    // Assess
    expect(
      besideEvents.map((event) => [event.type, 'providerType' in event.data && event.data.providerType]),
    ).toEqual([
      ['switchboard.message.received', false],
      ['switchboard.provider.unsupported', 'entry.messaging'],
    ]);
    expect(aloneEvents).toEqual([
      expect.objectContaining({
        type: 'switchboard.provider.unsupported',
        source: `switchboard:whatsapp:${entry.id}`,
        data: expect.objectContaining({ providerType: 'entry.calls_v2', raw: [{ id: 'x' }] }),
      }),
    ]);
    // A retry of the same entry is the same event.
    expect(aloneAgain.map((event) => event.id)).toEqual(aloneEvents.map((event) => event.id));
  });

  it('accepts another object as one unsupported event', () => {
    // Act
    const events = eventsOf(post(JSON.stringify({ object: 'page', entry: [{ id: '1', messaging: [] }] })));
    // Assess
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'switchboard.provider.unsupported',
      data: { providerType: 'page' },
    });
  });

  it('keeps an unknown message type as an unsupported part of a received message', () => {
    // Prepare
    const message = {
      from: '306912345678',
      id: 'wamid.P1',
      timestamp: '1795330000',
      type: 'poll',
      poll: { q: 'Ναι;' },
    };
    // Act
    const events = eventsOf(post(messagesBody({ messages: [message] })));
    // Assess
    expect(events).toHaveLength(1);
    const [event] = events;
    expect(event?.type).toBe('switchboard.message.received');
    expect(event?.type === 'switchboard.message.received' && event.data.parts).toEqual([
      { type: 'unsupported', providerType: 'poll', raw: message },
    ]);
  });

  it("passes on a document's file name without its path, line break or right-to-left override", () => {
    // Prepare: found by a security review (the name went on unchanged)
    const message = {
      from: '306912345678',
      id: 'wamid.D1',
      timestamp: '1795330000',
      type: 'document',
      document: {
        id: '1483920571650987',
        mime_type: 'application/pdf',
        filename: '..\\..\\AppData\\Startup\\invoice\u202Efdp.exe\r\n',
      },
    };
    // Act
    const events = eventsOf(post(messagesBody({ messages: [message] })));
    // Assess
    const [event] = events;
    expect(event?.type === 'switchboard.message.received' && event.data.parts).toEqual([
      {
        type: 'media',
        kind: 'file',
        mimeType: 'application/pdf',
        filename: 'invoicefdp.exe',
        ref: { store: 'provider_media_id', mediaId: '1483920571650987' },
      },
    ]);
  });

  it('keeps a message that fails its schema instead of dropping it or failing the batch', () => {
    // Prepare
    const broken = { from: '306912345678', type: 'text', text: { body: 'no id' } };
    const fine = textMessage('306912345678', 'wamid.OK', 'Καλημέρα');
    // Act
    const events = eventsOf(post(messagesBody({ messages: [broken, fine] })));
    // Assess
    expect(events.map((event) => event.type)).toEqual([
      'switchboard.provider.unsupported',
      'switchboard.message.received',
    ]);
    expect(events[0]?.data).toMatchObject({ providerType: 'message', raw: broken });
  });

  it('keeps an absurdly nested body whole instead of crashing, the too-deep part as its JSON text', () => {
    // Prepare
    const nested = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const body = `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"x","value":${nested}}]}]}`;
    // Act
    const events = eventsOf(post(body));
    // Assess
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'switchboard.provider.unsupported',
      data: { providerType: 'x' },
    });
    const serialized = JSON.stringify(events[0]);
    expect(serialized).toContain('switchboardTooDeep');
    expect(serialized.match(/\[/g)?.length).toBeGreaterThanOrEqual(100_000);
  });

  it('turns 1000 messages from 200 contacts into 1000 events with stable per-contact conversations', () => {
    // Prepare
    const contacts = Array.from({ length: 200 }, (_, i) => ({
      profile: { name: `Kunde ${i}` },
      wa_id: `49151${String(i).padStart(8, '0')}`,
    }));
    const messages = Array.from({ length: 1000 }, (_, i) =>
      textMessage(contacts[i % 200]?.wa_id ?? '', `wamid.BATCH${i}`, `Nachricht ${i}`),
    );
    // Act
    const events = eventsOf(post(messagesBody({ contacts, messages })));
    // Assess
    expect(events).toHaveLength(1000);
    expect(new Set(events.map((event) => event.id)).size).toBe(1000);
    const conversationsByContact = new Map<string, Set<string>>();
    for (const event of events) {
      expect(HubEventSchema.safeParse(event).success).toBe(true);
      if (event.type !== 'switchboard.message.received') throw new Error(event.type);
      const key = event.data.contact.identities[0]?.value ?? '';
      const seen = conversationsByContact.get(key) ?? new Set<string>();
      seen.add(event.data.conversationId);
      conversationsByContact.set(key, seen);
    }
    expect(conversationsByContact.size).toBe(200);
    for (const ids of conversationsByContact.values()) expect(ids.size).toBe(1);
    expect(new Set([...conversationsByContact.values()].flatMap((ids) => [...ids])).size).toBe(200);
  });

  it('gives the same ids when the same body is delivered twice', () => {
    // Prepare
    const body = messagesBody({
      messages: [textMessage('37491234567', 'wamid.R1', 'Բարև')],
      statuses: [{ id: 'wamid.S1', status: 'read', timestamp: '1795330001', recipient_id: '37491234567' }],
    });
    // Act
    const first = eventsOf(post(body));
    const second = eventsOf(
      handleWhatsAppWebhook(
        webhookRequest({
          path: '/webhooks/whatsapp',
          headers: { 'X-Hub-Signature-256': signMetaBody(secrets.meta.appSecret, body) },
          body: bytesOf(body),
          receivedAt: new Date('2026-11-29T09:30:00.000Z'),
        }),
        { secrets },
      ),
    );
    // Assess
    expect(second.map((event) => event.id)).toEqual(first.map((event) => event.id));
    expect(first).toHaveLength(2);
  });

  it('reads a reaction without emoji, or with an empty one, as a removal', () => {
    // Prepare
    const reaction = (id: string, emoji?: string) => ({
      from: '306912345678',
      id,
      timestamp: '1795330000',
      type: 'reaction',
      reaction: { message_id: 'wamid.OURS', ...(emoji === undefined ? {} : { emoji }) },
    });
    // Act
    const events = eventsOf(
      post(
        messagesBody({
          messages: [reaction('wamid.X1', '👍'), reaction('wamid.X2'), reaction('wamid.X3', '')],
        }),
      ),
    );
    // Assess
    expect(
      events.map((event) => event.type === 'switchboard.message.reaction_changed' && event.data.action),
    ).toEqual(['added', 'removed', 'removed']);
    expect(events[1]?.data).not.toHaveProperty('emoji');
  });

  it('carries status errors with string codes and keeps an unknown status word as unsupported', () => {
    // Prepare
    const failed = {
      id: 'wamid.F1',
      status: 'failed',
      timestamp: '1795330000',
      recipient_id: '33612345678',
      errors: [
        { code: 131026, title: 'Message undeliverable', error_data: { details: 'Receiver incapable' } },
      ],
    };
    const novel = {
      id: 'wamid.F1',
      status: 'archived',
      timestamp: '1795330001',
      recipient_id: '33612345678',
    };
    // Act
    const events = eventsOf(post(messagesBody({ statuses: [failed, novel] })));
    // Assess
    expect(events[0]).toMatchObject({
      type: 'switchboard.message.status_updated',
      data: {
        status: 'failed',
        providerMessageIds: ['wamid.F1'],
        errors: [{ code: '131026', title: 'Message undeliverable', details: 'Receiver incapable' }],
      },
    });
    expect(events[1]).toMatchObject({
      type: 'switchboard.provider.unsupported',
      data: { providerType: 'status.archived', raw: novel },
    });
  });

  it('routes on the phone-number id and files a BSUID next to the wa_id', () => {
    // Prepare
    const contacts = [
      { profile: { name: 'Zoë', username: 'zoe.ma' }, wa_id: '4915112345678', user_id: 'DE.123' },
    ];
    const messages = [{ ...textMessage('4915112345678', 'wamid.B1', 'Hallo'), from_user_id: 'DE.123' }];
    // Act
    const [event] = eventsOf(post(messagesBody({ contacts, messages })));
    // Assess
    expect(event).toMatchObject({
      source: `switchboard:whatsapp:${PHONE_NUMBER_ID}`,
      data: {
        endpoint: { id: PHONE_NUMBER_ID, displayName: '4930609859530' },
        contact: {
          identities: [
            { type: 'wa_id', value: '4915112345678' },
            { type: 'bsuid', value: 'DE.123' },
          ],
          displayName: 'Zoë',
          username: 'zoe.ma',
        },
      },
    });
  });
});

describe('WhatsApp payload objects', () => {
  it('keeps content sent as an array rather than an object as unsupported, not as an empty object', () => {
    // Prepare
    const message = {
      from: '4915112345678',
      id: 'wamid.A1',
      timestamp: '1795330000',
      type: 'button',
      button: [],
    };
    // Act
    const [event] = eventsOf(post(messagesBody({ messages: [message] })));
    // Assess
    expect(event?.type === 'switchboard.message.received' && event.data.parts).toEqual([
      { type: 'unsupported', providerType: 'button', raw: message },
    ]);
  });

  it('keeps every key of an edited message it cannot read, constructor and prototype too', () => {
    // Prepare
    const edited = JSON.parse('{"poll":{"q":"?"},"type":"poll","constructor":{"a":1},"prototype":2}');
    const message = {
      from: '4915112345678',
      id: 'wamid.E1',
      timestamp: '1795330000',
      type: 'edit',
      edit: { original_message_id: 'wamid.E0', message: edited },
    };
    // Act
    const [event] = eventsOf(post(messagesBody({ messages: [message] })));
    // Assess
    const parts = event?.type === 'switchboard.message.edited' && event.data.parts;
    expect(parts).toEqual([{ type: 'unsupported', providerType: 'poll', raw: edited }]);
    expect(parts && parts[0]?.type === 'unsupported' && Object.keys(parts[0].raw as object)).toEqual([
      'type',
      'poll',
      'constructor',
      'prototype',
    ]);
  });
});

describe('WhatsApp value-level error ids', () => {
  /** Meta's documented error for a message type it cannot pass on: no id, no time. */
  const unknownTypeError = {
    code: 131051,
    title: 'Message type unknown',
    message: 'Message type unknown',
    error_data: { details: 'Message type is currently not supported.' },
  };

  const postAt = (body: string, receivedAt: string) =>
    eventsOf(
      handleWhatsAppWebhook(
        webhookRequest({
          path: '/webhooks/whatsapp',
          headers: { 'X-Hub-Signature-256': signMetaBody(secrets.meta.appSecret, body) },
          body: Buffer.from(body, 'utf8'),
          receivedAt: new Date(receivedAt),
        }),
        { secrets },
      ),
    );

  const errorIds = (events: readonly HubEvent[]) =>
    events.filter((event) => event.type === 'switchboard.provider.error').map((event) => event.id);

  it('gives the same error recurring three minutes later, in the same bytes, its own id', () => {
    // Prepare
    const body = messagesBody({ errors: [unknownTypeError] });
    // Act
    const first = errorIds(postAt(body, '2026-11-22T12:00:00.000Z'));
    const second = errorIds(postAt(body, '2026-11-22T12:03:00.000Z'));
    // Assess
    expect(first).toHaveLength(1);
    expect(second).toHaveLength(1);
    expect(second).not.toEqual(first);
  });

  it('gives two identical errors of one value two ids, and the same two for the same request', () => {
    // Prepare
    const body = messagesBody({ errors: [unknownTypeError, unknownTypeError] });
    // Act
    const ids = errorIds(postAt(body, '2026-11-22T12:00:00.000Z'));
    const again = errorIds(postAt(body, '2026-11-22T12:00:00.000Z'));
    // Assess
    expect(new Set(ids).size).toBe(2);
    expect(again).toEqual(ids);
  });

  it('keeps the id of an error beside messages on a retry, and gives another POST another id', () => {
    // Prepare
    const contacts = [{ wa_id: '306912345678', profile: { name: 'Ελένη' } }];
    const withMessage = (id: string) =>
      messagesBody({
        contacts,
        messages: [textMessage('306912345678', id, 'Γεια')],
        errors: [unknownTypeError],
      });
    // Act
    const original = errorIds(postAt(withMessage('wamid.A'), '2026-11-22T12:00:00.000Z'));
    const retry = errorIds(postAt(withMessage('wamid.A'), '2026-11-22T12:07:00.000Z'));
    const next = errorIds(postAt(withMessage('wamid.B'), '2026-11-22T12:00:00.000Z'));
    // Assess
    expect(retry).toEqual(original);
    expect(next).not.toEqual(original);
  });

  it('identifies an unreadable error item by its place in the request too', () => {
    // Prepare
    const body = messagesBody({ errors: [{ code: 'not a number', title: ['odd'] }] });
    // Act
    const first = postAt(body, '2026-11-22T12:00:00.000Z');
    const second = postAt(body, '2026-11-22T12:03:00.000Z');
    // Assess
    expect(first.map((event) => event.type)).toEqual(['switchboard.provider.unsupported']);
    expect(second[0]?.id).not.toBe(first[0]?.id);
  });
});

describe('WhatsApp ids of one customer on two business numbers', () => {
  const CUSTOMER = '33612345678';

  /** The same value, as Meta sends it to the number `phoneNumberId` of the same account. */
  const toNumber = (phoneNumberId: string, field: string, value: Record<string, unknown>) =>
    JSON.stringify({
      object: 'whatsapp_business_account',
      entry: [
        {
          id: '104937284615523',
          changes: [
            {
              field,
              value: {
                messaging_product: 'whatsapp',
                metadata: { display_phone_number: '4930609859530', phone_number_id: phoneNumberId },
                contacts: [{ wa_id: CUSTOMER, profile: { name: 'François' } }],
                ...value,
              },
            },
          ],
        },
      ],
    });

  const eventsOnBoth = (field: string, value: Record<string, unknown>) =>
    ['109384756201938', '109384756201939'].map((number) => eventsOf(post(toNumber(number, field, value))));

  it('gives a stop sent to two numbers in the same second two ids, one per conversation', () => {
    // Prepare
    const stop = {
      wa_id: CUSTOMER,
      detail: 'User requested to stop marketing messages',
      category: 'marketing_messages',
      value: 'stop',
      timestamp: 1795330350,
    };
    // Act
    const [onA, onB] = eventsOnBoth('user_preferences', { user_preferences: [stop] });
    // Assess
    expect(onA?.[0]?.type).toBe('switchboard.contact.consent_changed');
    expect(onB?.[0]?.subject).not.toBe(onA?.[0]?.subject);
    expect(onB?.[0]?.id).not.toBe(onA?.[0]?.id);
  });

  it('gives an unsupported preference and an unknown array sent to two numbers two ids each', () => {
    // Prepare
    const novel = { wa_id: CUSTOMER, category: 'marketing_messages', value: 'pause', timestamp: 1795330350 };
    const groupEvents = [
      { group_id: '120363041875529731', type: 'participant_added', timestamp: '1795330351' },
    ];
    // Act
    const [onA, onB] = eventsOnBoth('user_preferences', {
      user_preferences: [novel],
      group_events: groupEvents,
    });
    // Assess
    expect(onA?.map((event) => event.type)).toEqual([
      'switchboard.provider.unsupported',
      'switchboard.provider.unsupported',
    ]);
    expect(onB?.map((event) => event.id)).not.toContain(onA?.[0]?.id);
    expect(onB?.map((event) => event.id)).not.toContain(onA?.[1]?.id);
  });

  it('keeps every id on a retry of the same request', () => {
    // Prepare
    const stop = { wa_id: CUSTOMER, category: 'marketing_messages', value: 'stop', timestamp: 1795330350 };
    const body = toNumber('109384756201938', 'user_preferences', {
      user_preferences: [stop],
      extra: [{ a: 1 }],
    });
    // Act
    const first = eventsOf(post(body)).map((event) => event.id);
    const retry = eventsOf(post(body)).map((event) => event.id);
    // Assess
    expect(first).toHaveLength(2);
    expect(retry).toEqual(first);
  });
});

describe('WhatsApp ids of values with no id or time of their own', () => {
  /** A documented phone_number_quality_update: only the entry's `time` tells one from the next. */
  const qualityUpdate = (time: number) =>
    JSON.stringify({
      object: 'whatsapp_business_account',
      entry: [
        {
          id: '104937284615523',
          time,
          changes: [
            {
              field: 'phone_number_quality_update',
              value: { display_phone_number: '4930609859530', event: 'DOWNGRADE', current_limit: 'TIER_1K' },
            },
          ],
        },
      ],
    });

  it('gives the same quality update on two days two ids', () => {
    // Prepare
    const monday = qualityUpdate(1795330370);
    const tuesday = qualityUpdate(1795416770);
    // Act
    const first = eventsOf(post(monday));
    const second = eventsOf(post(tuesday));
    // Assess
    expect(first.map((event) => event.type)).toEqual(['switchboard.provider.unsupported']);
    expect(second.map((event) => event.type)).toEqual(['switchboard.provider.unsupported']);
    expect(second[0]?.id).not.toBe(first[0]?.id);
  });

  it('keeps the id of a byte-identical repost', () => {
    // Prepare
    const body = qualityUpdate(1795330370);
    // Act
    const first = eventsOf(post(body)).map((event) => event.id);
    const repost = eventsOf(post(body)).map((event) => event.id);
    // Assess
    expect(first).toHaveLength(1);
    expect(repost).toEqual(first);
  });

  it('gives an unknown array beside messages in two entries of other times two ids', () => {
    // Prepare
    const withTime = (time: number) => {
      const body = JSON.parse(
        messagesBody({ messages: [], group_events: [{ group_id: '120363041875529731', type: 'x' }] }),
      );
      body.entry[0].time = time;
      return JSON.stringify(body);
    };
    // Act
    const first = eventsOf(post(withTime(1795330370)));
    const second = eventsOf(post(withTime(1795416770)));
    // Assess
    expect(first.map((event) => event.data)).toEqual([
      expect.objectContaining({ providerType: 'messages.group_events' }),
    ]);
    expect(second[0]?.id).not.toBe(first[0]?.id);
  });
});

describe('WhatsApp fields of older and product messages', () => {
  const CUSTOMER = '4915112345678';
  const contacts = [{ wa_id: CUSTOMER, profile: { name: 'Zoë' } }];

  it('reads new_wa_id of an older user_changed_number as the new identity', () => {
    // Prepare
    const changed = {
      from: CUSTOMER,
      id: 'wamid.SYS1',
      timestamp: '1795330180',
      type: 'system',
      system: {
        body: 'User Zoë changed from 4915112345678 to 4915223456789',
        new_wa_id: '4915223456789',
        type: 'user_changed_number',
      },
    };
    // Act
    const events = eventsOf(post(messagesBody({ contacts, messages: [changed] })));
    // Assess
    expect(events).toHaveLength(1);
    expect(HubEventSchema.safeParse(events[0]).error).toBeUndefined();
    expect(events[0]).toMatchObject({
      type: 'switchboard.message.received',
      data: {
        parts: [{ type: 'system', kind: 'user_changed_number', newIdentity: '4915223456789' }],
      },
    });
  });

  it('carries the product a product enquiry refers to', () => {
    // Prepare
    const enquiry = {
      ...textMessage(CUSTOMER, 'wamid.ENQ1', 'Gibt es die auch in Blau?'),
      context: {
        from: '4930609859530',
        id: 'wamid.PRODUCT1',
        referred_product: { catalog_id: '1537280466935511', product_retailer_id: 'SKU-4711-BLAU' },
      },
    };
    // Act
    const events = eventsOf(post(messagesBody({ contacts, messages: [enquiry] })));
    // Assess
    expect(events).toHaveLength(1);
    expect(HubEventSchema.safeParse(events[0]).error).toBeUndefined();
    expect(events[0]).toMatchObject({
      type: 'switchboard.message.received',
      data: {
        replyTo: { providerMessageId: 'wamid.PRODUCT1', from: '4930609859530' },
        referredProduct: { catalogId: '1537280466935511', productRetailerId: 'SKU-4711-BLAU' },
      },
    });
  });
});

describe('WhatsApp group messages', () => {
  const PARTICIPANT = '4915112345678';
  const GROUP_ID = 'Y2FwaV9ncm91cDo0OTMwNjA5ODU5NTMwOjEyMDM2MzI5ODQxNzI2NDUxOQ==';
  const contacts = [{ wa_id: PARTICIPANT, profile: { name: 'Zoë' } }];
  const inGroup = <T extends object>(message: T) => ({ ...message, group_id: GROUP_ID });

  it('keeps every message of a group whole as unsupported, beside the same person’s private message', () => {
    // Prepare
    const privateText = textMessage(PARTICIPANT, 'wamid.P1', 'Eine Frage nur an Sie');
    const groupMessages = [
      inGroup(textMessage(PARTICIPANT, 'wamid.G1', 'Hallo zusammen')),
      inGroup({
        from: PARTICIPANT,
        id: 'wamid.G2',
        timestamp: '1795330001',
        type: 'image',
        image: { id: '2749158306417205', mime_type: 'image/jpeg', caption: 'Der Aufbau' },
      }),
      inGroup({
        from: PARTICIPANT,
        id: 'wamid.G3',
        timestamp: '1795330002',
        type: 'reaction',
        reaction: { message_id: 'wamid.G1', emoji: '👍' },
      }),
      inGroup({
        from: PARTICIPANT,
        id: 'wamid.G4',
        timestamp: '1795330003',
        type: 'edit',
        edit: { original_message_id: 'wamid.G1', message: { type: 'text', text: { body: 'Hallo alle' } } },
      }),
      inGroup({
        from: PARTICIPANT,
        id: 'wamid.G5',
        timestamp: '1795330004',
        type: 'revoke',
        revoke: { original_message_id: 'wamid.G1' },
      }),
    ];
    // Act
    const events = eventsOf(post(messagesBody({ contacts, messages: [privateText, ...groupMessages] })));
    // Assess
    expect(events).toHaveLength(6);
    for (const event of events) expect(HubEventSchema.safeParse(event).error).toBeUndefined();
    const [received, ...kept] = events;
    expect(received).toMatchObject({
      type: 'switchboard.message.received',
      data: { providerMessageId: 'wamid.P1' },
    });
    expect(kept.map((event) => [event.type, event.data])).toEqual(
      groupMessages.map((raw) => [
        'switchboard.provider.unsupported',
        {
          channel: 'whatsapp',
          provider: 'meta',
          endpoint: expect.objectContaining({ id: PHONE_NUMBER_ID }),
          providerTimestamp: expect.any(String),
          receivedAt: expect.any(String),
          providerType: `message.group.${raw.type}`,
          raw,
        },
      ]),
    );
    // None names the participant's private conversation, or any conversation.
    for (const event of kept) expect(event.subject).toBe(`endpoint:whatsapp:${PHONE_NUMBER_ID}`);
  });

  it('keeps an echo to a group whole as unsupported, by recipient_type or group_id', () => {
    // Prepare
    const echoes = [
      {
        from: '4930609859530',
        to: GROUP_ID,
        recipient_type: 'group',
        id: 'wamid.E1',
        timestamp: '1795330010',
        type: 'text',
        text: { body: 'Ja, Donnerstag um zehn.' },
      },
      inGroup({
        from: '4930609859530',
        to: PARTICIPANT,
        id: 'wamid.E2',
        timestamp: '1795330011',
        type: 'text',
        text: { body: 'Bis dann!' },
      }),
    ];
    // Act
    const events = eventsOf(post(messagesBody({ message_echoes: echoes }, 'smb_message_echoes')));
    // Assess
    expect(events.map((event) => [event.type, event.data])).toEqual(
      echoes.map((raw) => [
        'switchboard.provider.unsupported',
        expect.objectContaining({ providerType: 'message_echo.group.text', raw }),
      ]),
    );
    for (const event of events) expect(event.data).not.toHaveProperty('conversationId');
  });

  it('keeps a status carrying group_id under no customer, as one whose recipient is a group', () => {
    // Prepare
    const statuses = [
      {
        id: 'wamid.S1',
        status: 'sent',
        timestamp: '1795330020',
        recipient_id: GROUP_ID,
        recipient_type: 'group',
      },
      {
        id: 'wamid.S2',
        status: 'read',
        timestamp: '1795330021',
        recipient_id: PARTICIPANT,
        group_id: GROUP_ID,
      },
    ];
    // Act
    const events = eventsOf(post(messagesBody({ statuses })));
    // Assess
    expect(events.map((event) => [event.type, event.data])).toEqual([
      ['switchboard.provider.unsupported', expect.objectContaining({ providerType: 'status.sent' })],
      ['switchboard.provider.unsupported', expect.objectContaining({ providerType: 'status.read' })],
    ]);
    for (const event of events) expect(event.data).not.toHaveProperty('contact');
  });
});
