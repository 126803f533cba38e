import { z } from 'zod';
import { GRAPH_TOKEN_ERROR, type GraphErrorSpec, graphErrorReply } from './graph.ts';
import {
  bearerToken,
  fieldsRecord,
  fileField,
  nowSeconds,
  readForm,
  sha256Hex,
  textFields,
} from './http-io.ts';
import {
  announcedSha256,
  inboundMedia,
  inboundMediaChunks,
  inboundMediaSha256,
  SLOW_MEDIA_DELAY_MS,
} from './inbound-media.ts';
import type { ProviderReply, SimContext, SimRequest } from './types.ts';

/**
 * WhatsApp Cloud API media: upload (`POST /{version}/{phone-number-id}/media`), look up
 * (`GET /{version}/{media-id}` → a short-lived download URL), download (that URL, with the same
 * Bearer token) and delete (`DELETE /{version}/{media-id}`). An id that was neither uploaded nor
 * deleted is media a customer sent: its bytes are made up from the id (./inbound-media.ts).
 */

/** Where download URLs point, standing in for Meta's lookaside CDN. */
export const MEDIA_CDN_PREFIX = '/graph-cdn';
const CDN_PATH = '/whatsapp_business/attachments/';
/** Download URLs last about five minutes. */
const URL_LIFETIME_SECONDS = 300;
const MB = 1024 * 1024;

interface StoredMedia {
  readonly id: string;
  readonly mimeType: string;
  readonly bytes: Buffer;
  readonly size: number;
  readonly sha256: string;
}

/** Media a customer sent (not uploaded here), as the lookup describes it; generated on download. */
interface InboundInfo {
  readonly id: string;
  readonly mimeType: string;
  readonly size: number;
  /** What the lookup announces (not the bytes' digest for a `checksum` id). */
  readonly sha256: string;
  readonly slow: boolean;
}

const inboundInfo = (id: string, deleted: ReadonlySet<string>): InboundInfo | undefined => {
  const held = inboundMedia(id);
  if (deleted.has(id) || held.fault === 'expired') return undefined;
  return {
    id,
    mimeType: held.mimeType,
    size: held.size,
    sha256: announcedSha256(id),
    slow: held.fault === 'slow',
  };
};

const slowFault = (info: InboundInfo): ProviderReply['fault'] =>
  info.slow ? { provider: 'whatsapp', kind: 'slow', delayMs: SLOW_MEDIA_DELAY_MS } : undefined;

const UploadFieldsSchema = z.looseObject({
  messaging_product: z.literal('whatsapp'),
  type: z.string().min(1).optional(),
});

/** Size limits per media type (documented: image 5 MB, audio and video 16 MB, document 100 MB, sticker 500 KB). */
const limitFor = (mimeType: string): number => {
  if (mimeType === 'image/webp') return 500 * 1024;
  if (mimeType.startsWith('image/')) return 5 * MB;
  if (mimeType.startsWith('audio/') || mimeType.startsWith('video/')) return 16 * MB;
  return 100 * MB;
};

const noSuchObject = (id: string): GraphErrorSpec => ({
  code: 100,
  subcode: 33,
  type: 'GraphMethodException',
  message: `Unsupported get request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`,
});

export interface WhatsAppMedia {
  upload(request: SimRequest, context: SimContext): Promise<ProviderReply>;
  lookup(request: SimRequest, mediaId: string, context: SimContext): ProviderReply;
  download(request: SimRequest, context: SimContext): ProviderReply;
  remove(request: SimRequest, mediaId: string, context: SimContext): ProviderReply;
}

