import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkedContentType } from '#shared/media/sniff.ts';

/*
 * The type an attachment is stored and announced as: its bytes' signature, the provider's declared
 * type where the bytes are a container only the provider can name, and never a declared string that
 * is not a media type. ISO base media files by their `ftyp` brands (major, then compatible).
 */

const bytesOf = (text: string): number[] => [...text].map((char) => char.charCodeAt(0));

/** The first 64 bytes of an ISO base media file (what the uploader sniffs): its `ftyp` box, then an `mdat`. */
const isoFile = (major: string, compatible: readonly string[] = []): Uint8Array => {
  const boxSize = 16 + 4 * compatible.length;
  const box = [
    0,
    0,
    0,
    boxSize,
    ...bytesOf('ftyp'),
    ...bytesOf(major),
    0,
    0,
    0,
    0,
    ...compatible.flatMap(bytesOf),
    ...[0, 0, 0, 8, ...bytesOf('mdat')],
  ];
  return new Uint8Array([...box, ...new Array(64).fill(0x20)].slice(0, 64));
};

const OGG = new Uint8Array([...bytesOf('OggS'), 0, 2, ...new Array(20).fill(0)]);
const PLAIN_TEXT = new Uint8Array(bytesOf('name,amount\nJane,12\n'));

describe('ISO base media files, by brand', () => {
  it.each([
    ['an iPhone HEIC photo', 'image/heic', isoFile('heic', ['mif1', 'heic'])],
    ['a 10-bit HEIC photo', 'image/heic', isoFile('heix', ['mif1', 'heix'])],
    ['a HEIC image sequence', 'image/heic-sequence', isoFile('hevc', ['msf1', 'hevc'])],
    ['a HEIF whose major brand is generic, HEVC inside', 'image/heic', isoFile('mif1', ['mif1', 'heic'])],
    [
      'a HEIF whose major brand is generic, AV1 inside',
      'image/avif',
      isoFile('mif1', ['mif1', 'miaf', 'avif']),
    ],
    ['a HEIF naming no coded format', 'image/heif', isoFile('mif1', ['mif1', 'miaf'])],
    ['a HEIF sequence naming no coded format', 'image/heif-sequence', isoFile('msf1', ['msf1'])],
    ['an AVIF image', 'image/avif', isoFile('avif', ['avif', 'mif1', 'miaf'])],
    ['an AVIF sequence', 'image/avif', isoFile('avis', ['avis', 'msf1', 'miaf'])],
    ['an iTunes audio file', 'audio/mp4', isoFile('M4A ', ['M4A ', 'mp42', 'isom'])],
    ['a QuickTime movie', 'video/quicktime', isoFile('qt  ', ['qt  '])],
    ['a 3GPP video', 'video/3gpp', isoFile('3gp4', ['3gp4', 'isom'])],
    ['a 3GPP progressive-download video', 'video/3gpp', isoFile('3gr6', ['3gr6'])],
    ['a 3GPP2 video', 'video/3gpp2', isoFile('3g2a', ['3g2a'])],
    ['an MP4 of isom', 'video/mp4', isoFile('isom', ['isom', 'iso2', 'avc1', 'mp41'])],
    ['an MP4 of mp42', 'video/mp4', isoFile('mp42', ['mp42', 'isom'])],
    ['an MP4 of iso6', 'video/mp4', isoFile('iso6', ['iso6'])],
    ['a DASH segment', 'video/mp4', isoFile('dash', ['iso6', 'dash'])],
    ['an Apple M4V', 'video/mp4', isoFile('M4V ', ['M4V ', 'M4A ', 'mp42'])],
    ["a camera's own brand, MP4-compatible", 'video/mp4', isoFile('XAVC', ['XAVC', 'mp42', 'iso2'])],
    ['a brand nothing here knows', 'application/mp4', isoFile('zzzz', ['zzzz'])],
  ])('%s is %s with no declared type', (_what, type, head) => {
    // Act
    const stored = checkedContentType(head, undefined);
    // Assess
    expect(stored).toBe(type);
  });

  it('stores a WhatsApp document that is an iPhone photo as the HEIC it is (declared or not), not as an mp4', () => {
    // Prepare
    const photo = isoFile('heic', ['mif1', 'heic']);
    // Act
    const types = ['image/heic', 'application/octet-stream', 'video/mp4', undefined].map((declared) =>
      checkedContentType(photo, declared),
    );
    // Assess
    expect(types).toEqual(['image/heic', 'image/heic', 'image/heic', 'image/heic']);
  });

  it('keeps a declared type of the ISO family for a brand it does not know, and nothing else', () => {
    // Prepare
    const unknown = isoFile('zzzz', ['zzzz']);
    // Act
    const types = ['image/heic', 'video/quicktime', 'audio/mp4', 'text/html', 'image/jpeg'].map((declared) =>
      checkedContentType(unknown, declared),
    );
    // Assess
    expect(types).toEqual([
      'image/heic',
      'video/quicktime',
      'audio/mp4',
      'application/mp4',
      'application/mp4',
    ]);
  });

  it("keeps what a generic brand cannot tell from the provider's word, within the same family", () => {
    // Prepare
    const heif = isoFile('mif1', ['mif1']);
    const mp4 = isoFile('isom', ['isom']);
    const threeGpp = isoFile('3gp5', ['3gp5']);
    // Act
    const types = [
      checkedContentType(heif, 'image/heic'),
      checkedContentType(heif, 'video/mp4'),
      checkedContentType(mp4, 'audio/mp4'),
      checkedContentType(threeGpp, 'audio/3gpp'),
      checkedContentType(threeGpp, 'video/mp4'),
    ];
    // Assess
    expect(types).toEqual(['image/heic', 'image/heif', 'audio/mp4', 'audio/3gpp', 'video/3gpp']);
  });
});

