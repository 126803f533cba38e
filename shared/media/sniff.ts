import { mediaTypeOf } from '#shared/validation/media-type.ts';
import { ascii, FIXED_SIGNATURES, startsWith } from './signatures.ts';

/*
 * The content type of a file, from its first bytes: the types the providers deliver as
 * attachments (WhatsApp, Twilio MMS, Messenger). No library for this is among the hub's
 * dependencies (`file-type` is ESM-only and pulls in a tokenizer stack for hundreds of formats);
 * these signatures are the documented magic numbers, checked on the first chunk of the stream.
 */

/*
 * ISO base media files (ISO/IEC 14496-12) open with a `ftyp` box: its size (4 bytes), `ftyp`, the
 * major brand (4), a minor version (4), then compatible brands (4 each) to the end of the box. The
 * brand says what the file is: the registrations of MP4 (14496-14), HEIF (23008-12), AVIF, 3GPP
 * (TS 26.244), 3GPP2 (C.S0050) and Apple's QuickTime and iTunes brands.
 */

/** HEIF brands of one coded format: an image (or a collection), or an image sequence. */
const HEIF_BRANDS: Readonly<Record<string, string>> = {
  heic: 'image/heic',
  heix: 'image/heic',
  heim: 'image/heic',
  heis: 'image/heic',
  hevc: 'image/heic-sequence',
  hevx: 'image/heic-sequence',
  hevm: 'image/heic-sequence',
  hevs: 'image/heic-sequence',
  avif: 'image/avif',
  avis: 'image/avif',
};

/** HEIF's brands that name no coded format: the file's compatible brands may name one. */
const GENERIC_HEIF_BRANDS: Readonly<Record<string, string>> = {
  mif1: 'image/heif',
  msf1: 'image/heif-sequence',
};

/** The other brands the providers' attachments carry. */
const OTHER_BRANDS: Readonly<Record<string, string>> = {
  'M4A ': 'audio/mp4',
  'M4B ': 'audio/mp4',
  'M4P ': 'audio/mp4',
  'qt  ': 'video/quicktime',
  ...Object.fromEntries(
    [
      'isom',
      'iso2',
      'iso3',
      'iso4',
      'iso5',
      'iso6',
      'iso7',
      'iso8',
      'iso9',
      'mp41',
      'mp42',
      'avc1',
      'M4V ',
      'M4VH',
      'M4VP',
      'dash',
      'mmp4',
      'MSNV',
    ].map((brand) => [brand, 'video/mp4']),
  ),
};

/** `3gp4`…`3gp9`, `3gr6`, `3gs7`, `3ge9`, `3gg6`, …: 3GPP; `3g2a`…: 3GPP2. */
const threeGppTypeOf = (brand: string): string | undefined => {
  if (/^3g2[a-z]$/.test(brand)) return 'video/3gpp2';
  if (/^3g[a-z][0-9]$/.test(brand)) return 'video/3gpp';
  return undefined;
};

const brandTypeOf = (brand: string): string | undefined =>
  HEIF_BRANDS[brand] ?? GENERIC_HEIF_BRANDS[brand] ?? OTHER_BRANDS[brand] ?? threeGppTypeOf(brand);

/** The brands of the `ftyp` box that starts `head`: the major one first, then the compatible ones. */
const brandsOf = (head: Uint8Array): string[] => {
  const boxSize = new DataView(head.buffer, head.byteOffset, head.byteLength).getUint32(0);
  // A size of 0 is a box that runs to the end of the file.
  const end = boxSize === 0 ? head.length : Math.min(head.length, boxSize);
  const brands = [String.fromCharCode(...head.slice(8, 12))];
  for (let offset = 16; offset + 4 <= end; offset += 4)
    brands.push(String.fromCharCode(...head.slice(offset, offset + 4)));
  return brands;
};

/** The type an ISO base media file is, by its brands; `application/mp4` when none is known. */
const isoBmffTypeOf = (head: Uint8Array): string => {
  const [major = '', ...compatible] = brandsOf(head);
  const heifFormat = () => compatible.map((brand) => HEIF_BRANDS[brand]).find((type) => type !== undefined);
  const generic = GENERIC_HEIF_BRANDS[major];
  if (generic) return heifFormat() ?? generic;
  const known = brandTypeOf(major);
  if (known) return known;
  // An unregistered major brand (a camera's own): the first compatible brand known here.
  return heifFormat() ?? compatible.map(brandTypeOf).find((type) => type !== undefined) ?? 'application/mp4';
};

