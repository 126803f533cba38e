import { constantTimeEqual, hmacHex } from '#shared/channels/signature.ts';

const PREFIX = 'sha256=';

/** `X-Hub-Signature-256` value for a body, as Meta computes it (used by tests and the replay kit). */
export const signMetaBody = (appSecret: string, body: Uint8Array | string): string =>
  `${PREFIX}${hmacHex('sha256', appSecret, body)}`;

export type MetaSignatureCheck = { ok: true } | { ok: false; reason: string };

/**
 * Verifies `X-Hub-Signature-256` over the exact bytes received. Never re-serialize the JSON:
 * Meta signs its escaped-Unicode wire form.
 */
export const verifyMetaSignature = (
  appSecret: string,
  body: Uint8Array,
  header: string | undefined,
): MetaSignatureCheck => {
  if (!header) return { ok: false, reason: 'missing X-Hub-Signature-256 header' };
  if (!header.startsWith(PREFIX)) return { ok: false, reason: 'X-Hub-Signature-256 is not sha256=<hex>' };
  const expected = signMetaBody(appSecret, body);
  return constantTimeEqual(expected, header.trim().toLowerCase())
    ? { ok: true }
    : { ok: false, reason: 'X-Hub-Signature-256 does not match the body' };
};
