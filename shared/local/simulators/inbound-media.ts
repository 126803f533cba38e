import { createCipheriv, createHash } from 'node:crypto';
import { crc32, deflateSync } from 'node:zlib';
import type { ProviderHandler } from './types.ts';

/*
 * The media customers send, as the providers hold it: WhatsApp media ids, Twilio Media resources,
 * Messenger attachment URLs. The simulators never received these files, so each is made up from
 * its id, the same bytes every time, from an AES-CTR keystream keyed by the id. Images are real ones
 * a browser draws (the console shows them): a small picture (a PNG in a colour of the id's, a grey
 * baseline JPEG) padded to the file's size with keystream in a segment decoders skip (a private PNG
 * chunk, a JPEG comment). A PDF is the PDF signature followed by keystream. A test computes the
 * expected bytes and sha256 with the same functions.
 *
 * Words in an id make the provider misbehave (no real id contains them: Meta's are digits,
 * Twilio's hex):
 * - `expired`: the id no longer resolves (WhatsApp: Graph error 100/33 on the lookup; Twilio: 404
 *   20404; Messenger CDN: 403 "URL signature expired").
 * - `checksum`: WhatsApp announces a sha256 (lookup and webhook) that is not the bytes'.
 * - `slow`: the download answers after SLOW_MEDIA_DELAY_MS.
 * - `huge`: a HUGE_MEDIA_BYTES PDF, generated chunk by chunk while it is sent (never in memory).
 * - `png`, `jpeg`, `pdf`: that type; otherwise the type follows from the id's hash.
 */

/** A WhatsApp document at its documented limit (100 MB), under the fetcher's 100 MiB cap. */
export const HUGE_MEDIA_BYTES = 100_000_000;
export const SLOW_MEDIA_DELAY_MS = 1_500;
const CHUNK_BYTES = 64 * 1024;

export type InboundMediaFault = 'expired' | 'checksum' | 'slow' | 'huge';

export interface InboundMedia {
  readonly id: string;
  readonly mimeType: 'image/jpeg' | 'image/png' | 'application/pdf';
  readonly size: number;
  readonly fault?: InboundMediaFault;
}

const PDF_SIGNATURE = Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n', 'latin1');

/** Side of the pictures, in pixels. */
const PICTURE_SIDE = 32;

/** A PNG chunk: length, type, data, CRC-32 of type and data (PNG spec, 5.3). */
const pngChunk = (type: string, data: Buffer): Buffer => {
  const typeAndData = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typeAndData));
  return Buffer.concat([length, typeAndData, crc]);
};

/**
 * A PNG of PICTURE_SIDE² pixels in one RGB colour, then a private ancillary chunk (`swPd`: a
 * decoder skips a chunk whose first letter is lower case) holding `padding` bytes of keystream so
 * the file is `size` bytes long.
 */
const pngOfSize = (size: number, colour: Buffer, keystream: (length: number) => Buffer): Buffer => {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(PICTURE_SIDE, 0);
  header.writeUInt32BE(PICTURE_SIDE, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8 bits per sample, RGB, deflate, adaptive filters, no interlace
  const row = Buffer.concat([Buffer.from([0]), ...Array.from({ length: PICTURE_SIDE }, () => colour)]);
  const pixels = deflateSync(Buffer.concat(Array.from({ length: PICTURE_SIDE }, () => row)));
  const head = Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', pixels),
  ]);
  const end = pngChunk('IEND', Buffer.alloc(0));
  const padding = size - head.length - end.length - 12;
  if (padding < 0) throw new Error(`a PNG cannot be as small as ${size} bytes`);
  return Buffer.concat([head, pngChunk('swPd', keystream(padding)), end]);
};

/** A marker segment: FF, marker, two-byte length (itself included), data. */
const jpegSegment = (marker: number, data: Buffer): Buffer => {
  const head = Buffer.from([0xff, marker, 0, 0]);
  head.writeUInt16BE(data.length + 2, 2);
  return Buffer.concat([head, data]);
};

/** The largest data a JPEG comment segment holds. */
const JPEG_COMMENT_MAX = 65_533;

/**
 * A baseline JPEG (ITU T.81) of PICTURE_SIDE² grey pixels: one component, every 8×8 block's DC
 * difference 0 and no AC coefficient, with Huffman tables of one code each (DC category 0, AC
 * end-of-block), so each block is the two bits `00`. Comment segments of keystream after the JFIF
 * header make it `size` bytes long.
 */
const jpegOfSize = (size: number, keystream: (length: number) => Buffer): Buffer => {
  const side = [PICTURE_SIDE >> 8, PICTURE_SIDE & 0xff];
  const oneCodeTable = (tableClass: number) =>
    jpegSegment(0xc4, Buffer.from([tableClass, 1, ...new Array<number>(15).fill(0), 0]));
  const head = Buffer.concat([
    Buffer.from([0xff, 0xd8]),
    // JFIF 1.01, no density units, 1:1, no thumbnail.
    jpegSegment(0xe0, Buffer.from([0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0])),
  ]);
  const blocks = (PICTURE_SIDE / 8) ** 2;
  const image = Buffer.concat([
    jpegSegment(0xdb, Buffer.from([0, ...new Array<number>(64).fill(1)])),
    jpegSegment(0xc0, Buffer.from([8, ...side, ...side, 1, 1, 0x11, 0])),
    oneCodeTable(0x00),
    oneCodeTable(0x10),
    jpegSegment(0xda, Buffer.from([1, 1, 0x00, 0, 63, 0])),
    Buffer.alloc(Math.ceil((blocks * 2) / 8)), // two zero bits per block (padding bits would be ones)
    Buffer.from([0xff, 0xd9]),
  ]);
  let room = size - head.length - image.length;
  const comments: Buffer[] = [];
  while (room > 0) {
    if (room < 4) throw new Error(`a JPEG cannot be exactly ${size} bytes`);
    const length = Math.min(JPEG_COMMENT_MAX, room - 4);
    comments.push(jpegSegment(0xfe, keystream(length)));
    room -= length + 4;
  }
  if (room < 0) throw new Error(`a JPEG cannot be as small as ${size} bytes`);
  return Buffer.concat([head, ...comments, image]);
};

