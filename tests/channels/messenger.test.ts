import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES, OK_RESPONSE, type WebhookOutcome } from '#shared/channels/inbound.ts';
import { handleMessengerWebhook } from '#shared/channels/messenger/inbound/webhook.ts';
import { signMetaBody } from '#shared/channels/meta/signature.ts';
import { type AllChannelSecrets, LOCAL_DEV_SECRETS } from '#shared/config/secrets.ts';
import { hubMessageIdFor } from '#shared/contract/ids.ts';
import { type HubEvent, HubEventSchema } from '#shared/contract/index.ts';
import { registerWritesFor } from '#shared/recorder/register-writes.ts';
import { EVENTS_DIR } from '#tests/support/golden.ts';
import { PROTOTYPE_NAMES } from '#tests/support/hostile-json.ts';
import { webhookRequest } from '#tests/support/requests.ts';

const PAGE_ID = '104728593216847';
const PSID = '7319482765104823';
const SECRET = LOCAL_DEV_SECRETS.meta.appSecret;

const post = (
  body: Buffer | string,
  options: { signature?: string | null; secrets?: AllChannelSecrets; receivedAt?: Date } = {},
): WebhookOutcome => {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const signature = options.signature === undefined ? signMetaBody(SECRET, bytes) : options.signature;
  return handleMessengerWebhook(
    webhookRequest({
      path: '/webhooks/messenger',
      headers: signature === null ? {} : { 'X-Hub-Signature-256': signature },
      body: bytes,
      ...(options.receivedAt ? { receivedAt: options.receivedAt } : {}),
    }),
    { secrets: options.secrets ?? LOCAL_DEV_SECRETS },
  );
};

const handshake = (query: string): WebhookOutcome =>
  handleMessengerWebhook(
    webhookRequest({ method: 'GET', path: '/webhooks/messenger', rawQueryString: query }),
    { secrets: LOCAL_DEV_SECRETS },
  );

const eventsOf = (outcome: WebhookOutcome): readonly HubEvent[] => {
  if (outcome.kind !== 'accept') throw new Error(`expected accept, got ${JSON.stringify(outcome)}`);
  return outcome.events;
};

const pageBody = (...items: unknown[]): string =>
  JSON.stringify({ object: 'page', entry: [{ id: PAGE_ID, time: 1795166043723, messaging: items }] });

const customerItem = (timestamp: number, event: Record<string, unknown>) => ({
  sender: { id: PSID },
  recipient: { id: PAGE_ID },
  timestamp,
  ...event,
});

const fixture = (variant: string): Buffer => readFileSync(join(EVENTS_DIR, 'messenger', `${variant}.json`));

describe('messenger subscription handshake', () => {
  it('echoes the challenge when mode and token match', () => {
    // Act
    const outcome = handshake(
      'hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=local-verify-token',
    );
    // Assess
    expect(outcome).toEqual({
      kind: 'respond',
      response: expect.objectContaining({ statusCode: 200, body: '1158201444' }),
    });
  });

  it('refuses a wrong verify token with 403', () => {
    // Act
    const outcome = handshake('hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=guess');
    // Assess
    expect(outcome).toMatchObject({ kind: 'reject', status: 403 });
  });

  it('refuses a mode other than subscribe with 403', () => {
    // Act
    const outcome = handshake(
      'hub.mode=unsubscribe&hub.challenge=1158201444&hub.verify_token=local-verify-token',
    );
    // Assess
    expect(outcome).toMatchObject({ kind: 'reject', status: 403 });
  });

  it('answers 405 to methods other than GET and POST', () => {
    // Act
    const outcome = handleMessengerWebhook(webhookRequest({ method: 'PUT', body: Buffer.from(pageBody()) }), {
      secrets: LOCAL_DEV_SECRETS,
    });
    // Assess
    expect(outcome).toMatchObject({ kind: 'reject', status: 405 });
  });
});

