import { describe, expect, it } from 'vitest';
import { S3BlobStore } from '#shared/aws/blob-store.ts';
import { SignedS3BlobStore } from '#shared/aws/signed/s3.ts';
import { normalizeInboundEmail } from '#shared/channels/email/inbound/normalize.ts';
import { replyTagFor } from '#shared/channels/email/reply-address.ts';
import { LOCAL_DEV_SECRETS } from '#shared/config/secrets.ts';
import { emailThreadConversationId, type HubEvent, HubEventSchema } from '#shared/contract/index.ts';
import { alternativeMail } from '#tests/support/customer-mail.ts';
import { FIXTURE_RECEIVED_AT } from '#tests/support/requests.ts';
import { ORACLE_ENV } from '#tests/support/signed-oracle.ts';

const SUPPORT = 'support@switchboard.example';
const context = (envelopeRecipients: string[] = [SUPPORT]) => ({
  provider: 'ses' as const,
  receivedAt: FIXTURE_RECEIVED_AT,
  envelopeRecipients,
});

const mime = (headers: string[], body = 'Hello\r\n') =>
  Buffer.from(`${[...headers, 'Content-Type: text/plain; charset=utf-8'].join('\r\n')}\r\n\r\n${body}`);

const messageOf = (events: HubEvent[]) => {
  const [event] = events;
  expect(HubEventSchema.safeParse(event).success).toBe(true);
  if (event?.type !== 'switchboard.message.received' && event?.type !== 'switchboard.message.sent') {
    throw new Error(`not a message: ${event?.type}`);
  }
  return event;
};