const TYPES = ['image/jpeg', 'image/png', 'application/pdf'] as const;

const digestOf = (text: string): Buffer => createHash('sha256').update(text).digest();

const faultOf = (id: string): InboundMediaFault | undefined => {
  const lower = id.toLowerCase();
  return (['expired', 'checksum', 'slow', 'huge'] as const).find((word) => lower.includes(word));
};

/** What the provider holds under `id` (whether or not it still serves it). */
export const inboundMedia = (id: string): InboundMedia => {
  const lower = id.toLowerCase();
  const fault = faultOf(id);
  const seed = digestOf(`media:${id}`);
  const mimeType: InboundMedia['mimeType'] =
    fault === 'huge' || lower.includes('pdf')
      ? 'application/pdf'
      : lower.includes('png')
        ? 'image/png'
        : lower.includes('jpeg') || lower.includes('jpg')
          ? 'image/jpeg'
          : (TYPES[(seed[0] ?? 0) % TYPES.length] ?? 'image/jpeg');
  const size = fault === 'huge' ? HUGE_MEDIA_BYTES : 1024 + ((seed[1] ?? 0) << 4);
  return { id, mimeType, size, ...(fault ? { fault } : {}) };
};

/** The file's bytes in chunks of at most 64 KiB, generated as they are taken. */
export function* inboundMediaChunks(id: string): Generator<Buffer> {
  const media = inboundMedia(id);
  const key = digestOf(`key:${id}`).subarray(0, 16);
  const cipher = createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
  const keystream = (length: number) => cipher.update(Buffer.alloc(length));
  if (media.mimeType !== 'application/pdf') {
    const file =
      media.mimeType === 'image/png'
        ? pngOfSize(media.size, digestOf(`colour:${id}`).subarray(0, 3), keystream)
        : jpegOfSize(media.size, keystream);
    for (let at = 0; at < file.length; at += CHUNK_BYTES) yield file.subarray(at, at + CHUNK_BYTES);
    return;
  }
  const zeros = Buffer.alloc(CHUNK_BYTES);
  let sent = 0;
  while (sent < media.size) {
    const length = Math.min(CHUNK_BYTES, media.size - sent);
    const chunk = cipher.update(zeros.subarray(0, length));
    if (sent === 0) PDF_SIGNATURE.copy(chunk, 0, 0, Math.min(PDF_SIGNATURE.length, length));
    sent += length;
    yield chunk;
  }
}

/** The whole file, for small ones (tests and the fixtures' announced digests). */
export const inboundMediaBytes = (id: string): Buffer => Buffer.concat([...inboundMediaChunks(id)]);

const digests = new Map<string, string>();

/** The sha256 (hex) of the bytes served; computed chunk by chunk, once per id. */
export const inboundMediaSha256 = (id: string): string => {
  const known = digests.get(id);
  if (known) return known;
  const hash = createHash('sha256');
  for (const chunk of inboundMediaChunks(id)) hash.update(chunk);
  const digest = hash.digest('hex');
  digests.set(id, digest);
  return digest;
};

/** The sha256 (hex) the provider announces: the bytes' own, except for a `checksum` id. */
export const announcedSha256 = (id: string): string =>
  inboundMedia(id).fault === 'checksum'
    ? createHash('sha256').update(`not the bytes of ${id}`).digest('hex')
    : inboundMediaSha256(id);

/** Where Messenger attachment URLs point, standing in for Meta's CDN (cdn.fbsbx.com, scontent…). */
export const MESSENGER_CDN_PREFIX = '/fbcdn';

/** A Messenger attachment URL on the simulators at `baseUrl`, for an attachment made up from `id`. */
export const messengerAttachmentUrl = (baseUrl: string, id: string, filename = 'attachment'): string =>
  `${baseUrl.replace(/\/+$/, '')}${MESSENGER_CDN_PREFIX}/v/${encodeURIComponent(id)}/${encodeURIComponent(filename)}`;

/**
 * `GET /v/{id}/{filename}` on the CDN: the bytes, no credential (the URL is the credential); an
 * `expired` id answers 403 "URL signature expired", as the CDN does once a URL's `oe` has passed.
 */
export const handleMessengerCdn: ProviderHandler = async (request) => {
  const base = { provider: 'messenger' as const, route: 'GET <attachment url>', recordBody: null };
  const id = /^\/v\/([^/]+)\/[^/]*$/.exec(request.pathname)?.[1];
  if (request.method.toUpperCase() !== 'GET' || id === undefined)
    return { ...base, status: 404, body: { text: 'Not Found', contentType: 'text/plain' } };
  const mediaId = decodeURIComponent(id);
  const media = inboundMedia(mediaId);
  if (media.fault === 'expired')
    return { ...base, status: 403, body: { text: 'URL signature expired', contentType: 'text/plain' } };
  return {
    ...base,
    status: 200,
    ...(media.fault === 'slow'
      ? { fault: { provider: 'messenger', kind: 'slow', delayMs: SLOW_MEDIA_DELAY_MS } as const }
      : {}),
    body: {
      chunks: () => inboundMediaChunks(mediaId),
      contentType: media.mimeType,
      byteLength: media.size,
      sha256: inboundMediaSha256(mediaId),
    },
  };
};
