/**
 * The id the hub gives a Messenger postback Meta sent without `mid` (Get Started and
 * persistent-menu taps have long come without one): `postback.<hash>`, stable across Meta's retries.
 * It names no message at Meta, so nothing may be quoted, reacted to or marked read under it.
 */
export const POSTBACK_ID_PREFIX = 'postback.';

/** Whether a Messenger message id is one the hub made for a postback without `mid`. */
export const isPostbackWithoutMid = (providerMessageId: string): boolean =>
  providerMessageId.startsWith(POSTBACK_ID_PREFIX);
