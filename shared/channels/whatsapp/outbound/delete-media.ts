import { z } from 'zod';
import type { GraphOptions } from '#shared/channels/meta/outbound/graph-call.ts';
import { readGraphFailure } from '#shared/channels/meta/outbound/graph-error.ts';
import {
  callProviderRetrying,
  type ProviderCall,
  type ProviderRetryOptions,
} from '#shared/outbound/provider-http.ts';

/*
 * Provider-side erasure of the hub's own WhatsApp uploads: `DELETE /{media-id}?phone_number_id=…`
 * (outbound.md 1.1; Meta answers `{"success": true}`), with the token the sender uploaded with.
 * An id Meta no longer knows (it expires uploads after 30 days) is already gone: done.
 */

export interface WhatsAppMediaDeleterOptions
  extends Pick<GraphOptions, 'graphBaseUrl' | 'apiVersion'>,
    ProviderRetryOptions {}

export interface WhatsAppUploadRef {
  readonly mediaId: string;
  readonly phoneNumberId: string;
  readonly token: string;
}

export type WhatsAppMediaDeletion =
  /** Deleted now, or Meta no longer has it. */
  | { readonly kind: 'deleted' }
  /** `code` is safe to log: an HTTP status, a Graph error code, our own. */
  | { readonly kind: 'failed'; readonly code: string };

const DeletedSchema = z.looseObject({ success: z.literal(true) });

/** Graph's "object does not exist" (code 100, subcode 33), or a plain 404. */
const isGone = (status: number, code: number | undefined, subcode: number | undefined): boolean =>
  status === 404 || (code === 100 && subcode === 33);

const verdictOf = (call: ProviderCall): WhatsAppMediaDeletion => {
  if (call.kind !== 'response') return { kind: 'failed', code: call.error.code };
  const { response } = call;
  if (response.status >= 200 && response.status < 300) {
    try {
      if (DeletedSchema.safeParse(JSON.parse(response.body)).success) return { kind: 'deleted' };
    } catch {
      // Not JSON: not the documented answer.
    }
    return { kind: 'failed', code: 'switchboard.unconfirmed_media_deletion' };
  }
  const failure = readGraphFailure(response);
  if (isGone(response.status, failure.code, failure.subcode)) return { kind: 'deleted' };
  return {
    kind: 'failed',
    code: failure.code !== undefined ? `graph_${failure.code}` : `http_${response.status}`,
  };
};

/** Deletes uploads one at a time; concurrency and the budget are the caller's. */
export const createWhatsAppMediaDeleter = (options: WhatsAppMediaDeleterOptions) => {
  const base = options.graphBaseUrl.replace(/\/+$/, '');
  return async (ref: WhatsAppUploadRef): Promise<WhatsAppMediaDeletion> => {
    const url = `${base}/${encodeURIComponent(options.apiVersion)}/${encodeURIComponent(ref.mediaId)}?${new URLSearchParams({ phone_number_id: ref.phoneNumberId })}`;
    // Deleting is idempotent: a request that may have arrived is safe to repeat.
    return verdictOf(
      await callProviderRetrying(
        { method: 'DELETE', url, headers: { authorization: `Bearer ${ref.token}` } },
        options,
      ),
    );
  };
};
