import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseMultipart } from '#shared/channels/email/inbound/form.ts';
import { mimeFromParsedFields } from '#shared/channels/email/inbound/mailgun-parsed.ts';
import { signMailgun } from '#shared/channels/email/inbound/mailgun-signature.ts';
import { handleMailgunWebhook } from '#shared/channels/email/inbound/mailgun-webhook.ts';
import { InMemoryReplayGuard, type ReplayGuard } from '#shared/channels/email/inbound/replay-guard.ts';
import { MAX_BODY_BYTES, type WebhookOutcome } from '#shared/channels/inbound.ts';
import { LOCAL_DEV_SECRETS } from '#shared/config/secrets.ts';
import { HubEventSchema } from '#shared/contract/index.ts';
import { PAYLOAD_BUCKET } from '#shared/resources/definitions.ts';
import { listFixtures } from '#tests/support/golden.ts';
import { FIXTURE_RECEIVED_AT, webhookRequest } from '#tests/support/requests.ts';

const SIGNING_KEY = LOCAL_DEV_SECRETS.mailgun.signingKey;
const NOW_SECONDS = Math.floor(FIXTURE_RECEIVED_AT.getTime() / 1000);
const TOKEN = 'a3f9c1e07b2d4856e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5';
const plainText = listFixtures('email', ['.eml']).find((fixture) => fixture.variant === 'plain-text');
if (!plainText) throw new Error('plain-text fixture missing');
const RAW_MIME = plainText.payload;

type Fields = Array<[string, string | Buffer]>;

const signed = (timestamp = String(NOW_SECONDS), token = TOKEN, key = SIGNING_KEY): Fields => [
  ['timestamp', timestamp],
  ['token', token],
  ['signature', signMailgun(key, timestamp, token)],
];

const mimeFields = (mime: Buffer = RAW_MIME): Fields => [
  ['recipient', 'support@switchboard.example'],
  ['sender', 'maria.keller@customer.example'],
  ['body-mime', mime],
];

const multipart = (fields: Fields, boundary = 'mg-boundary-1') => {
  const chunks = fields.flatMap(([name, value]) => [
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n`),
    Buffer.from(value),
    Buffer.from('\r\n'),
  ]);
  return webhookRequest({
    path: '/webhooks/email/mailgun',
    headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}` },
    body: Buffer.concat([...chunks, Buffer.from(`--${boundary}--\r\n`)]),
  });
};

