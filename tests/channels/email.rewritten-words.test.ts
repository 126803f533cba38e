import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import PostalMime, { type Address, addressParser } from 'postal-mime';
import { describe, expect, it } from 'vitest';
import {
  decodeWork,
  EncodedWordOverrun,
  MAX_ENCODED_WORD_JOIN_WORK,
  withEncodedWordBudget,
} from '#shared/channels/email/inbound/encoded-word-budget.ts';
import { hasTooManyEncodedWords, MAX_ENCODED_WORDS } from '#shared/channels/email/inbound/headers.ts';
import { normalizeInboundEmail } from '#shared/channels/email/inbound/normalize.ts';
import type { HubEvent } from '#shared/contract/types.ts';
import { FIXTURE_RECEIVED_AT } from '#tests/support/requests.ts';

/*
 * Encoded words postal-mime decodes only after it has rewritten the header text they are in: a
 * quoted string's backslash escapes, RFC 2231 percent-encoding and sections, comments set aside
 * inside a word, an address list inside one encoded word. No count over the raw mail finds them,
 * and postal-mime joins adjacent words in time quadratic in their number (40,000 escaped ones in
 * a display name took 5.6 to 13 s; 100,000, 1.7 MB, 129 s, past the webhook's 28-second timeout).
 */

const CONTEXT = {
  provider: 'mailgun' as const,
  receivedAt: FIXTURE_RECEIVED_AT,
  envelopeRecipients: ['support@switchboard.example'],
  rawMimeKey: 'raw/email/rewritten-words.eml',
};

/** More words than the bound allows. */
const MANY = MAX_ENCODED_WORDS + 1000;

const ESCAPED_WORD = '=\\?utf-8\\?B\\?4pyT\\?= ';

const mime = (lines: readonly string[]): Buffer => Buffer.from(lines.join('\r\n'), 'utf8');

const mailWithHeaders = (headers: readonly string[]): Buffer =>
  mime([
    'To: support@switchboard.example',
    'Message-ID: <rewritten@customer.example>',
    ...(headers.some((header) => header.startsWith('From:')) ? [] : ['From: Maria <maria@customer.example>']),
    ...headers,
    'Content-Type: text/plain; charset=utf-8',
    '',
    'Hello',
  ]);

/** A mail with one attachment, whose part headers are `partHeaders`. */
const mailWithAttachment = (partHeaders: readonly string[]): Buffer =>
  mime([
    'From: Maria <maria@customer.example>',
    'To: support@switchboard.example',
    'Subject: The file',
    'Message-ID: <attachment@customer.example>',
    'Content-Type: multipart/mixed; boundary=b',
    '',
    '--b',
    'Content-Type: text/plain',
    '',
    'The file is attached.',
    '--b',
    ...partHeaders,
    '',
    'data',
    '--b--',
  ]);

const in76 = (text: string): string => (text.match(/.{1,76}/g) ?? []).join('\r\n');

const mailForwarding = (forwarded: Buffer): Buffer =>
  mime([
    'From: Jon <jon@customer.example>',
    'To: support@switchboard.example',
    'Subject: Fwd: the order',
    'Message-ID: <forward@customer.example>',
    'Content-Type: message/rfc822',
    '',
    forwarded.toString('latin1'),
  ]);

const bounceReturning = (original: Buffer): Buffer =>
  mime([
    'From: Mail Delivery Subsystem <mailer-daemon@mx.customer.example>',
    'To: support@switchboard.example',
    'Subject: Undelivered Mail Returned to Sender',
    'Message-ID: <bounce@mx.customer.example>',
    'Content-Type: multipart/report; report-type=delivery-status; boundary=b',
    '',
    '--b',
    'Content-Type: text/plain',
    '',
    'The mail could not be delivered.',
    '--b',
    'Content-Type: message/delivery-status',
    '',
    'Reporting-MTA: dns; mx.customer.example',
    '',
    'Final-Recipient: rfc822; maria@customer.example',
    'Action: failed',
    'Status: 5.1.1',
    '',
    '--b',
    'Content-Type: message/rfc822',
    'Content-Transfer-Encoding: base64',
    '',
    in76(original.toString('base64')),
    '--b--',
  ]);