describe('messenger request verification', () => {
  const body = fixture('text');

  it('accepts a correctly signed fixture with Meta’s plain 200', () => {
    // Act
    const outcome = post(body);
    // Assess
    expect(outcome).toMatchObject({ kind: 'accept', blobs: [], response: OK_RESPONSE });
  });

  it('answers 401 when the signature header is missing', () => {
    // Act
    const outcome = post(body, { signature: null });
    // Assess
    expect(outcome).toMatchObject({ kind: 'reject', status: 401 });
  });

  it('answers 403 when the body was signed with another secret', () => {
    // Act
    const outcome = post(body, { signature: signMetaBody('someone-elses-secret', body) });
    // Assess
    expect(outcome).toMatchObject({ kind: 'reject', status: 403 });
  });

  it('answers 403 when one byte of the body changed after signing', () => {
    // Prepare
    const signature = signMetaBody(SECRET, body);
    const tampered = Buffer.from(body);
    const offset = tampered.indexOf('48213');
    tampered[offset] = '5'.charCodeAt(0);
    // Act
    const outcome = post(tampered, { signature });
    // Assess
    expect(offset).toBeGreaterThan(0);
    expect(outcome).toMatchObject({ kind: 'reject', status: 403 });
  });

  it('answers 413 to an oversize body before looking at its signature', () => {
    // Prepare
    const oversize = Buffer.alloc(MAX_BODY_BYTES.meta + 1, 0x20);
    // Act
    const outcome = post(oversize, { signature: null });
    // Assess
    expect(outcome).toMatchObject({ kind: 'reject', status: 413 });
  });

  it('answers 403 to a wrongly signed body that is not JSON, without echoing it in the reason', () => {
    // Prepare
    const body = '{"object":"page","entry":[{"text":"Tereza Nováková +420 777 123 456"';
    // Act
    const outcome = post(body, { signature: signMetaBody('not-the-app-secret', body) });
    // Assess
    expect(outcome).toMatchObject({ kind: 'reject', status: 403 });
    if (outcome.kind === 'reject') expect(outcome.reason).not.toMatch(/Tereza|777/);
  });

  it.each([
    ['not JSON', '{"object":"page","entry":['],
    ['an array', '[]'],
    ['entry not an array', '{"object":"page","entry":{}}'],
    ['no object', '{"entry":[]}'],
    ['a string', '"page"'],
  ])('keeps a signed body that is %s as one unsupported event, answered 200', (_label, body) => {
    // Act
    const outcome = post(body);
    // Assess
    expect(outcome).toMatchObject({ kind: 'accept', response: OK_RESPONSE });
    expect(eventsOf(outcome)).toEqual([
      expect.objectContaining({
        type: 'switchboard.provider.unsupported',
        data: expect.objectContaining({
          channel: 'messenger',
          providerType: 'unnormalizable_body',
          raw: body,
        }),
      }),
    ]);
  });
});

describe('messenger escaped-Unicode wire form', () => {
  it('verifies the escaped bytes Meta signs and decodes them to the original text', () => {
    // Prepare
    const wire = fixture('text');
    const reserialized = Buffer.from(JSON.stringify(JSON.parse(wire.toString('utf8'))), 'utf8');
    // Act
    const outcome = post(wire);
    const resignedElsewhere = post(reserialized, { signature: signMetaBody(SECRET, wire) });
    // Assess
    expect(wire.toString('latin1')).toContain('Dobr\\u00fd');
    expect(eventsOf(outcome)[0]?.data).toMatchObject({
      parts: [
        {
          type: 'text',
          text: 'Dobrý den, potřebuji změnit adresu doručení u objednávky č. 48213. Děkuji! Tereza Nováková',
        },
      ],
    });
    expect(resignedElsewhere).toMatchObject({ kind: 'reject', status: 403 });
  });

  it('decodes escaped surrogate pairs (emoji) and Greek', () => {
    // Act
    const reaction = eventsOf(post(fixture('reaction-react')))[0];
    const quickReply = eventsOf(post(fixture('text-with-quick-reply')))[0];
    // Assess
    expect(reaction?.data).toMatchObject({ action: 'added', emoji: '❤️' });
    expect(quickReply?.data).toMatchObject({
      parts: [{ kind: 'quick_reply', title: 'Ναι, επιβεβαιώνω την παραγγελία' }],
    });
  });
});

