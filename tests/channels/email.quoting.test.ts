import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { htmlToText } from '#shared/channels/email/inbound/html-to-text.ts';
import { stripQuotedHistory } from '#shared/channels/email/inbound/quoting.ts';

const NEW_TEXT = 'Thanks, that works.';

describe('quoted history stripping', () => {
  it.each([
    [
      'English attribution',
      `${NEW_TEXT}\n\nOn Mon, 3 Nov 2026 at 10:00, Support <s@x.example> wrote:\n> old`,
    ],
    [
      'wrapped English attribution',
      `${NEW_TEXT}\n\nOn Mon, Nov 3, 2026 at 10:00 AM Support Team <\ns@x.example> wrote:\n> old`,
    ],
    ['German', `${NEW_TEXT}\n\nAm 03.11.2026 um 10:00 schrieb Support <s@x.example>:\n> alt`],
    ['French', `${NEW_TEXT}\n\nLe lun. 3 nov. 2026 à 10:00, Support <s@x.example> a écrit :\n> ancien`],
    ['Spanish', `${NEW_TEXT}\n\nEl lun, 3 nov 2026 a las 10:00, Support (<s@x.example>) escribió:\n> viejo`],
    [
      'Italian',
      `${NEW_TEXT}\n\nIl giorno lun 3 nov 2026 alle ore 10:00 Support <s@x.example> ha scritto:\n> vecchio`,
    ],
    ['Dutch', `${NEW_TEXT}\n\nOp ma 3 nov. 2026 om 10:00 schreef Support <s@x.example>:\n> oud`],
    [
      'Greek',
      `${NEW_TEXT}\n\nΣτις Δευ 3 Νοε 2026 στις 10:00 π.μ., ο/η Support <s@x.example> έγραψε:\n> παλιό`,
    ],
    [
      'Portuguese',
      `${NEW_TEXT}\n\nEm seg., 3 de nov. de 2026 às 10:00, Support <s@x.example> escreveu:\n> antigo`,
    ],
    ['Polish', `${NEW_TEXT}\n\nW dniu 3.11.2026 o 10:00 Support <s@x.example> napisał(a):\n> stary`],
    ['Russian', `${NEW_TEXT}\n\n3 нояб. 2026 г., в 10:00, Support <s@x.example> написал(а):\n> старый`],
    ['Swedish', `${NEW_TEXT}\n\nDen 3 nov. 2026 kl. 10:00 skrev Support <s@x.example>:\n> gammal`],
    ['name-only attribution', `${NEW_TEXT}\n\nSupport <s@x.example> wrote:\n> old`],
    ['Outlook separator', `${NEW_TEXT}\n\n-----Original Message-----\nFrom: Support\nSent: Monday\nold`],
    ['German Outlook separator', `${NEW_TEXT}\n\n-----Ursprüngliche Nachricht-----\nVon: Support\nalt`],
    [
      'Outlook header block',
      `${NEW_TEXT}\n\n________________________________\nFrom: Support <s@x.example>\nSent: Monday, 3 November 2026 10:00\nTo: Me\nold`,
    ],
    ['Outlook header block, bold', `${NEW_TEXT}\n\n*From:* Support <s@x.example>\n*Sent:* Monday\nold`],
    [
      'French Outlook header block',
      `${NEW_TEXT}\n\nDe : Support <s@x.example>\nEnvoyé : lundi 3 novembre 2026 10:00\nancien`,
    ],
    [
      'German Outlook header block',
      `${NEW_TEXT}\n\nVon: Support <s@x.example>\nGesendet: Montag, 3. November 2026 10:00\nalt`,
    ],
    ['signature delimiter', `${NEW_TEXT}\n-- \nMaria Keller\nKeller & Co.`],
    ['signature delimiter without its space', `${NEW_TEXT}\n--\nMaria`],
    ['bare quoted lines', `${NEW_TEXT}\n> old line\n>> older line`],
    ['CRLF line ends', `${NEW_TEXT}\r\n\r\nOn Mon, 3 Nov 2026, Support <s@x.example> wrote:\r\n> old`],
  ])('strips %s', (_label, text) => {
    // Act
    const reply = stripQuotedHistory(text);
    // Assess
    expect(reply).toBe(NEW_TEXT);
  });

  it('keeps interleaved answers and drops the quoted lines between them', () => {
    // Prepare
    const text = '> Which plan?\nThe yearly one.\n> Which seat count?\nFive.';
    // Act
    const reply = stripQuotedHistory(text);
    // Assess
    expect(reply).toBe('The yearly one.\nFive.');
  });

  it.each([
    ['a sentence mentioning "wrote:" mid-line', 'I wrote: please check the invoice.'],
    ['a "From:" line without a Sent line', 'From: the warehouse, the parcel left today.\nThanks'],
    ['a line of dashes', 'Total\n-----\n42'],
  ])('keeps %s', (_label, text) => {
    // Act
    const reply = stripQuotedHistory(text);
    // Assess
    expect(reply).toBe(text);
  });

  it('keeps the answer written below the quote and the attribution above it', () => {
    // Prepare
    const text = 'On 03/11/2026 10:00, Support wrote:\n> Which plan?\n\nThe yearly one.\n\nAnna';
    // Act
    const reply = stripQuotedHistory(text);
    // Assess
    expect(reply).toBe('The yearly one.\n\nAnna');
  });

  it('keeps the answers between the parts of a quote introduced by an attribution', () => {
    // Prepare
    const text = `Hi,\n\nAm 03.11.2026 um 10:00 schrieb Support <s@x.example>:\n> Farbe?\n\nBlau.\n\n> Größe?\n\nM.`;
    // Act
    const reply = stripQuotedHistory(text);
    // Assess
    expect(reply).toBe('Hi,\n\nBlau.\n\nM.');
  });

  it('cuts at an attribution whose history is not marked with ">"', () => {
    // Prepare
    const text = `${NEW_TEXT}\n\n  On Monday, November 3, 2026, 10:00:00 AM GMT+1, Support <s@x.example> wrote:  \n \nold text`;
    // Act
    const reply = stripQuotedHistory(text);
    // Assess
    expect(reply).toBe(NEW_TEXT);
  });

  it.each([
    ['Sent from my iPhone'],
    ['Von meinem iPhone gesendet'],
    ['Envoyé de mon iPhone'],
    ['Enviado desde mi iPhone'],
    ['Sendt fra min iPad'],
    ['Sent from Outlook Mobile'],
    ['Get Outlook for Android<https://aka.ms/ghei36>'],
  ])('drops the mobile footer "%s"', (footer) => {
    // Act
    const reply = stripQuotedHistory(
      `${NEW_TEXT}\n\n${footer}\n\nOn Mon, 3 Nov 2026, Support <s@x.example> wrote:\n> old`,
    );
    // Assess
    expect(reply).toBe(NEW_TEXT);
  });

  it.each([
    [
      'Italian Outlook header block',
      `${NEW_TEXT}\n\nDa: Assistenza <s@x.example>\nData: lunedì 3 novembre 2026 10:00\nOggetto: Ordine\nvecchio`,
    ],
    [
      'Ukrainian attribution',
      `${NEW_TEXT}\n\nпн, 3 лист. 2026 р. о 10:00 Support <s@x.example> пише:\n> старе`,
    ],
    ['French attribution', `${NEW_TEXT}\n\nLe 03/11/2026 à 10:00, Support a écrit :\n> ancien`],
    [
      'forwarded message',
      `${NEW_TEXT}\n\n---------- Forwarded message ---------\nFrom: Courier <c@x.example>\nold`,
    ],
  ])('strips the %s', (_label, text) => {
    // Act
    const reply = stripQuotedHistory(text);
    // Assess
    expect(reply).toBe(NEW_TEXT);
  });

  it('keeps an attribution-like line that names no date nor address when no quote follows', () => {
    // Prepare
    const text = 'On Monday I wrote:\nplease cancel the order.';
    // Act
    const reply = stripQuotedHistory(text);
    // Assess
    expect(reply).toBe(text);
  });

  it('returns undefined when everything is quoted', () => {
    // Act
    const reply = stripQuotedHistory('> only a quote\n> nothing new');
    // Assess
    expect(reply).toBeUndefined();
  });
});