const TOO_MANY = 'email.too_many_encoded_words';
const TOO_LONG = 'email.encoded_words_too_long';

/** Each form, built with `MANY` words the raw count cannot see, and the refusal it gets. */
const HIDDEN_FORMS: readonly [string, () => Buffer, string][] = [
  [
    'escaped words in a quoted display name',
    () => mailWithHeaders([`From: "${ESCAPED_WORD.repeat(MANY)}" <maria@customer.example>`]),
    TOO_MANY,
  ],
  [
    'escaped words in a quoted filename',
    () =>
      mailWithAttachment([
        'Content-Type: application/octet-stream',
        `Content-Disposition: attachment; filename="${ESCAPED_WORD.repeat(MANY)}"`,
      ]),
    TOO_MANY,
  ],
  [
    'percent-encoded words in an RFC 2231 filename',
    () =>
      mailWithAttachment([
        'Content-Type: application/octet-stream',
        `Content-Disposition: attachment; filename*=utf-8''${'%3D%3Futf-8%3FB%3F4pyT%3F%3D%20'.repeat(MANY)}`,
      ]),
    TOO_MANY,
  ],
  [
    'words split across filename*0, filename*1, …',
    () =>
      mailWithAttachment([
        'Content-Type: application/octet-stream',
        `Content-Disposition: attachment; ${Array.from(
          { length: MANY },
          (_, i) => `filename*${2 * i}="=?utf-8"; filename*${2 * i + 1}="?B?4pyT?= "`,
        ).join('; ')}`,
      ]),
    TOO_MANY,
  ],
  [
    'a comment holding a `?` inside each word of a display name',
    () => mailWithHeaders([`From: ${'=?utf-8?B?4pyT(?)?= '.repeat(MANY)}<maria@customer.example>`]),
    TOO_MANY,
  ],
  [
    'a comment holding a `?` inside each word of a Content-Type name',
    () =>
      mailWithAttachment([
        `Content-Type: application/octet-stream; name= ${'=?utf-8?B?4pyT (?)?= '.repeat(MANY)}`,
      ]),
    TOO_MANY,
  ],
  [
    'an address list inside one encoded word, parsed again once decoded',
    () =>
      mailWithHeaders([
        `Reply-To: =?utf-8?B?${Buffer.from(`${'=?utf-8?B?4pyT?= '.repeat(MANY)}<maria@customer.example>`).toString('base64')}?=`,
      ]),
    TOO_MANY,
  ],
  [
    'escaped words in the name of a group inside a group',
    () => mailWithHeaders([`Cc: team: "${ESCAPED_WORD.repeat(MANY)}": jon@customer.example;`]),
    TOO_MANY,
  ],
  [
    'escaped words in the From of a forward read inline',
    () =>
      mailForwarding(
        mime([
          `From: "${ESCAPED_WORD.repeat(MANY)}" <jon@customer.example>`,
          'To: support@switchboard.example',
          'Subject: the order',
          '',
          'Hello',
        ]),
      ),
    TOO_MANY,
  ],
  [
    "escaped words in the To of a bounce's returned original",
    () =>
      bounceReturning(
        mime([
          'From: Support <support@switchboard.example>',
          `To: "${ESCAPED_WORD.repeat(MANY)}" <maria@customer.example>`,
          'Subject: Your order',
          'Message-ID: <order@switchboard.example>',
          '',
          'Hello',
        ]),
      ),
    TOO_MANY,
  ],
];

const providerTypeOf = (events: readonly HubEvent[]): string | undefined => {
  const [event] = events;
  return event?.type === 'switchboard.provider.unsupported' ? event.data.providerType : event?.type;
};