describe('messenger normalization', () => {
  it('keeps an unknown event key as one unsupported event with the whole item', () => {
    // Prepare
    const item = customerItem(1795166043512, { message_pin: { mid: 'm_pinned', action: 'pin' } });
    // Act
    const events = eventsOf(post(pageBody(item)));
    // Assess
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'switchboard.provider.unsupported',
      data: { providerType: 'message_pin', raw: item, endpoint: { id: PAGE_ID } },
    });
  });

  it('accepts another webhook object as one unsupported event holding the body', () => {
    // Prepare
    const body = { object: 'user', entry: [{ id: '42', time: 1795166043, changed_fields: ['email'] }] };
    // Act
    const events = eventsOf(post(JSON.stringify(body)));
    // Assess
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'switchboard.provider.unsupported',
      data: { providerType: 'user', raw: body },
    });
  });

  it('keeps malformed items as unsupported without losing their neighbours', () => {
    // Prepare
    const body = pageBody(
      'not an object',
      customerItem(1795166043512, { message: { mid: 'm_ok', text: 'Γεια σας' } }),
      customerItem(1795166043600, { reaction: { mid: 'm_x', action: 'shrug' } }),
    );
    // Act
    const events = eventsOf(post(body));
    // Assess
    expect(events.map((event) => event.type)).toEqual([
      'switchboard.provider.unsupported',
      'switchboard.message.received',
      'switchboard.provider.unsupported',
    ]);
    expect(events[2]?.data).toMatchObject({ providerType: 'reaction' });
  });

  it('keeps an unknown array beside messaging as one unsupported event, and no envelope field', () => {
    // Prepare
    const message = customerItem(1795166043512, { message: { mid: 'm_beside', text: 'Dobrý den' } });
    const routing = [{ app_id: '318805529174462', role: 'primary_receiver' }];
    const entry = { id: PAGE_ID, time: 1795166043723, messaging: [message], routing_events: routing };
    // Act
    const events = eventsOf(post(JSON.stringify({ object: 'page', entry: [entry] })));
    // Assess
    expect(events).toEqual([
      expect.objectContaining({ type: 'switchboard.message.received' }),
      expect.objectContaining({
        type: 'switchboard.provider.unsupported',
        data: expect.objectContaining({
          providerType: 'entry.routing_events',
          raw: routing,
          endpoint: { type: 'facebook_page', id: PAGE_ID },
        }),
      }),
    ]);
  });

  it('passes over non-array and empty unknown entry keys, as envelope with nothing to keep', () => {
    // Prepare
    const message = customerItem(1795166043512, { message: { mid: 'm_alone', text: 'Labas' } });
    const entry = { id: PAGE_ID, time: 1795166043723, messaging: [message], api: 'v24.0', notes: [] };
    // Act
    const events = eventsOf(post(JSON.stringify({ object: 'page', entry: [entry] })));
    // Assess
    expect(events.map((event) => event.type)).toEqual(['switchboard.message.received']);
  });

  it('gives an unknown entry array the same id on a retry and another id in another entry', () => {
    // Prepare
    const routing = [{ app_id: '318805529174462', role: 'primary_receiver' }];
    const message = (mid: string) => customerItem(1795166043512, { message: { mid, text: 'Ahoj' } });
    const entryAt = (time: number, mid: string) => ({
      object: 'page',
      entry: [{ id: PAGE_ID, time, messaging: [message(mid)], routing_events: routing }],
    });
    const unsupportedId = (body: unknown) =>
      eventsOf(post(JSON.stringify(body))).find((event) => event.type === 'switchboard.provider.unsupported')
        ?.id;
    // Act
    const first = unsupportedId(entryAt(1795166043723, 'm_first'));
    const retry = unsupportedId(entryAt(1795166043723, 'm_first'));
    const later = unsupportedId(entryAt(1795166099000, 'm_later'));
    // Assess
    expect(first).toBeDefined();
    expect(retry).toBe(first);
    expect(later).not.toBe(first);
  });

  it('makes links of web addresses only: a fallback share with another scheme is kept whole, a location drops its', () => {
    // Prepare
    const message = (attachments: unknown[]) => ({
      sender: { id: PSID },
      recipient: { id: PAGE_ID },
      timestamp: 1795166043512,
      message: { mid: `m_links-${attachments.length}`, attachments },
    });
    const fallback = (url: string) => ({ type: 'fallback', payload: { url, title: 'Order status' } });
    const location = {
      type: 'location',
      title: 'Pickup',
      url: 'javascript:alert(1)',
      payload: { coordinates: { lat: 52.52, long: 13.405 } },
    };
    // Act
    const [event] = eventsOf(
      post(
        pageBody(message([fallback('javascript:fetch(1)'), fallback('https://shop.example/o/42'), location])),
      ),
    );
    // Assess
    const parts = event?.type === 'switchboard.message.received' ? event.data.parts : undefined;
    expect(parts).toEqual([
      expect.objectContaining({ type: 'unsupported', providerType: 'fallback' }),
      { type: 'link', url: 'https://shop.example/o/42', title: 'Order status' },
      { type: 'location', latitude: 52.52, longitude: 13.405, name: 'Pickup' },
    ]);
  });

  it('keeps a read sent by the page as unsupported in each customer’s thread, with an id each: no status', () => {
    // Prepare
    const readBy = (customer: string) => ({
      sender: { id: PAGE_ID },
      recipient: { id: customer },
      timestamp: 1795166043512,
      read: { watermark: 1795166040000 },
    });
    // Act
    const [first, second] = eventsOf(post(pageBody(readBy(PSID), readBy('7319482765104824'))));
    // Assess
    expect(first?.type).toBe('switchboard.provider.unsupported');
    expect(first?.data).toMatchObject({ providerType: 'read_by_business' });
    expect(second?.subject).not.toBe(first?.subject);
    expect(second?.id).not.toBe(first?.id);
  });

  it('gives the same Instagram change sent to two accounts two ids, and a retry the same', () => {
    // Prepare
    const change = { field: 'mentions', value: { media_id: '17887498072083520' } };
    const toAccount = (account: string) =>
      JSON.stringify({ object: 'instagram', entry: [{ id: account, time: 1795166043, changes: [change] }] });
    // Act
    const [onA] = eventsOf(post(toAccount('17841458392017465')));
    const [onB] = eventsOf(post(toAccount('17841458392017466')));
    const [retry] = eventsOf(post(toAccount('17841458392017465')));
    // Assess
    expect(onA?.type).toBe('switchboard.provider.unsupported');
    expect(onB?.id).not.toBe(onA?.id);
    expect(retry?.id).toBe(onA?.id);
  });

  it('keeps Instagram comment changes as unsupported, named by their field', () => {
    // Prepare
    const change = { field: 'comments', value: { id: '17865799348089039', text: 'Τέλειο! 😍' } };
    const body = {
      object: 'instagram',
      entry: [{ id: '17841458392017465', time: 1795166043, changes: [change] }],
    };
    // Act
    const events = eventsOf(post(JSON.stringify(body)));
    // Assess
    expect(events).toEqual([
      expect.objectContaining({
        type: 'switchboard.provider.unsupported',
        data: expect.objectContaining({ providerType: 'comments', raw: change }),
      }),
    ]);
  });

  it('normalizes a batch of 1000 messaging items into 1000 events with distinct ids', () => {
    // Prepare
    const items = Array.from({ length: 1000 }, (_, index) =>
      customerItem(1795166043512 + index, {
        message: { mid: `m_batch_${index}`, text: `Zpráva č. ${index}` },
      }),
    );
    // Act
    const events = eventsOf(post(pageBody(...items)));
    // Assess
    expect(events).toHaveLength(1000);
    expect(new Set(events.map((event) => event.id)).size).toBe(1000);
    expect(events.every((event) => HubEventSchema.safeParse(event).success)).toBe(true);
  });

  it('gives the same event ids when the same body arrives again later', () => {
    // Prepare
    const body = fixture('batch');
    // Act
    const first = eventsOf(post(body, { receivedAt: new Date('2026-11-22T12:00:00.000Z') }));
    const retry = eventsOf(post(body, { receivedAt: new Date('2026-11-23T18:30:00.000Z') }));
    // Assess
    expect(retry.map((event) => event.id)).toEqual(first.map((event) => event.id));
    expect(retry[0]).toMatchObject({ data: { receivedAt: '2026-11-23T18:30:00.000Z' } });
  });

  it('marks echoes of the hub’s own app as sent by the hub and others as external', () => {
    // Prepare
    const echo = (appId: number) =>
      pageBody({
        sender: { id: PAGE_ID },
        recipient: { id: PSID },
        timestamp: 1795166043512,
        message: { mid: `m_echo_${appId}`, is_echo: true, app_id: appId, text: 'Dobrý den' },
      });
    const secrets = {
      ...LOCAL_DEV_SECRETS,
      meta: { ...LOCAL_DEV_SECRETS.meta, hubAppIds: ['555000111222333'] },
    };
    // Act
    const fromHub = eventsOf(post(echo(555000111222333), { secrets }))[0];
    const fromInbox = eventsOf(post(echo(263902037430900), { secrets }))[0];
    // Assess
    expect(fromHub).toMatchObject({
      type: 'switchboard.message.sent',
      data: { direction: 'outbound', sentBy: 'hub', senderAppId: '555000111222333' },
    });
    expect(fromInbox).toMatchObject({
      type: 'switchboard.message.sent',
      data: { direction: 'outbound', sentBy: 'external', senderAppId: '263902037430900' },
    });
    expect(fromHub).toMatchObject({ data: { contact: { identities: [{ type: 'psid', value: PSID }] } } });
  });

  it('derives a stable message id for postbacks without mid, distinct per payload', () => {
    // Prepare
    const tap = (payload: string) =>
      pageBody(customerItem(1795166043512, { postback: { title: 'Menu', payload } }));
    // Act
    const first = eventsOf(post(tap('MENU_ORDERS')))[0];
    const again = eventsOf(post(tap('MENU_ORDERS')))[0];
    const other = eventsOf(post(tap('MENU_RETURNS')))[0];
    // Assess
    expect(first?.id).toBe(again?.id);
    expect(first?.id).not.toBe(other?.id);
    expect(first?.data).toMatchObject({ providerMessageId: expect.stringMatching(/^postback\./) });
  });

  it('tells successive edits and reactions of one message apart', () => {
    // Prepare
    const edit = (numEdit: number) =>
      customerItem(1795166043512 + numEdit, {
        message_edit: { mid: 'm_1', text: `v${numEdit}`, num_edit: numEdit },
      });
    const reaction = (action: string, at: number) =>
      customerItem(at, { reaction: { mid: 'm_1', action, emoji: '👍', reaction: 'like' } });
    // Act
    const events = eventsOf(
      post(pageBody(edit(1), edit(2), reaction('react', 1), reaction('unreact', 2), reaction('react', 3))),
    );
    // Assess
    expect(new Set(events.map((event) => event.id)).size).toBe(5);
  });

  it('turns an attachment without a usable URL into an unsupported part, keeping it', () => {
    // Prepare
    const attachment = { type: 'image', payload: { url: 'not a url' } };
    // Act
    const events = eventsOf(
      post(pageBody(customerItem(1795166043512, { message: { mid: 'm_2', attachments: [attachment] } }))),
    );
    // Assess
    expect(events[0]?.data).toMatchObject({
      parts: [{ type: 'unsupported', providerType: 'image', raw: attachment }],
    });
  });

  it.each(PROTOTYPE_NAMES)(
    'keeps an attachment typed %s (a name Object.prototype holds) as an unsupported part',
    (type) => {
      // Prepare
      const attachment = { type, payload: { url: 'https://scontent.xx.fbcdn.net/v/a.png' } };
      // Act
      const outcome = post(
        pageBody(customerItem(1795166043512, { message: { mid: 'm_3', attachments: [attachment] } })),
      );
      // Assess
      const events = eventsOf(outcome);
      expect(HubEventSchema.safeParse(events[0]).error).toBeUndefined();
      expect(events[0]?.data).toMatchObject({ parts: [{ type: 'unsupported', providerType: type }] });
    },
  );
});

