import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { matchesAnnounced, sha256Hex } from '#shared/media/checksum.ts';

/*
 * A provider announces a file's SHA-256 in its own encoding (WhatsApp's webhooks in base64, its
 * media endpoint in hex); the hub passes it on, and checks downloads against it, as lower-case hex,
 * the encoding of every other part's and of `media_stored`.
 */

describe('announced SHA-256 digests', () => {
  it('reads any digest in base64, base64url or hex, either case, as the same lower-case hex (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (bytes) => {
        // Prepare
        const digest = Buffer.from(bytes);
        const hex = digest.toString('hex');
        // Act
        const read = [
          digest.toString('base64'),
          digest.toString('base64url'),
          hex.toUpperCase(),
          ` ${hex} `,
        ].map(sha256Hex);
        // Assess
        expect(read).toEqual([hex, hex, hex, hex]);
        expect(matchesAnnounced(digest, digest.toString('base64'))).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('reads nothing from what no digest is written as, and checks nothing against it', () => {
    // Prepare
    const digest = createHash('sha256').update('a file').digest();
    const notDigests = [
      '',
      'abc',
      'q7vL',
      `${'A'.repeat(42)}==`,
      `${'!'.repeat(43)}=`,
      'g'.repeat(64),
      'a'.repeat(65),
    ];
    // Act
    const read = notDigests.map(sha256Hex);
    // Assess
    expect(read).toEqual(notDigests.map(() => undefined));
    expect(matchesAnnounced(digest, 'q7vL')).toBeUndefined();
    expect(matchesAnnounced(digest, 'b'.repeat(64))).toBe(false);
  });
});