/** The content type the bytes are, or undefined when none of the known signatures matches. */
const sniffContentType = (head: Uint8Array): string | undefined => {
  // The signatures do not overlap: the order does not matter.
  for (const [type, matches] of FIXED_SIGNATURES) if (matches(head)) return type;
  if (startsWith(head, ascii('ID3')) || startsWith(head, [0xff, 0xfb])) return 'audio/mpeg';
  if (startsWith(head, ascii('ftyp'), 4) && head.length >= 12) return isoBmffTypeOf(head);
  if (startsWith(head, [0x50, 0x4b, 0x03, 0x04])) return 'application/zip';
  return undefined;
};

/** Every type an ISO base media file is declared as (and `application/mp4`, none known). */
const ISO_BMFF_TYPES = new Set([
  'application/mp4',
  'video/mp4',
  'audio/mp4',
  'video/x-m4v',
  'audio/x-m4a',
  'video/quicktime',
  'video/3gpp',
  'audio/3gpp',
  'video/3gpp2',
  'audio/3gpp2',
  'image/heif',
  'image/heic',
  'image/heif-sequence',
  'image/heic-sequence',
  'image/avif',
]);

const HEIF_TYPES = new Set([
  'image/heif',
  'image/heic',
  'image/heif-sequence',
  'image/heic-sequence',
  'image/avif',
]);

/**
 * Containers whose specific type only the provider knows (an .docx is a zip, an .m4a an mp4, a
 * `mif1` file is HEVC or AV1 inside, an Ogg file audio or video). A zip is the vendor formats' file:
 * Office's (.docx, and .xlsm and the other macro-enabled ones), OpenDocument's (.odt, .ods), Apple's
 * iWork, Android packages, KMZ, XPS, all `application/vnd.…`.
 */
const CONTAINERS: Readonly<Record<string, (declared: string) => boolean>> = {
  'application/zip': (declared) => declared.startsWith('application/vnd.') || declared.includes('zip'),
  'application/mp4': (declared) => ISO_BMFF_TYPES.has(declared),
  'video/mp4': (declared) => declared.startsWith('video/') || declared.startsWith('audio/'),
  'audio/mp4': (declared) => declared.startsWith('audio/'),
  'video/3gpp': (declared) => declared === 'audio/3gpp',
  'video/3gpp2': (declared) => declared === 'audio/3gpp2',
  'image/heif': (declared) => HEIF_TYPES.has(declared),
  'image/heif-sequence': (declared) => HEIF_TYPES.has(declared),
  'audio/ogg': (declared) =>
    declared.startsWith('audio/') || declared === 'application/ogg' || declared === 'video/ogg',
};

/**
 * A media type as RFC 6838 names one (`type/subtype`, each a restricted-name: a letter or digit,
 * then at most 126 of letters, digits and `!#$&-^_.+`), lower case. Two bounded runs of disjoint
 * classes around one `/`: linear in the input, whatever the provider sent.
 */
const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/;

/** The declared type without its parameters, lower case; undefined unless it is a media type. */
const declaredTypeOf = (declared: string | undefined): string | undefined => {
  if (declared === undefined) return undefined;
  const base = mediaTypeOf(declared.slice(0, 512));
  return MEDIA_TYPE.test(base) ? base : undefined;
};

/**
 * The file's type (what `media_stored` tells as the part's `mimeType`): what the bytes are when
 * their signature says, the provider's word when the bytes agree with it or say nothing (plain text,
 * CSV, office files without a signature here), and `application/octet-stream` when neither says (a
 * declared type that is not a media type is none). The object is stored as it unless it is active
 * content or contradicts its signature (`storedAttachmentType`, ./stored-type.ts).
 */
export const checkedContentType = (head: Uint8Array, declared: string | undefined): string => {
  const sniffed = sniffContentType(head);
  const claimed = declaredTypeOf(declared);
  if (!sniffed) return claimed ?? 'application/octet-stream';
  if (claimed && (claimed === sniffed || CONTAINERS[sniffed]?.(claimed))) return claimed;
  return sniffed;
};