const urlEncoded = (fields: Fields) =>
  webhookRequest({
    path: '/webhooks/email/mailgun',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: Buffer.from(
      fields
        .map(
          ([name, value]) =>
            `${encodeURIComponent(name)}=${Buffer.from(value)
              .toString('latin1')
              .replace(
                /[^A-Za-z0-9*\-._ ]/g,
                (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0').toUpperCase()}`,
              )
              .replace(/ /g, '+')}`,
        )
        .join('&'),
      'latin1',
    ),
  });

const deps = (replayGuard: ReplayGuard = new InMemoryReplayGuard(() => FIXTURE_RECEIVED_AT.getTime())) => ({
  secrets: LOCAL_DEV_SECRETS,
  replayGuard,
});

const statusOf = (outcome: WebhookOutcome): number =>
  outcome.kind === 'reject' ? outcome.status : outcome.kind === 'accept' ? outcome.response.statusCode : 0;

describe('Mailgun inbound webhook', () => {
  it('accepts a signed multipart raw-MIME post and stores the raw MIME', async () => {
    // Prepare
    const request = multipart([...signed(), ...mimeFields()]);
    // Act
    const outcome = await handleMailgunWebhook(request, deps());
    // Assess
    if (outcome.kind !== 'accept') throw new Error(`rejected: ${JSON.stringify(outcome)}`);
    expect(outcome.response).toEqual({
      statusCode: 200,
      headers: { 'content-type': 'text/plain' },
      body: 'OK',
    });
    const rawKey = `${PAYLOAD_BUCKET.prefixes.rawEmail}${createHash('sha256').update(RAW_MIME).digest('hex')}.eml`;
    const rawBlob = outcome.blobs.find((blob) => blob.key === rawKey);
    expect(Buffer.from(rawBlob?.bytes ?? []).equals(RAW_MIME)).toBe(true);
    const [event] = outcome.events;
    expect(HubEventSchema.parse(event).type).toBe('switchboard.message.received');
    if (event?.type !== 'switchboard.message.received') throw new Error('not a message');
    expect(event.data.provider).toBe('mailgun');
    expect(event.data.email?.rawMimeKey).toBe(rawKey);
    expect(event.data.endpoint.id).toBe('support@switchboard.example');
  });

  it('produces the same events as the golden normalization of the same e-mail', async () => {
    // Prepare
    const request = multipart([...signed(), ...mimeFields()]);
    const expected = JSON.parse(
      await import('node:fs').then((fs) => fs.readFileSync(plainText.expectedPath, 'utf8')),
    );
    // Act
    const outcome = await handleMailgunWebhook(request, deps());
    // Assess
    expect(outcome.kind === 'accept' ? JSON.parse(JSON.stringify(outcome.events)) : outcome).toEqual(
      expected.events,
    );
  });

  it('accepts a signed urlencoded post, keeping 8-bit MIME bytes exact', async () => {
    // Prepare: a Latin-2 body sent as 8-bit, which a UTF-8 form decoder would corrupt
    const latin2 = Buffer.concat([
      Buffer.from(
        'From: Jan <jan@klient.example>\r\nTo: support@switchboard.example\r\nSubject: x\r\nMessage-ID: <l2@klient.example>\r\nContent-Type: text/plain; charset=iso-8859-2\r\nContent-Transfer-Encoding: 8bit\r\n\r\n',
      ),
      Buffer.from([0xa3, 0xf3, 0xbf, 0xea, 0x6b, 0x6f]), // "Łóżęko"
      Buffer.from('\r\n'),
    ]);
    const request = urlEncoded([...signed(), ...mimeFields(latin2)]);
    // Act
    const outcome = await handleMailgunWebhook(request, deps());
    // Assess
    if (outcome.kind !== 'accept') throw new Error(`rejected: ${JSON.stringify(outcome)}`);
    const [event] = outcome.events;
    if (event?.type !== 'switchboard.message.received') throw new Error('not a message');
    expect(event.data.email?.textBody).toBe('Łóżęko\n');
  });

  it('builds the message from the parsed-fields form when there is no body-mime', async () => {
    // Prepare
    const headers = JSON.stringify([
      ['From', 'Eva Novak <eva@klient.example>'],
      ['To', 'support@switchboard.example'],
      ['Subject', 'Účet za listopad'],
      ['Message-Id', '<parsed-1@klient.example>'],
      ['Date', 'Sun, 22 Nov 2026 10:00:00 +0100'],
      ['Content-Type', 'multipart/alternative; boundary="gone"'],
    ]);
    const request = multipart([
      ...signed(),
      ['recipient', 'support@switchboard.example'],
      ['sender', 'eva@klient.example'],
      ['from', 'Eva Novak <eva@klient.example>'],
      ['subject', 'Účet za listopad'],
      [
        'body-plain',
        'Dobrý den,\nfaktura chybí.\n\nOn Sat, 21 Nov 2026 at 09:00, Support <support@switchboard.example> wrote:\n> old',
      ],
      ['body-html', '<p>Dobrý den,</p>'],
      ['message-headers', headers],
    ]);
    // Act
    const outcome = await handleMailgunWebhook(request, deps());
    // Assess
    if (outcome.kind !== 'accept') throw new Error(`rejected: ${JSON.stringify(outcome)}`);
    const [event] = outcome.events;
    if (event?.type !== 'switchboard.message.received') throw new Error('not a message');
    expect(event.data.providerMessageId).toBe('parsed-1@klient.example');
    expect(event.data.email?.subject).toBe('Účet za listopad');
    expect(event.data.email?.replyText).toBe('Dobrý den,\nfaktura chybí.');
    expect(event.data.providerTimestamp).toBe('2026-11-22T09:00:00.000Z');
  });

  it('accepts a parsed-fields post of a mail with 300 attachments (one form field each)', async () => {
    // Prepare
    const headers = JSON.stringify([
      ['From', 'Eva Novak <eva@klient.example>'],
      ['To', 'support@switchboard.example'],
      ['Subject', 'Fotky'],
      ['Message-Id', '<parsed-300@klient.example>'],
    ]);
    const attachments: Fields = Array.from({ length: 300 }, (_, index) => [
      `attachment-${index + 1}`,
      `file ${index + 1}`,
    ]);
    const request = multipart([
      ...signed(),
      ['recipient', 'support@switchboard.example'],
      ['sender', 'eva@klient.example'],
      ['body-plain', 'Posílám fotky.'],
      ['attachment-count', '300'],
      ['message-headers', headers],
      ...attachments,
    ]);
    // Act
    const outcome = await handleMailgunWebhook(request, deps());
    // Assess: before, 400 (more than 256 fields), retried by Mailgun for 8 hours, then lost
    if (outcome.kind !== 'accept') throw new Error(`rejected: ${JSON.stringify(outcome)}`);
    expect(outcome.events.map((event) => event.type)).toEqual(['switchboard.message.received']);
  });

  it.each([
    [
      'its message-headers',
      [
        [
          'message-headers',
          JSON.stringify([
            ['From', 'Ana <ana@ferreira-mail.eu>'],
            ['To', 'sales@switchboard.example, support@switchboard.example'],
            ['Subject', 'order 991'],
            ['Date', 'Mon, 30 Nov 2026 09:00:00 +0000'],
          ]),
        ],
      ] as Fields,
    ],
    ['no message-headers (from and subject alone)', [] as Fields],
  ])(
    'makes one message of a mail without Message-ID posted in parsed fields for two addresses, with %s',
    async (_label, headers) => {
      // Prepare: Mailgun posts the mail once per route, each post with its own recipient, token and
      // timestamp; the rebuilt MIME (and so the id derived from it) must not depend on any of them
      const post = (recipient: string, timestamp: number, token: string) =>
        urlEncoded([
          ...signed(String(timestamp), token),
          ['recipient', recipient],
          ['sender', 'ana@ferreira-mail.eu'],
          ['from', 'Ana <ana@ferreira-mail.eu>'],
          ['subject', 'order 991'],
          ...headers,
          ['body-plain', 'Where is my order 991?'],
        ]);
      // Act
      const outcomes = [
        await handleMailgunWebhook(
          post('sales@switchboard.example', NOW_SECONDS, 'token-route-sales'),
          deps(),
        ),
        await handleMailgunWebhook(
          post('support@switchboard.example', NOW_SECONDS + 1, 'token-route-support'),
          deps(),
        ),
      ];
      // Assess
      const messages = outcomes.map((outcome) => {
        if (outcome.kind !== 'accept') throw new Error(`rejected: ${JSON.stringify(outcome)}`);
        const [event] = outcome.events;
        if (event?.type !== 'switchboard.message.received') throw new Error('not a message');
        return {
          id: event.id,
          hubMessageId: event.data.hubMessageId,
          derived: event.data.providerMessageId.endsWith('@derived.switchboard.invalid'),
          rawMimeKey: event.data.email?.rawMimeKey,
          endpoint: event.data.endpoint.id,
        };
      });
      expect(messages.map((message) => message.endpoint)).toEqual([
        'sales@switchboard.example',
        'support@switchboard.example',
      ]);
      expect(messages[0]?.derived).toBe(true);
      expect({ ...messages[1], endpoint: undefined }).toEqual({ ...messages[0], endpoint: undefined });
    },
  );

  it.each([
    ['timestamp', 'timestamp'],
    ['token', 'token'],
    ['signature', 'signature'],
  ])('answers 401 when %s is missing', async (_label, missing) => {
    // Prepare
    const request = multipart([...signed().filter(([name]) => name !== missing), ...mimeFields()]);
    // Act
    const outcome = await handleMailgunWebhook(request, deps());
    // Assess
    expect(statusOf(outcome)).toBe(401);
  });

  it('answers 403 for a signature made with another key', async () => {
    // Prepare
    const request = multipart([...signed(String(NOW_SECONDS), TOKEN, 'some-other-key'), ...mimeFields()]);
    // Act
    const outcome = await handleMailgunWebhook(request, deps());
    // Assess
    expect(outcome).toMatchObject({ kind: 'reject', status: 403 });
  });

  it.each([
    ['stale', NOW_SECONDS - 12 * 60 * 60 - 1],
    ['future', NOW_SECONDS + 5 * 60 + 1],
  ])('answers 406 for a %s timestamp on a new token', async (_label, timestamp) => {
    // Prepare
    const request = multipart([...signed(String(timestamp)), ...mimeFields()]);
    // Act
    const outcome = await handleMailgunWebhook(request, deps());
    // Assess
    expect(outcome).toMatchObject({ kind: 'reject', status: 406 });
  });

  it('accepts timestamps just inside the tolerance (ahead) and the retry horizon (behind)', async () => {
    // Prepare
    const old = multipart([...signed(String(NOW_SECONDS - 12 * 60 * 60), 'token-old'), ...mimeFields()]);
    const ahead = multipart([...signed(String(NOW_SECONDS + 300), 'token-ahead'), ...mimeFields()]);
    // Act
    const outcomes = [await handleMailgunWebhook(old, deps()), await handleMailgunWebhook(ahead, deps())];
    // Assess
    expect(outcomes.map(statusOf)).toEqual([200, 200]);
  });

  it('answers 406 when a used token comes back with other content (a forged body)', async () => {
    // Prepare
    const guard = new InMemoryReplayGuard(() => FIXTURE_RECEIVED_AT.getTime());
    const genuine = multipart([...signed(), ...mimeFields()]);
    const forged = multipart([
      ...signed(),
      ...mimeFields(Buffer.from(RAW_MIME.toString('latin1').replace('4711', '9999'), 'latin1')),
    ]);
    // Act
    const first = await handleMailgunWebhook(genuine, deps(guard));
    const second = await handleMailgunWebhook(forged, deps(guard));
    // Assess
    expect(statusOf(first)).toBe(200);
    expect(second).toMatchObject({ kind: 'reject', status: 406 });
  });

  it('accepts the same delivery again, even hours later and with another boundary, with identical events', async () => {
    // Prepare: Mailgun retries after a failure on our side, possibly with the original signature
    const guard = new InMemoryReplayGuard(() => FIXTURE_RECEIVED_AT.getTime());
    const first = multipart([...signed(), ...mimeFields()], 'boundary-first');
    const retry = {
      ...multipart([...signed(), ...mimeFields()], 'boundary-retry'),
      receivedAt: new Date(FIXTURE_RECEIVED_AT.getTime() + 4 * 60 * 60 * 1000),
    };
    // Act
    const firstOutcome = await handleMailgunWebhook(first, deps(guard));
    const retryOutcome = await handleMailgunWebhook(retry, deps(guard));
    // Assess
    if (firstOutcome.kind !== 'accept' || retryOutcome.kind !== 'accept') throw new Error('rejected');
    expect(retryOutcome.events.map((event) => event.id)).toEqual(
      firstOutcome.events.map((event) => event.id),
    );
  });

  it('refuses the same delivery again once its timestamp is past the retry horizon, as a stale one', async () => {
    // Prepare: a delivery taken, then replayed as captured (its own signature and content) by someone
    // who keeps it remembered by replaying it before it is forgotten
    const clock = { now: FIXTURE_RECEIVED_AT.getTime() };
    const guard = new InMemoryReplayGuard(() => clock.now);
    const replayAt = (hours: number) => {
      clock.now = FIXTURE_RECEIVED_AT.getTime() + hours * 60 * 60 * 1000;
      return handleMailgunWebhook(
        { ...multipart([...signed(), ...mimeFields()]), receivedAt: new Date(clock.now) },
        deps(guard),
      );
    };
    // Act
    const outcomes = [
      await replayAt(0),
      await replayAt(11),
      await replayAt(12 + 1 / 3600),
      await replayAt(23),
    ];
    // Assess: accepted while Mailgun may still be retrying it (12 h), then 406 as any too old timestamp
    expect(outcomes.map(statusOf)).toEqual([200, 200, 406, 406]);
    expect(outcomes[2]).toMatchObject({ kind: 'reject', reason: 'timestamp is too old' });
  });

  it('accepts the retry of a delivery whose claim landed but whose answer was lost', async () => {
    // Prepare: the claim is remembered, then the write's answer is lost, so the first attempt fails
    const guard = new InMemoryReplayGuard(() => FIXTURE_RECEIVED_AT.getTime());
    const losingAnswer = {
      claim: async (...args: Parameters<InMemoryReplayGuard['claim']>) => {
        await guard.claim(...args);
        throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
      },
    };
    const retry = {
      ...multipart([...signed(), ...mimeFields()]),
      receivedAt: new Date(FIXTURE_RECEIVED_AT.getTime() + 10 * 60 * 1000),
    };
    // Act: Mailgun retries 10 minutes later with the original signature, by then stale
    await expect(
      handleMailgunWebhook(multipart([...signed(), ...mimeFields()]), deps(losingAnswer)),
    ).rejects.toThrow();
    const retried = await handleMailgunWebhook(retry, deps(guard));
    // Assess
    expect(statusOf(retried)).toBe(200);
  });

  it('accepts the retry of a delivery whose first attempt failed before its token was claimed', async () => {
    // Prepare: the first attempt fails before any claim (the guard's write throttled)
    const guard = new InMemoryReplayGuard(() => FIXTURE_RECEIVED_AT.getTime());
    const throttled = {
      claim: async () => {
        throw Object.assign(new Error('throttled'), { name: 'ProvisionedThroughputExceededException' });
      },
    };
    const retryAt = (minutes: number) => ({
      ...multipart([...signed(), ...mimeFields()]),
      receivedAt: new Date(FIXTURE_RECEIVED_AT.getTime() + minutes * 60 * 1000),
    });
    // Act: Mailgun retries 10 minutes later, then (had that failed too) about 8 hours later
    await expect(
      handleMailgunWebhook(multipart([...signed(), ...mimeFields()]), deps(throttled)),
    ).rejects.toThrow();
    const tenMinutes = await handleMailgunWebhook(retryAt(10), deps(guard));
    const eightHours = await handleMailgunWebhook(retryAt(8 * 60), deps(guard));
    // Assess: accepted (not 406, which would stop Mailgun's retries and lose the mail)
    expect([statusOf(tenMinutes), statusOf(eightHours)]).toEqual([200, 200]);
    expect(tenMinutes.kind === 'accept' && tenMinutes.events.length).toBe(1);
  });

  it('refuses a stale delivery again when it is replayed after being refused', async () => {
    // Prepare
    const guard = new InMemoryReplayGuard(() => FIXTURE_RECEIVED_AT.getTime());
    const stale = () => multipart([...signed(String(NOW_SECONDS - 13 * 60 * 60)), ...mimeFields()]);
    // Act
    const outcomes = [
      await handleMailgunWebhook(stale(), deps(guard)),
      await handleMailgunWebhook(stale(), deps(guard)),
    ];
    // Assess
    expect(outcomes.map(statusOf)).toEqual([406, 406]);
  });

  it('answers 413 for a body over the e-mail limit', async () => {
    // Prepare
    const request = webhookRequest({
      headers: { 'content-type': 'multipart/form-data; boundary=x' },
      body: Buffer.alloc(MAX_BODY_BYTES.email + 1),
    });
    // Act
    const outcome = await handleMailgunWebhook(request, deps());
    // Assess
    expect(outcome).toMatchObject({ kind: 'reject', status: 413 });
  });

  it.each([['application/json'], ['text/plain'], [undefined]])(
    'answers 415 for content type %s',
    async (type) => {
      // Prepare
      const request = webhookRequest({
        headers: type ? { 'content-type': type } : {},
        body: Buffer.from('{}'),
      });
      // Act
      const outcome = await handleMailgunWebhook(request, deps());
      // Assess
      expect(outcome).toMatchObject({ kind: 'reject', status: 415 });
    },
  );

  it('answers 405 to anything but POST', async () => {
    // Prepare
    const request = { ...multipart([...signed(), ...mimeFields()]), method: 'GET' };
    // Act
    const outcome = await handleMailgunWebhook(request, deps());
    // Assess
    expect(outcome).toMatchObject({ kind: 'reject', status: 405 });
  });

  it('answers 400 for a multipart body that does not match its boundary', async () => {
    // Prepare
    const request = webhookRequest({
      headers: { 'content-type': 'multipart/form-data; boundary=abc' },
      body: Buffer.from('garbage'),
    });
    // Act
    const outcome = await handleMailgunWebhook(request, deps());
    // Assess
    expect(outcome).toMatchObject({ kind: 'reject', status: 400 });
  });

  it('never puts customer data in a rejection reason', async () => {
    // Prepare
    const request = multipart([...signed(String(NOW_SECONDS), TOKEN, 'wrong'), ...mimeFields()]);
    // Act
    const outcome = await handleMailgunWebhook(request, deps());
    // Assess
    expect(outcome.kind === 'reject' ? outcome.reason : '').not.toMatch(/@|maria|4711/i);
  });
});

describe('Mailgun parsed-fields attachments', () => {
  const PDF = Buffer.from('%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF\n', 'latin1');

  /** A multipart post whose parts carry their own Content-Disposition parameters and Content-Type. */
  const rawMultipart = (
    parts: ReadonlyArray<{ disposition: string; type?: string; value: Buffer | string }>,
  ) =>
    Buffer.concat([
      ...parts.flatMap(({ disposition, type, value }) => [
        Buffer.from(
          `--mg-b\r\nContent-Disposition: form-data; ${disposition}\r\n${type ? `Content-Type: ${type}\r\n` : ''}\r\n`,
        ),
        Buffer.from(value),
        Buffer.from('\r\n'),
      ]),
      Buffer.from('--mg-b--\r\n'),
    ]);

  const headers = JSON.stringify([
    ['From', 'Jonas Weber <jonas@kunde.example>'],
    ['To', 'support@switchboard.example'],
    ['Subject', 'Rechnung'],
    ['Message-Id', '<rechnung-1@kunde.example>'],
  ]);

  const textParts = [
    ...signed().map(([name, value]) => ({ disposition: `name="${name}"`, value })),
    { disposition: 'name="recipient"', value: 'support@switchboard.example' },
    { disposition: 'name="sender"', value: 'jonas@kunde.example' },
    { disposition: 'name="body-plain"', value: 'Anbei die Rechnung.' },
    { disposition: 'name="message-headers"', value: headers },
  ];

  it('reads an RFC 2231 filename* as the file part’s name, and rebuilds the MIME with that part', () => {
    // Prepare
    const body = rawMultipart([
      ...textParts,
      {
        disposition: `name="attachment-1"; filename*=utf-8''Rechnung%20%E2%82%AC+1.pdf`,
        type: 'application/pdf',
        value: PDF,
      },
    ]);
    // Act
    const fields = parseMultipart(body, 'mg-b');
    const mime = Array.isArray(fields) ? mimeFromParsedFields(fields).toString('utf8') : '';
    // Assess
    expect(Array.isArray(fields) && fields.find((field) => field.name === 'attachment-1')).toMatchObject({
      filename: 'Rechnung €+1.pdf',
      contentType: 'application/pdf',
    });
    expect(mime).toContain('Content-Type: application/pdf');
    expect(mime).toContain(`filename*=utf-8''Rechnung%20%E2%82%AC%2B1.pdf`);
    expect(mime).toContain(PDF.toString('base64'));
  });

  it('keeps an attachment-N part without a filename, and a part of a non-text type, as files', () => {
    // Prepare
    const body = rawMultipart([
      ...textParts,
      { disposition: 'name="attachment-1"', value: 'plain bytes' },
      { disposition: 'name="scan"', type: 'application/pdf', value: PDF },
    ]);
    // Act
    const fields = parseMultipart(body, 'mg-b');
    const mime = Array.isArray(fields) ? mimeFromParsedFields(fields).toString('utf8') : '';
    // Assess
    const files = Array.isArray(fields) ? fields.filter((field) => field.filename !== undefined) : [];
    expect(files.map((field) => field.name)).toEqual(['attachment-1', 'scan']);
    expect(mime).toContain('Content-Type: application/pdf\r\nContent-Disposition: attachment\r\n');
    expect(mime).toContain(Buffer.from('plain bytes').toString('base64'));
  });

  it('passes the filename* attachment on as a file part of the received message', async () => {
    // Prepare
    const request = webhookRequest({
      path: '/webhooks/email/mailgun',
      headers: { 'Content-Type': 'multipart/form-data; boundary=mg-b' },
      body: rawMultipart([
        ...textParts,
        {
          disposition: `name="attachment-1"; filename*=utf-8''Rechnung%20%E2%82%AC.pdf`,
          type: 'application/pdf',
          value: PDF,
        },
      ]),
    });
    // Act
    const outcome = await handleMailgunWebhook(request, deps());
    // Assess
    if (outcome.kind !== 'accept') throw new Error(`rejected: ${JSON.stringify(outcome)}`);
    const [event] = outcome.events;
    if (event?.type !== 'switchboard.message.received') throw new Error('not a message');
    expect(event.data.parts).toContainEqual(
      expect.objectContaining({ type: 'media', filename: 'Rechnung €.pdf', mimeType: 'application/pdf' }),
    );
  });

  const postOf = (parts: Parameters<typeof rawMultipart>[0]) =>
    webhookRequest({
      path: '/webhooks/email/mailgun',
      headers: { 'Content-Type': 'multipart/form-data; boundary=mg-b' },
      body: rawMultipart(parts),
    });

  it('answers 406 to a claimed post replayed with a file part named like a signature field', async () => {
    // Prepare: a genuine signed post is accepted (its token claimed), then captured and replayed
    // with an executable added under the name `token`
    const guard = new InMemoryReplayGuard(() => FIXTURE_RECEIVED_AT.getTime());
    const genuine = postOf(textParts);
    const replayed = postOf([
      ...textParts,
      {
        disposition: 'name="token"; filename="invoice.exe"',
        type: 'application/octet-stream',
        value: 'MZ\x90\x00 not a real program',
      },
    ]);
    // Act
    const first = await handleMailgunWebhook(genuine, deps(guard));
    const second = await handleMailgunWebhook(replayed, deps(guard));
    // Assess
    expect(statusOf(first)).toBe(200);
    expect(second).toMatchObject({ kind: 'reject', status: 406 });
  });

  it('answers 406 to a claimed post replayed with a file’s Content-Type changed', async () => {
    // Prepare
    const guard = new InMemoryReplayGuard(() => FIXTURE_RECEIVED_AT.getTime());
    const file = {
      disposition: 'name="attachment-1"; filename="r.pdf"',
      type: 'application/pdf',
      value: PDF,
    };
    const genuine = postOf([...textParts, file]);
    const replayed = postOf([...textParts, { ...file, type: 'application/x-msdownload' }]);
    // Act
    const first = await handleMailgunWebhook(genuine, deps(guard));
    const second = await handleMailgunWebhook(replayed, deps(guard));
    // Assess
    expect(statusOf(first)).toBe(200);
    expect(second).toMatchObject({ kind: 'reject', status: 406 });
  });

  it('answers 406 to a claimed post replayed with a text field turned into a file part of the same bytes', async () => {
    // Prepare: `note` is a text field; the replay sends the same bytes as a file (an empty filename)
    const guard = new InMemoryReplayGuard(() => FIXTURE_RECEIVED_AT.getTime());
    const genuine = postOf([...textParts, { disposition: 'name="note"', value: 'see attachment' }]);
    const replayed = postOf([
      ...textParts,
      { disposition: 'name="note"; filename=""', value: 'see attachment' },
    ]);
    // Act
    const first = await handleMailgunWebhook(genuine, deps(guard));
    const second = await handleMailgunWebhook(replayed, deps(guard));
    // Assess
    expect(statusOf(first)).toBe(200);
    expect(second).toMatchObject({ kind: 'reject', status: 406 });
  });

  it('still accepts a byte-identical retry of a post with files, with identical events', async () => {
    // Prepare
    const guard = new InMemoryReplayGuard(() => FIXTURE_RECEIVED_AT.getTime());
    const parts = [
      ...textParts,
      { disposition: 'name="attachment-1"; filename="r.pdf"', type: 'application/pdf', value: PDF },
    ];
    // Act
    const first = await handleMailgunWebhook(postOf(parts), deps(guard));
    const retry = await handleMailgunWebhook(postOf(parts), deps(guard));
    // Assess
    if (first.kind !== 'accept' || retry.kind !== 'accept') throw new Error('rejected');
    expect(retry.events.map((event) => event.id)).toEqual(first.events.map((event) => event.id));
  });
});
