import { describe, expect, it } from 'vitest';
import { MAX_BASE64_PIECES } from '#shared/channels/email/inbound/base64-budget.ts';
import { normalizeInboundEmail } from '#shared/channels/email/inbound/normalize.ts';
import { FIXTURE_RECEIVED_AT } from '#tests/support/requests.ts';

/*
 * Base64 padding inside a part: postal-mime decodes base64 in pieces that end at each `=`, one
 * buffer per piece joined in one Blob, and anyone can send a mail of a million `QQ==` groups.
 */

const CONTEXT = {
  provider: 'mailgun' as const,
  receivedAt: FIXTURE_RECEIVED_AT,
  envelopeRecipients: ['support@switchboard.example'],
  rawMimeKey: 'raw/email/base64-pieces.eml',
};

const HEADERS = [
  'From: Maria <maria@customer.example>',
  'To: support@switchboard.example',
  'Subject: Pieces',
  'Message-ID: <base64-pieces@customer.example>',
];

const in76 = (text: string): string[] => text.match(/.{1,76}/g) ?? [];

/** A mail of a short text and one base64 attachment whose body is `lines`. */
const mailWithAttachment = (lines: readonly string[]) =>
  [
    ...HEADERS,
    'Content-Type: multipart/mixed; boundary=b',
    '',
    '--b',
    'Content-Type: text/plain',
    '',
    'The file is attached.',
    '--b',
    'Content-Type: application/octet-stream; name=file.bin',
    'Content-Disposition: attachment; filename=file.bin',
    'Content-Transfer-Encoding: base64',
    '',
    ...lines,
    '--b--',
  ].join('\r\n');

const refusal = {
  type: 'switchboard.provider.unsupported',
  data: {
    providerType: 'email.too_many_base64_pieces',
    raw: { maxBase64Pieces: MAX_BASE64_PIECES, rawMimeKey: CONTEXT.rawMimeKey },
  },
};

const elapsedMs = async (run: () => Promise<unknown>): Promise<number> => {
  const start = performance.now();
  await run();
  return performance.now() - start;
};

describe('base64 padding inside a part', () => {
  it('keeps 4 MB of QQ== on one line as unsupported, in the time a normal 4 MB attachment takes', async () => {
    // Prepare: 1 million padded groups took 40 s; the baseline is a 4 MB attachment of 76-character lines.
    const hostile = Buffer.from(mailWithAttachment(['QQ=='.repeat(1_000_000)]), 'latin1');
    const normal = Buffer.from(
      mailWithAttachment(in76(Buffer.alloc(3_000_000, 7).toString('base64'))),
      'latin1',
    );
    await normalizeInboundEmail(normal, CONTEXT);
    // Act
    const { events } = await normalizeInboundEmail(hostile, CONTEXT);
    let hostileMs = Number.POSITIVE_INFINITY;
    let normalMs = Number.POSITIVE_INFINITY;
    for (let run = 0; run < 3; run += 1) {
      hostileMs = Math.min(hostileMs, await elapsedMs(() => normalizeInboundEmail(hostile, CONTEXT)));
      normalMs = Math.min(normalMs, await elapsedMs(() => normalizeInboundEmail(normal, CONTEXT)));
    }
    // Assess
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject(refusal);
    // Splitting the 4 MB line at each `=` (a million pieces) before the count stops it is linear
    // work of its own, about 2.5× the attachment on a quiet machine; its million small strings make
    // it sensitive to garbage collection under a loaded test run, hence the margin. The 40 s it was is
    // 270×, far outside it.
    expect(hostileMs, `QQ==: ${hostileMs.toFixed(0)} ms, attachment: ${normalMs.toFixed(0)} ms`).toBeLessThan(
      20 * normalMs,
    );
  });

  it('keeps padded groups in 76-character lines as unsupported too', async () => {
    // Prepare: no line is longer than base64 lines are; 150,100 pieces.
    const mime = Buffer.from(mailWithAttachment(in76('QQ=='.repeat(MAX_BASE64_PIECES + 100))), 'latin1');
    // Act
    const { events } = await normalizeInboundEmail(mime, CONTEXT);
    // Assess
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject(refusal);
  });

  it('counts the pieces of an attachment inside a forward read inline, which a nested parser decodes', async () => {
    // Prepare: the mail's own parts hold no base64; the forward's attachment does, decoded only
    // when the forward is read inline. (A forward sent base64 is not read inline at all: postal-mime
    // 4.1.4 on keeps it a file, see email.encoded-words.test.ts.)
    const forward = mailWithAttachment(in76('QQ=='.repeat(MAX_BASE64_PIECES + 100)));
    const mime = Buffer.from(
      [...HEADERS, 'Content-Type: message/rfc822', '', forward].join('\r\n'),
      'latin1',
    );
    // Act
    const { events } = await normalizeInboundEmail(mime, CONTEXT);
    // Assess
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject(refusal);
  });

  it('reads an attachment whose sender pads every line', async () => {
    // Prepare: 1,000 lines of 57 bytes, each encoded and padded on its own (76 characters, no `=`)
    // but for a last group of one byte per line: `QQ==`, one piece per line.
    const lines = Array.from({ length: 1000 }, () => `${Buffer.alloc(57, 7).toString('base64')}QQ==`);
    const mime = Buffer.from(mailWithAttachment(lines), 'latin1');
    // Act
    const { events } = await normalizeInboundEmail(mime, CONTEXT);
    // Assess
    const [message] = events;
    expect(message?.type).toBe('switchboard.message.received');
    if (message?.type !== 'switchboard.message.received') return;
    expect(message.data.parts).toContainEqual(
      expect.objectContaining({ type: 'media', filename: 'file.bin', size: 58_000 }),
    );
  });

  it('reads a long quoted-printable body of escapes, as non-Latin text comes', async () => {
    // Prepare: 200,000 Cyrillic letters, 400,000 escapes in 1.2 MB of soft-broken lines.
    const escaped = in76('=D0=BF'.repeat(200_000)).join('=\r\n');
    const mime = Buffer.from(
      [
        ...HEADERS,
        'Content-Type: text/plain; charset=utf-8',
        'Content-Transfer-Encoding: quoted-printable',
        '',
        escaped,
      ].join('\r\n'),
      'latin1',
    );
    // Act
    const { events } = await normalizeInboundEmail(mime, CONTEXT);
    // Assess
    const [message] = events;
    expect(message?.type).toBe('switchboard.message.received');
    if (message?.type !== 'switchboard.message.received') return;
    const [part] = message.data.parts;
    expect(part?.type === 'text' && part.text.startsWith('пппп')).toBe(true);
  });
});