describe('HTML to text', () => {
  it('drops invisible elements and keeps the visible text with its structure', () => {
    // Prepare
    const html =
      '<html><head><title>T</title><style>p{}</style></head><body><p>Hello&nbsp;<b>there</b></p><!-- hidden --><ul><li>one</li><li>two</li></ul><script>x()</script>A &amp; B &#233; &#x1F600;<br>end</body></html>';
    // Act
    const text = htmlToText(html);
    // Assess
    expect(text).toBe('Hello there\n\n- one\n- two\n\nA & B é 😀\nend');
  });

  it('keeps every character of the text as written: a capital dotted I, a Kelvin sign, an Ångström sign', () => {
    // Prepare: characters whose lower case differs in length or is ASCII, beside invisible parts in upper case
    const html =
      '<P>İade talebim var, İstanbul. 5 K, 3 Å</P><SCRIPT>x()</SCRIPT><STYLE>p{}</STYLE>İyi günler';
    // Act
    const text = htmlToText(html);
    // Assess: before 2026-12-06 each of the three became U+FFFD
    expect(text).toBe('İade talebim var, İstanbul. 5 K, 3 Å\n\nİyi günler');
  });

  it('keeps any text without markup as it is', () => {
    fc.assert(
      fc.property(
        // Any grapheme, and often those whose case mapping is unusual (another length, or ASCII).
        fc
          .string({
            unit: fc.oneof(
              fc.constantFrom('İ', 'K', 'Å', 'ſ', 'ẞ'),
              fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }),
            ),
            minLength: 1,
          })
          .filter((text) => !/[<>&\s]/u.test(text)),
        (text) => {
          // Act
          const kept = htmlToText(`<div>${text}</div>`);
          // Assess
          expect(kept).toBe(text);
        },
      ),
    );
  });

  it('leaves a stray "<" that starts no tag', () => {
    // Act
    const text = htmlToText('<p>1 < 2 and 3 > 2</p>');
    // Assess
    expect(text).toBe('1 < 2 and 3 > 2');
  });
});
