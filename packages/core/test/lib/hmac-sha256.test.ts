import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hmacSha256 } from '../../src/lib/hmac-sha256.js';

const reference = (secret: string, message: string) => createHmac('sha256', secret).update(message).digest();

describe('hmacSha256', () => {
  it('equals createHmac for RFC 4231 test case 2', () => {
    expect(hmacSha256('Jefe', 'what do ya want for nothing?').toString('hex')).toBe(
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
  });

  it('equals createHmac for any secret (short, 64 bytes, longer, non-ASCII) and message', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ minLength: 1, maxLength: 80 }),
          fc.string({ unit: 'binary', minLength: 1, maxLength: 70 }),
          fc.constantFrom('k'.repeat(63), 'k'.repeat(64), 'k'.repeat(65), 'é'.repeat(32), '😀'.repeat(20)),
        ),
        fc.oneof(fc.string({ maxLength: 400 }), fc.string({ unit: 'binary', maxLength: 300 })),
        (secret, message) => {
          expect(hmacSha256(secret, message)).toEqual(reference(secret, message));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('handles messages longer than its scratch buffer, and many secrets (bounded key cache)', () => {
    for (const long of ['x'.repeat(10_000), 'é'.repeat(40_000), 'y'.repeat(100_000)]) {
      expect(hmacSha256('secret', long)).toEqual(reference('secret', long));
    }
    for (let i = 0; i < 1200; i++) {
      const secret = `secret-${i}`;
      expect(hmacSha256(secret, 'header.payload')).toEqual(reference(secret, 'header.payload'));
    }
    // Results never share memory: an earlier digest is not overwritten by a later call.
    const first = hmacSha256('a', 'one');
    hmacSha256('a', 'two');
    expect(first).toEqual(reference('a', 'one'));
  });
});
