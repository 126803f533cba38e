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

/**
 * The channel secret holds no credentials for the download (no WhatsApp access token for the
 * business number, no Twilio login): the part ends `forbidden` at once, and the fetcher counts it
 * as it counts a refusal of the hub's credentials, since a person must fix the secret.
 */
export class CredentialsMissingFailure extends MediaFailure {
  constructor(detail: string) {
    super('forbidden', detail);
  }
}

/** The provider may answer later (5xx, 429, a timeout, a dropped connection): the job is retried. */
export class TransientMediaError extends Error {
  override readonly name = 'TransientMediaError';
}

/**
 * The provider refused the hub's own credentials (Graph: an expired or revoked token; Twilio: the
 * account's login, rotated at Twilio but not yet in the channel secret). That says nothing of the
 * attachment, which the provider still keeps (WhatsApp media ids for days, Twilio media until
 * deleted), so the job is retried as after a server error, within the fetcher's attempts, while a
 * person fixes the secret; the fetcher logs and counts each refusal, and ends a part still refused
 * at its last attempt `forbidden` (the contract's reason for refused credentials) saying so.
 */
export class CredentialsRefusedError extends TransientMediaError {
  constructor(
    /** The request refused, in the hub's words ("the media lookup"): never a URL or a token. */
    what: string,
    readonly status: number,
    /** The provider's error code, when its answer named one (Graph's 190). */
    readonly code?: number,
  ) {
    // Safe to publish, as a MediaFailure's detail is.
    super(
      `the provider refused the hub's credentials (${what} answered HTTP ${status}${code === undefined ? '' : `, code ${code}`})`,
    );
  }
}

/** The providers' largest attachment: WhatsApp documents, 100 MB. */
export const MAX_MEDIA_BYTES = 100 * 1024 * 1024;

/**
 * A provider's HTTP status as a failure: gone (404, 410: an expired media id, a CDN URL past its
 * life, a deleted Twilio media), refused (401, 403: the object, or a URL the hub may not read), or
 * worth another try (408, 429, 5xx). A refusal of the hub's own credentials is told apart by the
 * caller, which knows where they went (CredentialsRefusedError).
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