describe('zip, the container of the vendor formats', () => {
  const ZIP = new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0x14, 0, 0x06, 0, ...new Array(24).fill(0)]);

  it.each([
    [
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    ],
    ['application/vnd.oasis.opendocument.text', 'application/vnd.oasis.opendocument.text'],
    ['application/vnd.oasis.opendocument.spreadsheet', 'application/vnd.oasis.opendocument.spreadsheet'],
    ['application/vnd.ms-excel.sheet.macroEnabled.12', 'application/vnd.ms-excel.sheet.macroenabled.12'],
    ['application/vnd.android.package-archive', 'application/vnd.android.package-archive'],
    ['application/epub+zip', 'application/epub+zip'],
    ['application/octet-stream', 'application/zip'],
    ['application/pdf', 'application/zip'],
    ['text/plain', 'application/zip'],
    [undefined, 'application/zip'],
  ])('declared %s is stored as %s', (declared, type) => {
    // Act
    const stored = checkedContentType(ZIP, declared);
    // Assess
    expect(stored).toBe(type);
  });
});

describe('Ogg, a container of audio or video', () => {
  it.each([
    ['video/ogg', 'video/ogg'],
    ['audio/ogg; codecs=opus', 'audio/ogg'],
    ['application/ogg', 'application/ogg'],
    [undefined, 'audio/ogg'],
    ['text/plain', 'audio/ogg'],
  ])('declared %s is stored as %s', (declared, type) => {
    // Act
    const stored = checkedContentType(OGG, declared);
    // Assess
    expect(stored).toBe(type);
  });
});

describe("the provider's declared type, where the bytes say nothing", () => {
  it.each([
    ['text/csv; charset=utf-8', 'text/csv'],
    ['TEXT/Plain', 'text/plain'],
    ['application/vnd.ms-excel', 'application/vnd.ms-excel'],
    ['image/svg+xml', 'image/svg+xml'],
    ['text/html\r\nx-amz-meta-a: b', 'application/octet-stream'],
    ['text/<script>', 'application/octet-stream'],
    ['text', 'application/octet-stream'],
    ['text/', 'application/octet-stream'],
    ['/plain', 'application/octet-stream'],
    ['text/plain/x', 'application/octet-stream'],
    ['tëxt/plain', 'application/octet-stream'],
    ['"text/plain"', 'application/octet-stream'],
    [`text/${'a'.repeat(128)}`, 'application/octet-stream'],
    [`text/${'a'.repeat(127)}`, `text/${'a'.repeat(127)}`],
    ['', 'application/octet-stream'],
  ])('%j is stored as %s', (declared, type) => {
    // Act
    const stored = checkedContentType(PLAIN_TEXT, declared);
    // Assess
    expect(stored).toBe(type);
  });

  it('stores a media type token whatever the bytes and the declared string are', () => {
    // Assess
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 64 }),
        fc.option(fc.string({ maxLength: 300 })),
        (head, declared) => {
          const stored = checkedContentType(head, declared ?? undefined);
          expect(stored).toMatch(/^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/);
        },
      ),
    );
  });

  it('reads a declared type of a megabyte in linear time', () => {
    // Prepare: a near-miss the pattern could backtrack on
    const declared = `${'a'.repeat(1_000_000)}/`;
    const started = performance.now();
    // Act
    const stored = checkedContentType(PLAIN_TEXT, declared);
    // Assess
    expect(stored).toBe('application/octet-stream');
    expect(performance.now() - started).toBeLessThan(500);
  });
});
