import { SHARED_SECRET } from '@connect-jwt/adapter-test-suite';
import { computeQsh, createJwt, decodeUnverified, encode } from '@connect-jwt/core';
import { describe, expect, it } from 'vitest';

function headerOf(token: string): unknown {
  return JSON.parse(Buffer.from(token.split('.')[0] as string, 'base64url').toString('utf8'));
}

describe('createJwt', () => {
  it("is the seed's create_jwt: HS256 with iss, iat, exp = iat + 180 and the request's qsh", async () => {
    const now = new Date('2026-01-02T03:04:05Z');
    const token = await createJwt('plugin-key', SHARED_SECRET, { method: 'GET', uri: '/rest/api/2/issue', now });
    expect(headerOf(token)).toEqual({ alg: 'HS256', typ: 'JWT' });
    const iat = Math.floor(now.getTime() / 1000);
    expect(decodeUnverified(token)).toEqual({
      iss: 'plugin-key',
      iat,
      exp: iat + 180,
      qsh: computeQsh('GET', '/rest/api/2/issue'),
    });
  });

  it('defaults to GET / and takes now as epoch milliseconds', async () => {
    const token = await createJwt('plugin-key', SHARED_SECRET, { now: 1_700_000_000_999 });
    expect(decodeUnverified(token)).toMatchObject({ iat: 1_700_000_000, qsh: computeQsh('GET', '/') });
  });

  it('strips the baseUrl path for the qsh (Confluence /wiki) and hashes absolute URLs by path', async () => {
    const token = await createJwt('k', SHARED_SECRET, {
      method: 'post',
      uri: 'https://example.atlassian.net/wiki/rest/api/content?limit=5',
      baseUrl: 'https://example.atlassian.net/wiki',
    });
    expect(decodeUnverified(token).qsh).toBe(computeQsh('POST', '/rest/api/content?limit=5'));
  });

  it('sets expiresIn, subject, audience, context and extra claims; computed claims win', async () => {
    const token = await createJwt('k', SHARED_SECRET, {
      expiresIn: 60,
      subject: 'account-1',
      audience: ['https://a', 'https://b'],
      context: true,
      claims: { iss: 'forged', context: { user: 'x' } },
      now: 1_000_000,
    });
    expect(decodeUnverified(token)).toEqual({
      iss: 'k',
      iat: 1000,
      exp: 1060,
      qsh: 'context-qsh',
      sub: 'account-1',
      aud: ['https://a', 'https://b'],
      context: { user: 'x' },
    });
  });

  it('throws TypeErrors for an empty issuer or secret, a bad now or expiresIn', async () => {
    await expect(createJwt('', SHARED_SECRET)).rejects.toThrow(/issuer/);
    await expect(createJwt('k', '')).rejects.toThrow(TypeError);
    await expect(createJwt('k', SHARED_SECRET, { now: new Date('nonsense') })).rejects.toThrow(/now/);
    await expect(createJwt('k', SHARED_SECRET, { expiresIn: Number.NaN })).rejects.toThrow(/expiresIn/);
  });
});

describe('encode', () => {
  it('signs the payload exactly as given', async () => {
    const payload = { iss: 'x', custom: [1, { a: 'b' }], exp: 5 };
    const token = await encode(payload, SHARED_SECRET);
    expect(headerOf(token)).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(decodeUnverified(token)).toEqual(payload);
  });

  it('refuses an empty secret with a TypeError', async () => {
    await expect(encode({}, '')).rejects.toThrow(TypeError);
  });
});
