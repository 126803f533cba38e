/**
 * Whether a SHA-256 digest matches what a provider announced. WhatsApp webhooks give it in base64
 * (`"sha256": "q7vL…="`), its media endpoint in hex: both are accepted. Undefined when the
 * announcement is neither (nothing to check against).
 */
export const matchesAnnounced = (digest: Buffer, announced: string): boolean | undefined => {
  const text = announced.trim();
  if (/^[0-9a-f]{64}$/i.test(text)) return digest.toString('hex') === text.toLowerCase();
  const decoded = Buffer.from(text, 'base64');
  if (decoded.length !== 32) return undefined;
  return decoded.equals(digest);
};