export const createWhatsAppMedia = (): WhatsAppMedia => {
  const media = new Map<string, StoredMedia>();
  const deleted = new Set<string>();
  const links = new Map<string, { mediaId: string; expiresAt: number }>();

  return {
    async upload(request, context) {
      const route = 'POST /{version}/{phone-number-id}/media';
      const form = await readForm(request.body, request.headers);
      const base = { provider: 'whatsapp' as const, route, recordBody: form ? fieldsRecord(form) : null };
      if (!bearerToken(request.headers)) return graphErrorReply(GRAPH_TOKEN_ERROR, base, context);
      const file = form ? fileField(form, 'file') : undefined;
      const fields = UploadFieldsSchema.safeParse(form ? textFields(form) : {});
      if (!fields.success) {
        const details = 'The parameter messaging_product is required.';
        return graphErrorReply({ code: 100, message: `(#100) ${details}`, details }, base, context);
      }
      if (!file) {
        const details = 'The parameter file is required.';
        return graphErrorReply({ code: 100, message: `(#100) ${details}`, details }, base, context);
      }
      const mimeType = fields.data.type ?? file.contentType;
      if (file.bytes.length > limitFor(mimeType)) {
        const details = `The file is larger than the ${limitFor(mimeType)} bytes allowed for ${mimeType}.`;
        return graphErrorReply(
          { code: 131053, message: '(#131053) Media upload error', details },
          base,
          context,
        );
      }
      const id = context.ids.graphNumericId();
      media.set(id, {
        id,
        mimeType,
        bytes: file.bytes,
        size: file.bytes.length,
        sha256: sha256Hex(file.bytes),
      });
      return { ...base, status: 200, body: { json: { id } } };
    },

    lookup(request, mediaId, context) {
      const base = { provider: 'whatsapp' as const, route: 'GET /{version}/{media-id}', recordBody: null };
      if (!bearerToken(request.headers)) return graphErrorReply(GRAPH_TOKEN_ERROR, base, context);
      const stored = media.get(mediaId) ?? inboundInfo(mediaId, deleted);
      const fault = context.takeFault({
        provider: 'whatsapp',
        operation: 'media',
        mediaId,
        kinds: ['expired_media'],
      });
      if (!stored || fault?.kind === 'expired_media') {
        return graphErrorReply(noSuchObject(mediaId), { ...base, fault }, context);
      }
      const hash = context.ids.hex(40);
      const expiresAt = nowSeconds() + URL_LIFETIME_SECONDS;
      links.set(hash, { mediaId, expiresAt });
      const query = new URLSearchParams({ mid: mediaId, ext: String(expiresAt), hash });
      return {
        ...base,
        fault,
        status: 200,
        body: {
          json: {
            messaging_product: 'whatsapp',
            url: `${context.baseUrl()}${MEDIA_CDN_PREFIX}${CDN_PATH}?${query}`,
            mime_type: stored.mimeType,
            sha256: stored.sha256,
            file_size: String(stored.size),
            id: stored.id,
          },
        },
      };
    },

    download(request, context) {
      const base = { provider: 'whatsapp' as const, route: 'GET <media download url>', recordBody: null };
      const notFound = (fault?: ProviderReply['fault']): ProviderReply => ({
        ...base,
        fault,
        status: 404,
        body: { text: 'URL signature expired', contentType: 'text/plain' },
      });
      if (request.pathname !== CDN_PATH) return notFound();
      if (!bearerToken(request.headers)) return graphErrorReply(GRAPH_TOKEN_ERROR, base, context);
      const link = links.get(request.query.get('hash') ?? '');
      const stored = link ? (media.get(link.mediaId) ?? inboundInfo(link.mediaId, deleted)) : undefined;
      if (!link || !stored || link.mediaId !== request.query.get('mid') || link.expiresAt < nowSeconds()) {
        return notFound();
      }
      const fault = context.takeFault({ provider: 'whatsapp', operation: 'media', mediaId: stored.id });
      if (fault?.kind === 'expired_media') return notFound(fault);
      if (!('bytes' in stored)) {
        const body = {
          chunks: () => inboundMediaChunks(stored.id),
          contentType: stored.mimeType,
          byteLength: stored.size,
          sha256: inboundMediaSha256(stored.id),
        };
        if (fault?.kind === 'checksum_mismatch')
          return {
            ...base,
            fault,
            status: 200,
            body: { bytes: corrupted(Buffer.concat([...body.chunks()])), contentType: stored.mimeType },
          };
        return { ...base, fault: fault ?? slowFault(stored), status: 200, body };
      }
      const bytes = fault?.kind === 'checksum_mismatch' ? corrupted(stored.bytes) : stored.bytes;
      return { ...base, fault, status: 200, body: { bytes, contentType: stored.mimeType } };
    },

    remove(request, mediaId, context) {
      const base = { provider: 'whatsapp' as const, route: 'DELETE /{version}/{media-id}', recordBody: null };
      if (!bearerToken(request.headers)) return graphErrorReply(GRAPH_TOKEN_ERROR, base, context);
      if (!media.delete(mediaId) && !inboundInfo(mediaId, deleted))
        return graphErrorReply(noSuchObject(mediaId), base, context);
      deleted.add(mediaId);
      return { ...base, status: 200, body: { json: { success: true } } };
    },
  };
};

/** The same bytes with the last one flipped (one byte added to an empty file): any sha256 check fails. */
const corrupted = (bytes: Buffer): Buffer => {
  if (bytes.length === 0) return Buffer.from([0]);
  const copy = Buffer.from(bytes);
  copy[copy.length - 1] = (copy[copy.length - 1] ?? 0) ^ 0xff;
  return copy;
};
