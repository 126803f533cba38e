import type { MediaFailureReason } from '#shared/contract/types.ts';

/** The attachment cannot be had, whatever the hub does: it ends in `media_failed` with this reason. */
export class MediaFailure extends Error {
  override readonly name = 'MediaFailure';
  constructor(
    readonly reason: MediaFailureReason,
    /** Safe to publish: an HTTP status, a size; never a URL or a token. */
    readonly detail: string,
  ) {
    super(`${reason}: ${detail}`);
  }
}

/** The provider may answer later (5xx, 429, a timeout, a dropped connection): the job is retried. */
export class TransientMediaError extends Error {
  override readonly name = 'TransientMediaError';
}

/** The providers' largest attachment: WhatsApp documents, 100 MB. */
export const MAX_MEDIA_BYTES = 100 * 1024 * 1024;

/**
 * A provider's HTTP status as a failure: gone (404, 410: an expired media id, a CDN URL past its
 * life, a deleted Twilio media), refused (401, 403), or worth another try (408, 429, 5xx).
 */
export const failureForStatus = (
  status: number,
  what: string,
  goneStatuses: readonly number[] = [404, 410],
): Error => {
  if (goneStatuses.includes(status)) return new MediaFailure('expired', `${what} answered HTTP ${status}`);
  if (status === 401 || status === 403)
    return new MediaFailure('forbidden', `${what} answered HTTP ${status}`);
  if (status === 408 || status === 429 || status >= 500)
    return new TransientMediaError(`${what} answered HTTP ${status}`);
  return new MediaFailure('provider_error', `${what} answered HTTP ${status}`);
};
