import { base64url, nowSeconds, SHARED_SECRET, signToken } from '@connect-jwt/adapter-test-suite';
import { type ConnectJwtError, createJwt, decode, decodeUnverified, encode } from '@connect-jwt/core';
import { describe, expect, it } from 'vitest';

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return (error as ConnectJwtError).code;
  }
  return 'resolved';
}

describe('decode (verified)', () => {
  it('returns the claims of a token signed with the secret', async () => {
    const token = await createJwt('k', SHARED_SECRET, { uri: '/x' });
    await expect(decode(token, SHARED_SECRET)).resolves.toMatchObject({ iss: 'k' });
  });

  it('accepts a token without time claims (generic decode), but checks them when present', async () => {
    await expect(decode(await encode({ iss: 'k' }, SHARED_SECRET), SHARED_SECRET)).resolves.toEqual({ iss: 'k' });
    const expired = await encode({ exp: nowSeconds() - 60 }, SHARED_SECRET);
    expect(await codeOf(decode(expired, SHARED_SECRET))).toBe('ERR_TOKEN_EXPIRED');
    await expect(decode(expired, SHARED_SECRET, { clockTolerance: 120 })).resolves.toBeDefined();
  });

  it('rejects with typed errors: wrong secret, other algorithms, malformed input', async () => {
    const token = await createJwt('k', SHARED_SECRET);
    expect(await codeOf(decode(token, 'other-secret'))).toBe('ERR_INVALID_SIGNATURE');
    expect(
      await codeOf(decode(signToken({ alg: 'HS512' }, { iss: 'k' }, SHARED_SECRET, 'sha512'), SHARED_SECRET)),
    ).toBe('ERR_ALG_UNSUPPORTED');
    expect(await codeOf(decode('a.b', SHARED_SECRET))).toBe('ERR_TOKEN_MALFORMED');
    expect(await codeOf(decode(42 as unknown as string, SHARED_SECRET))).toBe('ERR_TOKEN_MALFORMED');
  });
});

describe('decodeUnverified', () => {
  it('reads the claims of any token without checking it', () => {
    const forged = `${base64url('{"alg":"none"}')}.${base64url('{"iss":"anyone"}')}.`;
    expect(decodeUnverified(forged)).toEqual({ iss: 'anyone' });
  });

  it('throws ERR_TOKEN_MALFORMED for what is not a token', () => {
    for (const input of ['', 'a.b', 'a.b.c.d', `x.${base64url('[1]')}.y`, `x.${base64url('{')}.y`, null]) {
      expect(() => decodeUnverified(input as string)).toThrow(expect.objectContaining({ code: 'ERR_TOKEN_MALFORMED' }));
    }
  });
});
