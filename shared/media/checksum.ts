/**
 * A provider's announced SHA-256 as lower-case hex: WhatsApp webhooks give it in base64
 * (`"sha256": "q7vL…="`), its media endpoint in hex. Undefined when it is neither (a value no
 * digest is written as: nothing to check against, nothing to pass on).
 */
export const sha256Hex = (announced: string): string | undefined => {
  const text = announced.trim();
  if (/^[0-9a-f]{64}$/i.test(text)) return text.toLowerCase();
  // 32 bytes are 43 base64 characters and a pad (Buffer would skip any character it does not know).
  if (!/^[A-Za-z0-9+/_-]{43}=?$/.test(text)) return undefined;
  const decoded = Buffer.from(text, 'base64');
  return decoded.length === 32 ? decoded.toString('hex') : undefined;
};

/** Whether a SHA-256 digest matches what a provider announced (hex or base64); undefined when it announced neither. */
export const matchesAnnounced = (digest: Buffer, announced: string): boolean | undefined => {
  const expected = sha256Hex(announced);
  return expected === undefined ? undefined : digest.toString('hex') === expected;
};
