import * as v from 'valibot';
import type { MediaKind, MessagePart } from '#shared/contract/types.ts';
import { checked, lazily } from '#shared/validation/schema.ts';

/** Twilio attaches at most 10 media items; the cap also bounds a hostile `NumMedia`. */
const MAX_MEDIA = 10;
const MEDIA_URL_KEY = /^MediaUrl(\d{1,4})$/;
/** An http(s) URL: trimmed, starting `http://` or `https://` (any case), and parsable; built on first use. */
const UrlSchema = lazily(() =>
  v.pipe(
    v.string(),
    v.trim(),
    v.regex(/^https?:\/\//i),
    checked((value: string) => URL.canParse(value), 'an http(s) URL'),
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
 * need the account's credentials to fetch.
 */
export const mediaPartsFrom = (
  raw: Readonly<Record<string, string | string[]>>,
  numMedia: string | undefined,
): MessagePart[] => {
  const declared = numMedia !== undefined && /^\d{1,4}$/.test(numMedia) ? Number(numMedia) : 0;
  const indices = new Set<number>();
  for (let index = 0; index < Math.min(declared, MAX_MEDIA); index += 1) indices.add(index);
  for (const key of Object.keys(raw)) {
    const match = MEDIA_URL_KEY.exec(key);
    if (match?.[1]) indices.add(Number(match[1]));
  }
  return [...indices]
    .sort((a, b) => a - b)
    .map((index): MessagePart => {
      const url = single(raw[`MediaUrl${index}`]);
      const mimeType = single(raw[`MediaContentType${index}`]);
      if (url === undefined || !v.safeParse(UrlSchema, url).success) {
        return {
          type: 'unsupported',
          providerType: 'twilio_media',
          raw: { index, url: raw[`MediaUrl${index}`], contentType: raw[`MediaContentType${index}`] },
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
