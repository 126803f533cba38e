import * as v from 'valibot';
import type { MediaKind, MessagePart } from '#shared/contract/types.ts';
import { checked, lazily } from '#shared/validation/schema.ts';
import { httpUri, parseUrl } from '#shared/validation/uri.ts';

/** Twilio attaches at most 10 media items; the cap also bounds a hostile `NumMedia`. */
const MAX_MEDIA = 10;
const MEDIA_URL_KEY = /^MediaUrl(\d{1,4})$/;
/** An http(s) URL: trimmed, starting `http://` or `https://` (any case), and parsable; built on first use. */
const UrlSchema = lazily(() =>
  v.pipe(
    v.string(),
    v.trim(),
    v.regex(/^https?:\/\//i),
    checked((value: string) => parseUrl(value) !== undefined, 'an http(s) URL'),
  ),
);

const kindOf = (mimeType: string | undefined): MediaKind => {
  const family = mimeType?.split('/')[0]?.toLowerCase();
  return family === 'image' || family === 'audio' || family === 'video' ? family : 'file';
};

const single = (value: string | string[] | undefined): string | undefined =>
  typeof value === 'string' ? value : undefined;

/**
 * Media parts from `MediaUrl{N}`/`MediaContentType{N}` for every N below `NumMedia`, plus any
 * `MediaUrl{N}` present beyond it, so a miscount never drops an attachment. Twilio's media URLs
 * need the account's credentials to fetch. Each key is read as it was spelled: a `MediaUrl01`
 * (which no Twilio request holds) goes with `MediaContentType01`, and beside a `MediaUrl1` both
 * are kept, in order of N, then the shorter spelling first.
 */
export const mediaPartsFrom = (
  raw: Readonly<Record<string, string | string[]>>,
  numMedia: string | undefined,
): MessagePart[] => {
  const declared = numMedia !== undefined && /^\d{1,4}$/.test(numMedia) ? Number(numMedia) : 0;
  /** Each media number as its keys spell it → the number. */
  const spellings = new Map<string, number>();
  for (const key of Object.keys(raw)) {
    const digits = MEDIA_URL_KEY.exec(key)?.[1];
    if (digits !== undefined) spellings.set(digits, Number(digits));
  }
  // A declared item that came under no spelling is reported missing, under Twilio's own.
  const present = new Set(spellings.values());
  for (let index = 0; index < Math.min(declared, MAX_MEDIA); index += 1) {
    if (!present.has(index)) spellings.set(String(index), index);
  }
  return [...spellings]
    .sort(([a, aIndex], [b, bIndex]) => aIndex - bIndex || a.length - b.length)
    .map(([digits, index]): MessagePart => {
      const given = single(raw[`MediaUrl${digits}`]);
      const url = given !== undefined && v.is(UrlSchema, given) ? httpUri(given) : undefined;
      const mimeType = single(raw[`MediaContentType${digits}`]);
      if (url === undefined) {
        return {
          type: 'unsupported',
          providerType: 'twilio_media',
          raw: { index, url: raw[`MediaUrl${digits}`], contentType: raw[`MediaContentType${digits}`] },
        };
      }
      return {
        type: 'media',
        kind: kindOf(mimeType),
        ...(mimeType ? { mimeType } : {}),
        ref: { store: 'provider_url', url, requiresAuth: true },
      };
    });
};