describe('instagram read receipts', () => {
  const ACCOUNT_ID = '17841458392017465';
  const IGSID = '1092837465019283';
  const MID =
    'aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxNDU4MzkyMDE3NDY1OjM0MDI4MjM2Njg0MTcxMDMwMTI0NDlwKaaIqX2FbsNjyWyAPEpOVSfSDhPK1Yuf9S2yKjaL0bZDZD';

  /** Instagram's documented `messaging_seen` item: the customer saw the one message `mid` names. */
  const seenBody = (mid: string) =>
    JSON.stringify({
      object: 'instagram',
      entry: [
        {
          id: ACCOUNT_ID,
          time: 1795167490120,
          messaging: [
            {
              sender: { id: IGSID },
              recipient: { id: ACCOUNT_ID },
              timestamp: 1795167489954,
              read: { mid },
            },
          ],
        },
      ],
    });

  it('turns read {mid} into a read status of that message', () => {
    // Act
    const events = eventsOf(post(seenBody(MID)));
    // Assess
    expect(events).toHaveLength(1);
    expect(HubEventSchema.safeParse(events[0]).error).toBeUndefined();
    expect(events[0]).toMatchObject({
      type: 'switchboard.message.status_updated',
      data: {
        channel: 'messenger',
        endpoint: { type: 'instagram_account', id: ACCOUNT_ID },
        status: 'read',
        providerMessageIds: [MID],
      },
    });
    expect(events[0]?.data).not.toHaveProperty('watermark');
    // The recorder sets that message's status, as for a WhatsApp read.
    const writes = events[0] ? (registerWritesFor(events[0], 0) ?? []) : [];
    expect(writes).toEqual([
      expect.objectContaining({
        target: expect.objectContaining({
          attribute: 'status',
          with: expect.objectContaining({ hubMessageId: hubMessageIdFor('messenger', MID) }),
        }),
        value: expect.objectContaining({ status: 'read' }),
      }),
    ]);
  });

  it('gives reads of two messages two ids, and a retry the same', () => {
    // Act
    const [first] = eventsOf(post(seenBody(MID)));
    const [retry] = eventsOf(post(seenBody(MID)));
    const [other] = eventsOf(post(seenBody(`${MID}x`)));
    // Assess
    expect(first?.type).toBe('switchboard.message.status_updated');
    expect(retry?.id).toBe(first?.id);
    expect(other?.id).not.toBe(first?.id);
  });

  it('keeps a read with neither watermark nor mid as unsupported', () => {
    // Prepare
    const body = seenBody(MID).replace(`"mid":"${MID}"`, '"seen":true');
    // Act
    const events = eventsOf(post(body));
    // Assess
    expect(events.map((event) => event.type)).toEqual(['switchboard.provider.unsupported']);
  });
});