describe('normalizeInboundEmail', () => {
  it('turns a copy of the business’s own mail into message.sent with the customer as contact', async () => {
    // Prepare: the business Bcc'd its inbound address on an answer sent from a mail client, signed
    // by its domain (SES: DMARC PASS on the From it read)
    const from = 'Support <Support@Switchboard.example>';
    const raw = mime([
      `From: ${from}`,
      'To: Maria <maria@customer.example>',
      'Message-ID: <out-1@switchboard.example>',
      'References: <root-1@customer.example>',
    ]);
    const receipt = {
      ...context(),
      headerFrom: from,
      verdicts: { spf: 'PASS', dkim: 'PASS', dmarc: 'PASS' },
    };
    // Act
    const event = messageOf((await normalizeInboundEmail(raw, receipt)).events);
    // Assess
    expect(event.type).toBe('switchboard.message.sent');
    expect(event.data.direction).toBe('outbound');
    expect(event.data.endpoint.id).toBe(SUPPORT);
    expect(event.data.contact.identities).toEqual([{ type: 'email', value: 'maria@customer.example' }]);
    expect(event.data.conversationId).toBe(
      emailThreadConversationId(SUPPORT, 'root-1@customer.example', 'maria@customer.example'),
    );
  });

  it.each([
    [
      'a no-reply From with a person in Reply-To (a web form) is that person’s',
      'Shop form <noreply@shop-forms.eu>',
      'Jonas <Jonas.L@lindqvist-post.eu>',
      'jonas.l@lindqvist-post.eu',
    ],
    [
      'a person’s From stays theirs, whatever Reply-To says',
      'Ana <ana@ferreira-mail.eu>',
      'Bo <bo@bo-mail.eu>',
      'ana@ferreira-mail.eu',
    ],
    [
      'a no-reply From whose Reply-To is the business itself stays the no-reply',
      'noreply@shop-forms.eu',
      `Support <${SUPPORT}>`,
      'noreply@shop-forms.eu',
    ],
    [
      'a no-reply From whose Reply-To is no-reply too stays the first',
      'no-reply@shop-forms.eu',
      'donotreply@shop-forms.eu',
      'no-reply@shop-forms.eu',
    ],
    [
      'the first person of several in Reply-To',
      'donotreply@shop-forms.eu',
      `${SUPPORT}, noreply@x.eu, Eva <eva@eva-post.eu>, tom@tom-post.eu`,
      'eva@eva-post.eu',
    ],
  ])('%s', async (_name, from, replyTo, contact) => {
    // Prepare
    const raw = mime([
      `From: ${from}`,
      `Reply-To: ${replyTo}`,
      `To: ${SUPPORT}`,
      'Message-ID: <form-1@shop-forms.eu>',
    ]);
    // Act
    const event = messageOf((await normalizeInboundEmail(raw, context())).events);
    // Assess: an inbound message whose contact is the person an answer should reach
    expect(event.type).toBe('switchboard.message.received');
    expect(event.data.contact.identities).toEqual([{ type: 'email', value: contact }]);
  });

  it('files a web form’s mail it cannot place under the person in Reply-To, as it would a readable one', async () => {
    // Prepare: no business recipient anywhere (email.without_parties)
    const raw = mime([
      'From: noreply@shop-forms.eu',
      'Reply-To: Jonas <jonas.l@lindqvist-post.eu>',
      'Message-ID: <form-2@shop-forms.eu>',
    ]);
    // Act
    const [event] = (await normalizeInboundEmail(raw, { ...context([]), rawMimeKey: 'ses-inbound/form-2' }))
      .events;
    // Assess
    expect(event?.type).toBe('switchboard.provider.unsupported');
    expect(event?.data).toMatchObject({
      providerType: 'email.without_parties',
      contact: { identities: [{ type: 'email', value: 'jonas.l@lindqvist-post.eu' }] },
    });
  });

  it('stores the same file sent by two people as two objects, each under its own conversation and message', async () => {
    // Prepare: one logo in two people's mails
    const withLogo = (from: string, messageId: string) =>
      Buffer.from(
        [
          `From: ${from}`,
          `To: ${SUPPORT}`,
          `Message-ID: <${messageId}>`,
          'Content-Type: multipart/mixed; boundary="b"',
          '',
          '--b',
          'Content-Type: text/plain; charset=utf-8',
          '',
          'Hello',
          '--b',
          'Content-Type: image/png; name="image001.png"',
          'Content-Disposition: attachment; filename="image001.png"',
          'Content-Transfer-Encoding: base64',
          '',
          Buffer.from('\x89PNG same logo').toString('base64'),
          '--b--',
          '',
        ].join('\r\n'),
      );
    // Act
    const keysOf = async (raw: Buffer) => {
      const { events, blobs } = await normalizeInboundEmail(raw, context());
      const event = messageOf(events);
      return { event, keys: blobs.map((blob) => blob.key) };
    };
    const alice = await keysOf(withLogo('alice@customer.example', 'logo-a@customer.example'));
    const bob = await keysOf(withLogo('bob@other.example', 'logo-b@other.example'));
    // Assess: erasing one person's objects can never take the other's; no file name in a key
    expect(alice.keys).toHaveLength(1);
    expect(
      alice.keys[0]?.startsWith(
        `attachments/${alice.event.data.conversationId}/${alice.event.data.hubMessageId}/`,
      ),
    ).toBe(true);
    expect(
      bob.keys[0]?.startsWith(`attachments/${bob.event.data.conversationId}/${bob.event.data.hubMessageId}/`),
    ).toBe(true);
    expect(alice.keys[0]).not.toBe(bob.keys[0]);
    expect(alice.keys[0]).not.toContain('image001');
  });

  it("passes on an attachment's name without its path, line break or right-to-left override, in the part and the e-mail's list", async () => {
    // Prepare: an RFC 2231 name that decodes to '..\\..\\AppData\\Startup\\invoice<RLO>fdp.exe<CR><LF>' (found by a security review)
    const raw = Buffer.from(
      [
        'From: a@customer.example',
        `To: ${SUPPORT}`,
        'Message-ID: <named-1@customer.example>',
        'Content-Type: multipart/mixed; boundary="b"',
        '',
        '--b',
        'Content-Type: text/plain; charset=utf-8',
        '',
        'See attached',
        '--b',
        'Content-Type: application/octet-stream',
        "Content-Disposition: attachment; filename*=utf-8''..%5C..%5CAppData%5CStartup%5Cinvoice%E2%80%AEfdp.exe%0D%0A",
        'Content-Transfer-Encoding: base64',
        '',
        Buffer.from('MZ not really').toString('base64'),
        '--b--',
        '',
      ].join('\r\n'),
    );
    // Act
    const event = messageOf((await normalizeInboundEmail(raw, context())).events);
    // Assess
    const names = [...event.data.parts, ...(event.data.email?.attachments ?? [])].flatMap((part) =>
      part.type === 'media' ? [part.filename] : [],
    );
    expect(names).toEqual(['invoicefdp.exe', 'invoicefdp.exe']);
  });

  describe('a text part that names a file', () => {
    const LOG = '2026-12-01 10:00:01 ERROR payment declined';
    const withParts = (...parts: string[][]) =>
      Buffer.from(
        [
          'From: Ana <ana@ferreira-mail.eu>',
          `To: ${SUPPORT}`,
          'Subject: the log you asked for',
          'Message-ID: <inline-file-1@ferreira-mail.eu>',
          'Content-Type: multipart/mixed; boundary="b"',
          '',
          ...parts.flatMap((part) => ['--b', ...part]),
          '--b--',
          '',
        ].join('\r\n'),
      );
    const body = ['Content-Type: text/plain; charset=utf-8', '', 'Here is the log.'];

    it.each([
      [
        'inline with a filename (Apple Mail)',
        ['Content-Type: text/plain', 'Content-Disposition: inline; filename="app.log"'],
      ],
      ['without a disposition, named on its type', ['Content-Type: text/plain; name="app.log"']],
      [
        'an HTML file inline with an RFC 2231 filename',
        ['Content-Type: text/html', "Content-Disposition: inline; filename*=utf-8''app.log"],
      ],
    ])('is a file, not more body text: %s', async (_label, fileHeaders) => {
      // Prepare
      const raw = withParts(body, [...fileHeaders, '', LOG]);
      // Act
      const { events, blobs } = await normalizeInboundEmail(raw, context());
      // Assess
      const event = messageOf(events);
      expect(event.data.email?.attachments.map((file) => file.filename)).toEqual(['app.log']);
      expect(event.data.parts.find((part) => part.type === 'text')).toEqual({
        type: 'text',
        text: 'Here is the log.',
      });
      expect(event.data.email?.textBody).not.toContain('ERROR');
      expect(event.data.email?.htmlBody ?? '').not.toContain('ERROR');
      const [file] = event.data.email?.attachments ?? [];
      const key = file?.ref.store === 's3' ? file.ref.key : undefined;
      const stored = blobs.find((blob) => blob.key === key);
      expect(Buffer.from(stored?.bytes ?? []).toString('utf8')).toContain(LOG);
    });

    it('stays the body when the mail has no other text (a gateway naming its one text part text_0.txt)', async () => {
      // Prepare: MMS-to-mail gateways name the message text itself
      const raw = withParts(
        [
          'Content-Type: text/plain; charset=utf-8; name="text_0.txt"',
          'Content-Disposition: inline; filename="text_0.txt"',
          '',
          'Is my order shipped?',
        ],
        [
          'Content-Type: image/jpeg; name="photo.jpg"',
          'Content-Transfer-Encoding: base64',
          '',
          Buffer.from('\xff\xd8 jpeg').toString('base64'),
        ],
      );
      // Act
      const event = messageOf((await normalizeInboundEmail(raw, context())).events);
      // Assess
      expect(event.data.parts.find((part) => part.type === 'text')).toEqual({
        type: 'text',
        text: 'Is my order shipped?',
      });
      expect(event.data.email?.attachments.map((file) => file.filename)).toEqual(['photo.jpg']);
    });
  });

  describe('an answer in a thread the business started with several customers', () => {
    // Prepare: one announcement support@ sent to everyone in Bcc (one Message-ID, one thread root)
    const ANNOUNCEMENT = 'announcement-2026-11@switchboard.example';
    const KEY = LOCAL_DEV_SECRETS.email.replyTagKey;
    const answer = (from: string, messageId: string, subject: string, to = SUPPORT) =>
      mime([
        `From: ${from}`,
        `To: ${to}`,
        `Subject: ${subject}`,
        `Message-ID: <${messageId}>`,
        `In-Reply-To: <${ANNOUNCEMENT}>`,
        `References: <${ANNOUNCEMENT}>`,
      ]);
    const received = async (raw: Buffer, recipient = SUPPORT) =>
      messageOf((await normalizeInboundEmail(raw, { ...context([recipient]), replyTagKey: KEY })).events);

    it("puts each customer's untagged answer in a conversation of their own, and their next one with it", async () => {
      // Act
      const ann = await received(
        answer('Ann <Ann@Customer.example>', 'ann-1@customer.example', 'Re: New opening hours'),
      );
      const bob = await received(
        answer('bob@other.example', 'bob-1@other.example', 'Re: New opening hours - my account'),
      );
      const annAgain = await received(
        answer('ann@customer.example', 'ann-2@customer.example', 'Re: New opening hours'),
      );
      // Assess: different people who wrote separately are never in each other's conversation
      expect(bob.subject).not.toBe(ann.subject);
      expect(bob.data.conversationId).not.toBe(ann.data.conversationId);
      expect(annAgain.subject).toBe(ann.subject);
      expect(ann.data.conversationId).toBe(
        emailThreadConversationId(SUPPORT, ANNOUNCEMENT, 'ann@customer.example'),
      );
    });

    it("puts anyone's answer to the hub's signed reply address in the conversation it names", async () => {
      // Prepare: the hub answered Ann from support+<tag>@; Carol, in Cc of that answer, answers it
      const ann = await received(
        answer('ann@customer.example', 'ann-3@customer.example', 'Re: New opening hours'),
      );
      const tagged = `support+${replyTagFor(ann.subject, KEY)}@switchboard.example`;
      // Act
      const carol = await received(
        answer('carol@customer.example', 'carol-1@customer.example', 'Re: New opening hours', tagged),
        tagged,
      );
      const annAnswers = await received(
        answer('ann@customer.example', 'ann-4@customer.example', 'Re: New opening hours', tagged),
        tagged,
      );
      // Assess
      expect(carol.subject).toBe(ann.subject);
      expect(carol.data.contact.identities).toEqual([{ type: 'email', value: 'carol@customer.example' }]);
      expect(annAnswers.subject).toBe(ann.subject);
    });
  });

  it('ignores a reply+ tag that is not a conversation id', async () => {
    // Prepare
    const raw = mime([
      'From: a@customer.example',
      'To: reply+conv_nothex@switchboard.example',
      'Message-ID: <m-2@customer.example>',
    ]);
    // Act
    const event = messageOf(
      (await normalizeInboundEmail(raw, context(['reply+conv_nothex@switchboard.example']))).events,
    );
    // Assess
    expect(event.data.conversationId).toBe(
      emailThreadConversationId(
        'reply+conv_nothex@switchboard.example',
        'm-2@customer.example',
        'a@customer.example',
      ),
    );
  });

  it('threads on In-Reply-To when there are no References', async () => {
    // Prepare
    const raw = mime([
      'From: a@customer.example',
      `To: ${SUPPORT}`,
      'Message-ID: <m-3@customer.example>',
      'In-Reply-To: <parent@switchboard.example>',
    ]);
    // Act
    const event = messageOf((await normalizeInboundEmail(raw, context())).events);
    // Assess
    expect(event.data.conversationId).toBe(
      emailThreadConversationId(SUPPORT, 'parent@switchboard.example', 'a@customer.example'),
    );
    expect(event.data.replyTo).toEqual({ providerMessageId: 'parent@switchboard.example' });
  });

  it('falls back to the To address when no envelope recipient is known', async () => {
    // Prepare
    const raw = mime([
      'From: a@customer.example',
      'To: Sales <Sales@Switchboard.example>',
      'Message-ID: <m-4@customer.example>',
    ]);
    // Act
    const event = messageOf((await normalizeInboundEmail(raw, context([]))).events);
    // Assess
    expect(event.data.endpoint).toEqual({ type: 'email_address', id: 'sales@switchboard.example' });
  });

  it('moves bodies over 256 KiB to blobs and keeps the event under the queue limit', async () => {
    // Prepare
    const longText = `${'Zażółć gęślą jaźń. '.repeat(20_000)}\r\n`;
    const raw = mime(
      ['From: a@customer.example', `To: ${SUPPORT}`, 'Message-ID: <big@customer.example>'],
      longText,
    );
    // Act
    const { events, blobs } = await normalizeInboundEmail(raw, context());
    // Assess
    const event = messageOf(events);
    expect(event.data.email?.textBody).toBeUndefined();
    const key = event.data.email?.textBodyKey ?? '';
    // Under its conversation and message (erasure lists them there), by its content's hash
    expect(key.startsWith(`bodies/${event.data.conversationId}/${event.data.hubMessageId}/`)).toBe(true);
    expect(key).toMatch(/\/[0-9a-f]{64}\.txt$/);
    expect(Buffer.from(blobs.find((blob) => blob.key === key)?.bytes ?? []).toString('utf8')).toContain(
      'gęślą',
    );
    expect(Buffer.byteLength(JSON.stringify(event))).toBeLessThan(1024 * 1024);
  });

  it('stores bodies moved to the bucket as downloads: the HTML as application/octet-stream body.html, the text as body.txt, through the SDK and the signed put alike', async () => {
    // Prepare: a customer's HTML with a script, and its text, each over 256 KiB (found by a review:
    // the HTML was stored inline `text/html`, so a presigned GET of htmlBodyKey ran the script on the bucket's origin)
    const filler = `<p>${'lorem ipsum '.repeat(40)}</p>\r\n`.repeat(700);
    const html = `<!doctype html><html><body><script>fetch('https://attacker.example/')</script>${filler}</body></html>`;
    const text = `${'Plain words of the same mail. '.repeat(10_000)}\r\n`;
    const raw = alternativeMail(
      ['From: a@customer.example', `To: ${SUPPORT}`, 'Message-ID: <big-html@customer.example>'],
      text,
      html,
    );
    const sent: Record<string, unknown>[] = [];
    const sdkStore = new S3BlobStore(
      {
        send: async (command: { input: Record<string, unknown> }) => {
          sent.push(command.input);
          return {};
        },
      } as never,
      'payloads',
    );
    const signedStore = new SignedS3BlobStore({ bucket: 'payloads', env: ORACLE_ENV });
    // Act
    const { events, blobs } = await normalizeInboundEmail(raw, context());
    const email = messageOf(events).data.email;
    const stored = [email?.htmlBodyKey, email?.textBodyKey].map((key) =>
      blobs.find((blob) => blob.key === key),
    );
    for (const blob of stored) if (blob) await sdkStore.put(blob);
    const signed = stored.map((blob) => (blob ? signedStore.signedPut(blob).headers : {}));
    // Assess
    expect(email?.htmlBodyKey).toMatch(/^bodies\/.+\/[0-9a-f]{64}\.html$/);
    expect(email?.textBodyKey).toMatch(/^bodies\/.+\/[0-9a-f]{64}\.txt$/);
    expect(stored.map((blob) => [blob?.contentType, blob?.contentDisposition])).toEqual([
      ['application/octet-stream', 'attachment; filename="body.html"'],
      ['text/plain; charset=utf-8', 'attachment; filename="body.txt"'],
    ]);
    // The customer's HTML itself: only the object's headers are neutralized
    expect(
      Buffer.from(stored[0]?.bytes ?? [])
        .toString('utf8')
        .startsWith(html.slice(0, 120)),
    ).toBe(true);
    expect(sent.map((input) => [input.ContentType, input.ContentDisposition])).toEqual([
      ['application/octet-stream', 'attachment; filename="body.html"'],
      ['text/plain; charset=utf-8', 'attachment; filename="body.txt"'],
    ]);
    expect(signed.map((headers) => [headers['content-type'], headers['content-disposition']])).toEqual([
      ['application/octet-stream', 'attachment; filename="body.html"'],
      ['text/plain; charset=utf-8', 'attachment; filename="body.txt"'],
    ]);
    expect(signed[0]?.authorization).toContain('content-disposition;content-length;content-type;');
  });

  it('passes on an e-mail without any sender as an unsupported event with its raw MIME stored', async () => {
    // Prepare
    const raw = mime([`To: ${SUPPORT}`, 'Subject: who am I']);
    // Act
    const { events, blobs } = await normalizeInboundEmail(raw, context());
    // Assess
    const [event] = events;
    expect(event?.type).toBe('switchboard.provider.unsupported');
    if (event?.type !== 'switchboard.provider.unsupported') throw new Error('wrong type');
    expect(event.data.providerType).toBe('email.without_parties');
    expect(blobs.map((blob) => blob.key)).toEqual([(event.data.raw as { rawMimeKey: string }).rawMimeKey]);
  });

  it('gives a message without Message-ID the same derived id every time', async () => {
    // Prepare
    const raw = mime(['From: a@customer.example', `To: ${SUPPORT}`]);
    // Act
    const first = messageOf((await normalizeInboundEmail(raw, context())).events);
    const again = messageOf((await normalizeInboundEmail(raw, context())).events);
    // Assess
    expect(first.data.providerMessageId).toMatch(/^[0-9a-f]{32}@derived\.switchboard\.invalid$/);
    expect(again.id).toBe(first.id);
  });

  it.each(['<>', 'none', '<  >', '<none>', '<@>'])(
    'keeps two senders’ mails with the Message-ID %s apart, and a retry of one the same',
    async (header) => {
      // Prepare: one mailer that writes the same meaningless Message-ID (and In-Reply-To) for everyone
      const mailOf = (from: string, text: string) =>
        mime(
          [`From: ${from}`, `To: ${SUPPORT}`, `Message-ID: ${header}`, `In-Reply-To: ${header}`],
          `${text}\r\n`,
        );
      const alice = mailOf('Alice <alice@customer.example>', 'My order is late');
      const bob = mailOf('Bob <bob@other.example>', 'Please change my address');
      // Act
      const aliceEvent = messageOf((await normalizeInboundEmail(alice, context())).events);
      const bobEvent = messageOf((await normalizeInboundEmail(bob, context())).events);
      const aliceRetry = messageOf((await normalizeInboundEmail(Buffer.from(alice), context())).events);
      // Assess: two messages in two conversations, each its own thread root
      expect(bobEvent.id).not.toBe(aliceEvent.id);
      expect(bobEvent.data.hubMessageId).not.toBe(aliceEvent.data.hubMessageId);
      expect(bobEvent.data.conversationId).not.toBe(aliceEvent.data.conversationId);
      expect(aliceEvent.data.providerMessageId).toMatch(/^[0-9a-f]{32}@derived\.switchboard\.invalid$/);
      expect(aliceEvent.data.conversationId).toBe(
        emailThreadConversationId(SUPPORT, aliceEvent.data.providerMessageId, 'alice@customer.example'),
      );
      expect(aliceEvent.data.replyTo).toBeUndefined();
      expect(aliceEvent.data.email?.references).toEqual([]);
      // The provider's retry of the same bytes is the same message, event and conversation
      expect(aliceRetry.id).toBe(aliceEvent.id);
      expect(aliceRetry.data.hubMessageId).toBe(aliceEvent.data.hubMessageId);
      expect(aliceRetry.data.conversationId).toBe(aliceEvent.data.conversationId);
    },
  );

  it('still reads an unbracketed Message-ID that is an id', async () => {
    // Prepare
    const raw = mime(['From: a@customer.example', `To: ${SUPPORT}`, 'Message-ID: bare-1@customer.example']);
    // Act
    const event = messageOf((await normalizeInboundEmail(raw, context())).events);
    // Assess
    expect(event.data.providerMessageId).toBe('bare-1@customer.example');
  });

  describe('a mail From the business’s own address, as SES judged it', () => {
    // Prepare: someone writes "as" support to a customer and copies the support address
    const raw = mime([
      'From: Support <support@switchboard.example>',
      'To: Maria <maria@customer.example>',
      'Message-ID: <forged-1@attacker.example>',
      'References: <maria-1@customer.example>',
    ]);
    const verdictsOf = (dmarc: string, spf: string, dkim: string) => ({
      spf,
      dkim,
      dmarc,
      spam: 'PASS',
      virus: 'PASS',
    });
    const sesContext = (dmarc: string, spf: string, dkim = 'GRAY', headerFrom = SUPPORT) => ({
      ...context(),
      envelopeSender: 'bounce@attacker.example',
      headerFrom,
      verdicts: verdictsOf(dmarc, spf, dkim),
      rawMimeKey: 'ses-inbound/forged-1',
    });

    it.each([
      ['DMARC FAIL', 'FAIL', 'PASS', 'GRAY', SUPPORT],
      ['DMARC FAIL and SPF FAIL', 'FAIL', 'FAIL', 'GRAY', SUPPORT],
      ['SPF FAIL without a DMARC verdict', 'GRAY', 'FAIL', 'GRAY', SUPPORT],
      // The business's domain publishes no DMARC record; SPF judged the envelope the sender chose
      ['no DMARC record and SPF PASS of the sender’s own envelope', 'GRAY', 'PASS', 'GRAY', SUPPORT],
      // Any domain can sign a mail: a DKIM PASS without DMARC's alignment names no From
      ['DKIM PASS and SPF PASS without a DMARC PASS', 'GRAY', 'PASS', 'PASS', SUPPORT],
      ['DMARC PROCESSING_FAILED', 'PROCESSING_FAILED', 'PASS', 'PASS', SUPPORT],
      // SES's DMARC PASS is of the From it read, which is not the one the parse reads
      ['DMARC PASS of another From than the one read', 'PASS', 'PASS', 'PASS', 'bounce@attacker.example'],
    ])(
      'is no copy of the business’s mail on %s: kept unsupported, in no conversation',
      async (_label, dmarc, spf, dkim, headerFrom) => {
        // Act
        const { events } = await normalizeInboundEmail(raw, sesContext(dmarc, spf, dkim, headerFrom));
        // Assess
        expect(events.map((event) => event.type)).toEqual(['switchboard.provider.unsupported']);
        const [event] = events;
        if (event?.type !== 'switchboard.provider.unsupported') throw new Error('wrong type');
        expect(HubEventSchema.safeParse(event).success).toBe(true);
        expect(event.data.providerType).toBe('email.unauthenticated_own_address');
        expect(event.data).not.toHaveProperty('contact');
        expect(event.data.raw).toMatchObject({
          rawMimeKey: 'ses-inbound/forged-1',
          verdicts: verdictsOf(dmarc, spf, dkim),
        });
      },
    );

    it.each([
      ['DMARC PASS', 'PASS', 'PASS'],
      ['DMARC PASS despite SPF FAIL (a relayed copy its DKIM vouches for)', 'PASS', 'FAIL'],
    ])('is the business’s own copy on %s', async (_label, dmarc, spf) => {
      // Act
      const event = messageOf((await normalizeInboundEmail(raw, sesContext(dmarc, spf, 'PASS'))).events);
      // Assess
      expect(event.type).toBe('switchboard.message.sent');
      expect(event.data.contact.identities).toEqual([{ type: 'email', value: 'maria@customer.example' }]);
    });

    it('is the business’s own copy over Mailgun, which passes no verdicts', async () => {
      // Act
      const event = messageOf(
        (await normalizeInboundEmail(raw, { ...context(), provider: 'mailgun', headerFrom: SUPPORT })).events,
      );
      // Assess
      expect(event.type).toBe('switchboard.message.sent');
      expect(event.data.contact.identities).toEqual([{ type: 'email', value: 'maria@customer.example' }]);
    });
  });
});