describe('encoded words postal-mime decodes from rewritten header text', () => {
  it.each(HIDDEN_FORMS)('keeps a mail of %s as unsupported', async (_label, build, providerType) => {
    // Prepare: words the raw-text count does not see, more of them than the bound allows.
    const mail = build();
    expect(hasTooManyEncodedWords(mail.toString('latin1'))).toBe(false);
    // Act
    const { events } = await normalizeInboundEmail(mail, CONTEXT);
    // Assess
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'switchboard.provider.unsupported',
      data: {
        providerType,
        raw: { maxEncodedWords: MAX_ENCODED_WORDS, rawMimeKey: CONTEXT.rawMimeKey },
      },
    });
  });

  it('keeps a Subject of 400 words of 2,000 characters, under the word bound, as unsupported', async () => {
    // Prepare: joining them reads 160 million characters again (2,000 such words, 0.8 MB, took
    // 8.6 s; 5,000, 2 MB, 43 s), though the raw count sees only 400 words.
    const word = `=?utf-8?B?${'QUJD'.repeat(500)}?= `;
    const mail = mailWithHeaders([`Subject: ${word.repeat(400)}`]);
    expect(decodeWork(word.repeat(400)).joinWork).toBeGreaterThan(MAX_ENCODED_WORD_JOIN_WORK);
    // Act
    const { events } = await normalizeInboundEmail(mail, CONTEXT);
    // Assess
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'switchboard.provider.unsupported',
      data: { providerType: TOO_LONG, raw: { maxEncodedWordJoinWork: MAX_ENCODED_WORD_JOIN_WORK } },
    });
  });

  it('reads a mail of as many escaped words in a display name as the bound allows', async () => {
    // Prepare: the bound counts the words postal-mime decodes, no more.
    const mail = mailWithHeaders([
      `From: "${ESCAPED_WORD.repeat(MAX_ENCODED_WORDS - 1)}" <maria@customer.example>`,
      'Subject: =?utf-8?Q?caf=C3=A9?=',
    ]);
    // Act
    const { events } = await normalizeInboundEmail(mail, CONTEXT);
    // Assess
    const [message] = events;
    expect(message?.type).toBe('switchboard.message.received');
    if (message?.type !== 'switchboard.message.received') return;
    expect(message.data.contact.displayName).toBe('✓'.repeat(MAX_ENCODED_WORDS - 1));
    expect(message.data.email?.subject).toBe('café');
  });
});

/** Legitimate mail with escapes, RFC 2231 and a few encoded words. */
const LEGIT_MAIL = mime([
  'From: "Kov\\"acs =?utf-8?B?TcOhcmlh?=" (work) <maria@customer.example>',
  'To: support@switchboard.example, undisclosed-recipients:;',
  `Cc: ${Array.from({ length: 2000 }, (_, i) => `=?utf-8?Q?J=C3=B3n?= "\\"${i}\\"" <jon${i}@customer.example>`).join(', ')}`,
  'Reply-To: =?utf-8?B?TWFyaWEgPG1hcmlhQGN1c3RvbWVyLmV4YW1wbGU+?=',
  'Subject: =?utf-8?Q?Rapport_=C3=A9t=C3=A9?= =?utf-8?B?4pyT?= (2)',
  'Message-ID: <legit@customer.example>',
  'Content-Type: multipart/mixed; boundary=b',
  '',
  '--b',
  'Content-Type: text/plain; charset=utf-8',
  '',
  'See the files.',
  '--b',
  'Content-Type: application/pdf',
  "Content-Disposition: attachment; filename*=utf-8''Rapport%20%C3%A9t%C3%A9%20%3D%3F.pdf",
  '',
  'pdf',
  '--b',
  'Content-Type: text/csv; name="=?utf-8?B?4pyT?=-\\"list\\".csv"',
  'Content-Disposition: attachment',
  'Content-Description: =?utf-8?Q?Liste_=C3=A0_jour?=',
  '',
  'a,b',
  '--b',
  'Content-Type: application/octet-stream',
  `Content-Disposition: attachment; filename*0*=utf-8''%E2%9C%93; filename*1="-=?utf-8?Q?caf=C3=A9?=.bin"`,
  '',
  'bin',
  '--b--',
]);

