import { createCipheriv, createHash } from 'node:crypto';
import type { ProviderHandler } from './types.ts';

/*
 * The media customers send, as the providers hold it: WhatsApp media ids, Twilio Media resources,
 * Messenger attachment URLs. The simulators never received these files, so each is made up from
 * its id, the same bytes every time: a real file signature (JPEG, PNG or PDF, which the fetcher's
 * sniffing recognises) followed by an AES-CTR keystream keyed by the id. A test computes the
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

const SIGNATURES: Readonly<Record<InboundMedia['mimeType'], Buffer>> = {
  // SOI, APP0 "JFIF".
  'image/jpeg': Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01]),
  // The PNG signature, then an IHDR chunk header.
  'image/png': Buffer.from([
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
  ]),
  'application/pdf': Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n', 'latin1'),
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
  const zeros = Buffer.alloc(CHUNK_BYTES);
  const signature = SIGNATURES[media.mimeType];
  let sent = 0;
  while (sent < media.size) {
    const length = Math.min(CHUNK_BYTES, media.size - sent);
    const chunk = cipher.update(zeros.subarray(0, length));
    if (sent === 0) signature.copy(chunk, 0, 0, Math.min(signature.length, length));
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
