import { createHmac, timingSafeEqual } from 'node:crypto';

/** Constant-time comparison of two strings of any length (length mismatch is not leaked by timing of content). */
export const constantTimeEqual = (expected: string, received: string): boolean => {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(received, 'utf8');
  if (a.length !== b.length) {
    // Still spend the comparison so a wrong length costs the same as a wrong value.
    timingSafeEqual(a, a);
    return false;
  }
  return timingSafeEqual(a, b);
};

export const hmacHex = (algorithm: 'sha1' | 'sha256', key: string, data: string | Uint8Array): string =>
  createHmac(algorithm, key).update(data).digest('hex');

export const hmacBase64 = (algorithm: 'sha1' | 'sha256', key: string, data: string | Uint8Array): string =>
  createHmac(algorithm, key).update(data).digest('base64');