describe('legitimate mail with rewritten header text', () => {
  it('decodes escaped names, RFC 2231 filenames and a few words exactly as postal-mime alone does', async () => {
    // Prepare: outside a budget the guard is transparent, so this is postal-mime's own reading.
    const unguarded = await PostalMime.parse(LEGIT_MAIL);
    // Act
    const { events } = await normalizeInboundEmail(LEGIT_MAIL, CONTEXT);
    const guarded = await withEncodedWordBudget(() => PostalMime.parse(LEGIT_MAIL));
    // Assess
    expect(guarded).toEqual(unguarded);
    const [message] = events;
    expect(message?.type).toBe('switchboard.message.received');
    if (message?.type !== 'switchboard.message.received') return;
    expect(message.data.contact.displayName).toBe('Kov"acs Mária');
    expect(message.data.email?.subject).toBe('Rapport été✓ (2)');
    expect(message.data.email?.cc).toHaveLength(100);
    expect(message.data.email?.cc[0]).toEqual({ address: 'jon0@customer.example', name: 'Jón "0"' });
    // An address only an encoded word spells is a name (postal-mime 4.1.1 on): no mailbox to answer.
    expect(message.data.email?.replyTo).toEqual([]);
    expect(message.data.email?.attachments.map((attachment) => attachment.filename)).toEqual([
      'Rapport été =?.pdf',
      '✓-"list".csv',
      '✓-café.bin',
    ]);
  });

  it('leaves postal-mime untouched outside a budget, and stops it inside one', async () => {
    // Prepare
    const hostile = mailWithHeaders([`From: "${ESCAPED_WORD.repeat(MANY)}" <maria@customer.example>`]);
    const small = mailWithHeaders([`From: "${ESCAPED_WORD.repeat(3)}" <maria@customer.example>`]);
    // Act
    const outside = await PostalMime.parse(small);
    const inside = withEncodedWordBudget(() => PostalMime.parse(hostile));
    // Assess
    expect(outside.from).toEqual({ address: 'maria@customer.example', name: '✓✓✓' });
    await expect(inside).rejects.toBeInstanceOf(EncodedWordOverrun);
    await expect(inside).rejects.toMatchObject({ bound: 'words' });
  });
});

/** postal-mime's ES module build, the one the hub imports. */
const POSTAL_MIME_DIST = new URL('../../node_modules/postal-mime/dist/esm/', import.meta.url);

