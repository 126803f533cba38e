import { constantTimeEqual, hmacHex } from '#shared/channels/signature.ts';

/** Mailgun's webhook signature: hex(HMAC-SHA256(signing key, timestamp + token)), no separator. */
export const signMailgun = (signingKey: string, timestamp: string, token: string): string =>
  hmacHex('sha256', signingKey, `${timestamp}${token}`);

/** Constant-time check of a received `signature` field (hex compared case-insensitively). */
export const verifyMailgun = (
  signingKey: string,
  timestamp: string,
  token: string,
  signature: string,
): boolean => constantTimeEqual(signMailgun(signingKey, timestamp, token), signature.trim().toLowerCase());
