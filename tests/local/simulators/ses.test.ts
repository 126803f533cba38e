import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { listedRequests, postJson, type Rig, startRig } from './support.ts';

const EVENTS_PATH = '/_local/aws/ses-events';
const SIGV4 = {
  authorization:
    'AWS4-HMAC-SHA256 Credential=local/20261130/us-east-1/ses/aws4_request, SignedHeaders=host;x-amz-date, Signature=00',
  'x-amz-date': '20261130T120000Z',
};
const MIME = [
  'From: Support <support@hub.example>',
  'To: anahit@customer.example',
  'Subject: Your order',
  'Message-ID: <out_7f3c2a91@hub.example>',
  'MIME-Version: 1.0',
  'Content-Type: text/plain; charset=utf-8',
  '',
  'Your order shipped.',
  '',
].join('\r\n');

const SnsNotificationSchema = z.looseObject({
  Type: z.literal('Notification'),
  MessageId: z.uuid(),
  TopicArn: z.string().startsWith('arn:aws:sns:'),
  Message: z.string(),
  Timestamp: z.iso.datetime(),
});
const SesEventSchema = z.looseObject({
  eventType: z.string(),
  mail: z.looseObject({
    timestamp: z.iso.datetime(),
    messageId: z.string(),
    source: z.string(),
    destination: z.array(z.string()),
    headers: z.array(z.object({ name: z.string(), value: z.string() })),
    commonHeaders: z.looseObject({ messageId: z.string() }),
    tags: z.record(z.string(), z.array(z.string())),
  }),
});
const MESSAGE_ID = /^0100[0-9a-f]{12}-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-000000$/;

const eventsReceived = (rig: Rig) =>
  rig.hub.on(EVENTS_PATH).map((post) => {
    expect(post.headers['x-amz-sns-message-type']).toBe('Notification');
    return SesEventSchema.parse(
      JSON.parse(SnsNotificationSchema.parse(JSON.parse(post.body.toString('utf8'))).Message),
    );
  });

describe('SES v2 simulator', () => {
  let rig: Rig;
  const sendEmail = (body: Record<string, unknown>, headers: Record<string, string> = SIGV4) =>
    postJson(`${rig.simulators.urls.sesV2}/v2/email/outbound-emails`, body, headers);
  const rawSend = {
    FromEmailAddress: 'support@hub.example',
    Destination: { ToAddresses: ['anahit@customer.example'] },
    ReplyToAddresses: ['reply+abc@in.hub.example'],
    ConfigurationSetName: 'switchboard-outbound',
    EmailTags: [{ Name: 'hub_message_id', Value: 'msg_7f3c2a91' }],
    Content: { Raw: { Data: Buffer.from(MIME).toString('base64') } },
  };

  afterEach(async () => {
    await rig.stop();
  });

  it('sends raw MIME, records only its digest, and publishes Send then Delivery as SNS notifications', async () => {
    // Prepare
    rig = await startRig();

    // Act
    const response = await sendEmail(rawSend);
    const answer = z.strictObject({ MessageId: z.string().regex(MESSAGE_ID) }).parse(await response.json());
    await rig.hub.waitFor(EVENTS_PATH, 2);

    // Assess: the answer and the log (raw MIME as length and sha256 only)
    expect(response.status).toBe(200);
    const [listed] = await listedRequests(rig);
    expect(listed).toMatchObject({
      provider: 'ses',
      path: '/v2/email/outbound-emails',
      body: {
        Content: {
          Raw: { Data: { byteLength: MIME.length, sha256: createHash('sha256').update(MIME).digest('hex') } },
        },
      },
      response: { status: 200, body: answer },
    });
    expect(JSON.stringify(listed)).not.toContain('Your order shipped');
    // Assess: the event records
    const events = eventsReceived(rig);
    expect(events.map((event) => event.eventType)).toEqual(['Send', 'Delivery']);
    for (const event of events) {
      expect(event.mail).toMatchObject({
        messageId: answer.MessageId,
        source: 'support@hub.example',
        destination: ['anahit@customer.example'],
        commonHeaders: { messageId: '<out_7f3c2a91@hub.example>' },
        tags: { hub_message_id: ['msg_7f3c2a91'], 'ses:configuration-set': ['switchboard-outbound'] },
      });
    }
    expect(events[1]).toMatchObject({
      delivery: { recipients: ['anahit@customer.example'], smtpResponse: expect.stringMatching(/^250/) },
    });
  });

  it('records the hub answering 404 and publishes nothing without a configuration set', async () => {
    // Prepare
    rig = await startRig({}, [EVENTS_PATH]);
    const { ConfigurationSetName: _omitted, ...withoutSet } = rawSend;

    // Act
    await sendEmail(rawSend);
    await rig.hub.waitFor(EVENTS_PATH, 2);
    await sendEmail(withoutSet);
    await new Promise((resolve) => setTimeout(resolve, 50));

    // Assess
    const [first, second] = await listedRequests(rig);
    expect(first?.callbacks).toEqual([
      expect.objectContaining({ event: 'Send', status: 404 }),
      expect.objectContaining({ event: 'Delivery', status: 404 }),
    ]);
    expect(second?.callbacks).toEqual([]);
    expect(rig.hub.on(EVENTS_PATH)).toHaveLength(2);
  });

  it('sends Simple content with the addresses from Destination', async () => {
    // Prepare
    rig = await startRig();

    // Act
    const response = await sendEmail({
      FromEmailAddress: 'support@hub.example',
      Destination: { ToAddresses: ['a@customer.example'], CcAddresses: ['b@customer.example'] },
      ConfigurationSetName: 'switchboard-outbound',
      Content: { Simple: { Subject: { Data: 'Hello' }, Body: { Text: { Data: 'Hi' } } } },
    });
    await rig.hub.waitFor(EVENTS_PATH, 2);

    // Assess
    expect(response.status).toBe(200);
    expect(eventsReceived(rig)[1]?.mail.destination).toEqual(['a@customer.example', 'b@customer.example']);
  });

  it.each([
    [
      'a tag value with a space',
      { ...rawSend, EmailTags: [{ Name: 'hub', Value: 'a b' }] },
      'BadRequestException',
    ],
    ['no content', { ...rawSend, Content: {} }, 'BadRequestException'],
    [
      'MIME that is not base64',
      { ...rawSend, Content: { Raw: { Data: '%%% not base64' } } },
      'BadRequestException',
    ],
  ])('refuses %s with x-amzn-ErrorType %s', async (_name, body, type) => {
    // Prepare
    rig = await startRig();

    // Act
    const response = await sendEmail(body);

    // Assess
    expect(response.status).toBe(400);
    expect(response.headers.get('x-amzn-errortype')).toBe(type);
    expect(
      z.strictObject({ message: z.string() }).parse(await response.json()).message.length,
    ).toBeGreaterThan(0);
  });

  it('answers 403 without SigV4 authorization', async () => {
    // Prepare
    rig = await startRig();

    // Act
    const response = await sendEmail(rawSend, {});

    // Assess
    expect(response.status).toBe(403);
    expect(response.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException');
  });
});