/** The methods of a postal-mime module that call `callee(`: the method declared last above each call. */
const callersOf = (file: string, callee: string): string[] => {
  const lines = readFileSync(new URL(file, POSTAL_MIME_DIST), 'utf8').split('\n');
  let method = '(module)';
  const callers: string[] = [];
  for (const line of lines) {
    method = /^ {4}(?:async )?(\w+)\(.*\) \{$/.exec(line)?.[1] ?? method;
    if (line.includes(`${callee}(`) && !line.trimStart().startsWith('//') && !line.includes('function ')) {
      callers.push(method);
    }
  }
  return callers;
};

describe("postal-mime's decoding of words, where the guard counts it", () => {
  it('decodes words only in buildMessage and collectAttachment, and in its address parser', () => {
    // Prepare: a postal-mime that decodes words elsewhere would do so unguarded, so this fails first.
    const modules = readdirSync(POSTAL_MIME_DIST).filter((file) => file.endsWith('.js'));
    // Act
    const callers = Object.fromEntries(
      modules.map((file) => [
        file,
        [
          ...callersOf(file, 'decodeWords'),
          ...callersOf(file, 'addressParser'),
          ...callersOf(file, 'decodeWord'),
        ],
      ]),
    );
    // Assess
    expect(modules).toContain('postal-mime.js');
    expect(callers['postal-mime.js']).toEqual([
      'collectAttachment',
      'collectAttachment',
      'buildMessage',
      'buildMessage',
      'buildMessage',
      'buildMessage',
    ]);
    for (const file of modules.filter(
      (name) => !['postal-mime.js', 'address-parser.js', 'decode-strings.js'].includes(name),
    )) {
      expect(callers[file], file).toEqual([]);
    }
  });
});

describe('the count of what decodeWords decodes', () => {
  it('counts words and the joined text read again at each join', () => {
    // Prepare
    const run = '=?a?B?QUJD?= =?a?B?QUJD?=\r\n =?a?B?QUJD?=';
    const broken = '=?a?B?QUJD?= x =?a?B?QUJD?= =?b?B?QUJD?=';
    // Act
    const joined = decodeWork(run);
    const apart = decodeWork(broken);
    // Assess: 4 then 8 characters read again; text ends a run, another charset starts one.
    expect(joined).toEqual({ words: 3, joinWork: 12 });
    expect(apart).toEqual({ words: 3, joinWork: 4 });
  });

  const restore = (text: string): string => text.replaceAll('\ue000', '?');
  const restored = (addresses: readonly Address[]): Address[] =>
    addresses.map((address) =>
      address.group === undefined
        ? { address: restore(address.address), name: restore(address.name) }
        : {
            name: restore(address.name),
            group: address.group.map((member) => ({
              address: restore(member.address),
              name: restore(member.name),
            })),
          },
    );

  it('relies on postal-mime reading `?` in an address list as it reads a private-use character', () => {
    // The count parses each address list with `?` replaced; that must route every character as the
    // real parse does. Without `=` no text is an encoded word, so both parses decode nothing.
    const piece = fc.constantFrom(
      '"',
      '\\',
      '(',
      ')',
      '<',
      '>',
      ',',
      ';',
      ':',
      '@',
      ' ',
      '\t',
      '?',
      'a',
      'é',
      '.',
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 40 }), (pieces) => {
        // Prepare
        const value = pieces.join('');
        // Act
        const neutral = addressParser(value.replaceAll('?', '\ue000'));
        // Assess
        expect(restored(neutral)).toEqual(addressParser(value));
      }),
      { numRuns: 500 },
    );
  });

  it('refuses no mail of address lists of a few words, however they are quoted', async () => {
    // Any list of up to 12 mailboxes with quoted, escaped, commented or grouped names and up to
    // 3 words each stays far under the bounds and is read as a message.
    const word = fc.constantFrom('=?utf-8?B?4pyT?=', '=\\?utf-8\\?Q\\?caf=C3=A9\\?=', '=?utf-8?Q?a(?)b?=');
    const name = fc
      .tuple(fc.array(word, { maxLength: 3 }), fc.constantFrom('plain', 'quoted', 'comment'))
      .map(([words, form]) =>
        form === 'quoted'
          ? `"${words.join(' ')}"`
          : form === 'comment'
            ? `(${words.join(' ')})`
            : words.join(' '),
      );
    const mailbox = fc.tuple(name, fc.nat(99)).map(([display, n]) => `${display} <p${n}@customer.example>`);
    const list = fc
      .tuple(fc.array(mailbox, { minLength: 1, maxLength: 12 }), fc.boolean())
      .map(([boxes, grouped]) => (grouped ? `team: ${boxes.join(', ')};` : boxes.join(', ')));
    await fc.assert(
      fc.asyncProperty(list, async (cc) => {
        // Act
        const { events } = await normalizeInboundEmail(mailWithHeaders([`Cc: ${cc}`]), CONTEXT);
        // Assess
        expect(providerTypeOf(events)).toBe('switchboard.message.received');
      }),
      { numRuns: 100 },
    );
  });
});
