import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { verifyMailgun } from '#shared/channels/email/inbound/mailgun-signature.ts';
import { basic, listedRequests, type Rig, secrets, startRig } from './support.ts';

const DOMAIN = 'mg.hub.example';
const EVENTS_PATH = '/webhooks/email/mailgun/events';
const MIME = [
  'From: Support <support@hub.example>',
  'To: anahit@customer.example',
  'Subject: Your order',
  'MIME-Version: 1.0',
  'Content-Type: text/plain; charset=utf-8',
  '',
  'Your order shipped.',
  '',
].join('\r\n');

const SendAnswerSchema = z.strictObject({
  id: z.string().regex(new RegExp(`^<\\d{14}\\.[0-9a-f]{16}@${DOMAIN.replaceAll('.', '\\.')}>$`)),
  message: z.literal('Queued. Thank you.'),
});
const EventSchema = z.object({
  signature: z.object({
    timestamp: z.string(),
    token: z.string().regex(/^[0-9a-f]{50}$/),
    signature: z.string(),
  }),
  'event-data': z.looseObject({
    event: z.string(),
    id: z.string(),
    timestamp: z.number(),
    recipient: z.string(),
    message: z.looseObject({ headers: z.looseObject({ 'message-id': z.string() }) }),
    'user-variables': z.record(z.string(), z.unknown()),
  }),
});

describe('Mailgun simulator', () => {
  let rig: Rig;
  const mimeForm = () => {
    const form = new FormData();
    form.append('to', 'anahit@customer.example');
    form.append('message', new Blob([MIME], { type: 'message/rfc822' }), 'message.mime');
    form.append('v:hub_message_id', 'msg_7f3c2a91');
    form.append('o:tag', 'outbound');
    return form;
  };
  const post = (path: string, body: FormData | URLSearchParams, authorization = basic('api', 'key-local')) =>
    fetch(`${rig.simulators.urls.mailgun}/v3/${DOMAIN}/${path}`, {
      method: 'POST',
      headers: { authorization },
      body,
    });

  beforeEach(async () => {
    rig = await startRig();
  });
  afterEach(async () => {
    await rig.stop();
  });

  it('queues a raw MIME send and posts a signed delivered event with the user variables', async () => {
    // Act
    const response = await post('messages.mime', mimeForm());
    const answer = SendAnswerSchema.parse(await response.json());
    const [delivered] = await rig.hub.waitFor(EVENTS_PATH, 1);

    // Assess: the answer and the log (the MIME as length and digest)
    expect(response.status).toBe(200);
    expect((await listedRequests(rig))[0]).toMatchObject({
      provider: 'mailgun',
      path: `/v3/${DOMAIN}/messages.mime`,
      body: {
        to: 'anahit@customer.example',
        message: { byteLength: MIME.length },
        'v:hub_message_id': 'msg_7f3c2a91',
      },
      response: { status: 200, body: answer },
    });
    // Assess: the event, signed in its body
    const event = EventSchema.parse(JSON.parse(delivered?.body.toString('utf8') ?? ''));
    const { timestamp, token, signature } = event.signature;
    expect(verifyMailgun(secrets.mailgun.signingKey, timestamp, token, signature)).toBe(true);
    expect(verifyMailgun('another-key', timestamp, token, signature)).toBe(false);
    expect(event['event-data']).toMatchObject({
      event: 'delivered',
      recipient: 'anahit@customer.example',
      message: { headers: { 'message-id': answer.id.slice(1, -1), subject: 'Your order' } },
      'user-variables': { hub_message_id: 'msg_7f3c2a91' },
      tags: ['outbound'],
      'delivery-status': { code: 250 },
    });
  });

  it('keeps the Message-ID a MIME send carries, in its answer and its events', async () => {
    // Prepare: the hub's own Message-ID, as the sender writes it
    const form = new FormData();
    form.append('to', 'anahit@customer.example');
    const withId = MIME.replace('Subject:', 'Message-ID: <msg_0123456789abcdef.0@hub.example>\r\nSubject:');
    form.append('message', new Blob([withId], { type: 'message/rfc822' }), 'message.mime');
    // Act
    const response = await post('messages.mime', form);
    const answer = z.object({ id: z.string() }).parse(await response.json());
    const [delivered] = await rig.hub.waitFor(EVENTS_PATH, 1);
    // Assess: until 2026-12-06 the simulator made an id up, where Mailgun keeps the mail's
    const event = EventSchema.parse(JSON.parse(delivered?.body.toString('utf8') ?? ''));
    expect(answer.id).toBe('<msg_0123456789abcdef.0@hub.example>');
    expect(event['event-data'].message.headers['message-id']).toBe('msg_0123456789abcdef.0@hub.example');
  });

  it('queues a fields send, one delivered event per recipient', async () => {
    // Act
    const response = await post(
      'messages',
      new URLSearchParams([
        ['from', 'Support <support@hub.example>'],
        ['to', 'a@customer.example, B <b@customer.example>'],
        ['subject', 'Hi'],
        ['text', 'Hello'],
      ]),
    );
    const posts = await rig.hub.waitFor(EVENTS_PATH, 2);

    // Assess
    SendAnswerSchema.parse(await response.json());
    expect(
      posts.map((one) => EventSchema.parse(JSON.parse(one.body.toString('utf8')))['event-data'].recipient),
    ).toEqual(['a@customer.example', 'b@customer.example']);
  });

  it.each([
    [
      'messages.mime',
      () => new URLSearchParams([['to', 'a@customer.example']]),
      /'message' parameter is missing/,
    ],
    [
      'messages',
      () =>
        new URLSearchParams([
          ['to', 'a@customer.example'],
          ['text', 'x'],
        ]),
      /'from'/,
    ],
    [
      'messages',
      () =>
        new URLSearchParams([
          ['from', 'a@hub.example'],
          ['text', 'x'],
        ]),
      /'to'/,
    ],
  ])('refuses a %s send that lacks a required field with 400 {message}', async (path, form, message) => {
    // Act
    const response = await post(path, form());

    // Assess
    expect(response.status).toBe(400);
    expect(z.strictObject({ message: z.string() }).parse(await response.json()).message).toMatch(message);
  });

  it('answers 401 Forbidden without the api user', async () => {
    // Act
    const response = await post('messages.mime', mimeForm(), basic('someone', 'key'));

    // Assess
    expect(response.status).toBe(401);
    expect(await response.text()).toBe('Forbidden');
  });
});
