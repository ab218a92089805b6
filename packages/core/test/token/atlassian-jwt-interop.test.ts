// Interop both ways with the atlassian-jwt npm package (what atlassian-connect-express uses):
// its tokens verify here, and ours decode there and carry the qsh it computes.

import { createJwt, MemoryStore, verifyRequest } from '@connect-jwt/core';
import * as atlassianJwt from 'atlassian-jwt';
import { describe, expect, it } from 'vitest';

const clientKey = 'interop-client';
const sharedSecret = 'interop-shared-secret-abcdefghijklmnop';

const requests: Array<{ method: string; url: string; baseUrl?: string }> = [
  { method: 'GET', url: '/rest/api/3/issue/ABC-1?expand=names&fields=summary,status' },
  { method: 'POST', url: '/hooks/issue-updated?user_id=5b10a2844c20165700ede21g&issue=10001' },
  { method: 'GET', url: '/panel?a=1&a=2&b=x%20y&c&d=&e=%E2%82%AC*' },
  { method: 'DELETE', url: '/items/a%2Fb/c&d?q=%7E' },
  {
    method: 'get',
    url: '/addon/page?lic=none&xdm_e=https%3A%2F%2Fexample.atlassian.net',
    baseUrl: 'https://apps.example.com/addon',
  },
  { method: 'GET', url: '/wiki/rest/api/content?limit=5', baseUrl: 'https://example.atlassian.net/wiki' },
];

function oracleQsh(method: string, url: string, baseUrl?: string): string {
  return atlassianJwt.createQueryStringHash(atlassianJwt.fromMethodAndUrl(method, url), false, baseUrl);
}

describe('atlassian-jwt interop', () => {
  it('tokens from encodeSymmetric (with its qsh) verify with verifyRequest', async () => {
    const store = new MemoryStore();
    await store.set({ clientKey, sharedSecret, baseUrl: 'https://example.atlassian.net' });
    const now = Math.floor(Date.now() / 1000);
    for (const { method, url, baseUrl } of requests) {
      const qsh = oracleQsh(method, url, baseUrl);
      const token = atlassianJwt.encodeSymmetric(
        { iss: clientKey, iat: now, exp: now + 180, qsh, sub: 'account' },
        sharedSecret,
        atlassianJwt.SymmetricAlgorithm.HS256,
      );
      const auth = await verifyRequest({ method, url, headers: { authorization: `JWT ${token}` } }, { store, baseUrl });
      expect(auth.clientKey).toBe(clientKey);
      expect(auth.accountId).toBe('account');
      // And through the query parameter, as iframe loads carry it.
      const separator = url.includes('?') ? '&' : '?';
      await expect(
        verifyRequest({ method, url: `${url}${separator}jwt=${token}`, headers: {} }, { store, baseUrl }),
      ).resolves.toMatchObject({ clientKey });
    }
  });

  it('a token encodeSymmetric signed with HS512 is refused (we pin HS256)', async () => {
    const store = new MemoryStore();
    await store.set({ clientKey, sharedSecret, baseUrl: 'https://example.atlassian.net' });
    const now = Math.floor(Date.now() / 1000);
    const token = atlassianJwt.encodeSymmetric(
      { iss: clientKey, iat: now, exp: now + 180, qsh: oracleQsh('GET', '/x') },
      sharedSecret,
      atlassianJwt.SymmetricAlgorithm.HS512,
    );
    await expect(
      verifyRequest({ method: 'GET', url: '/x', headers: { authorization: `JWT ${token}` } }, { store }),
    ).rejects.toMatchObject({ code: 'ERR_ALG_UNSUPPORTED', status: 401 });
  });

  it('tokens from createJwt decode with decodeSymmetric and carry the qsh it computes', async () => {
    for (const { method, url, baseUrl } of requests) {
      const token = await createJwt(clientKey, sharedSecret, { method, uri: url, baseUrl, subject: 'account' });
      const payload = atlassianJwt.decodeSymmetric(token, sharedSecret, atlassianJwt.SymmetricAlgorithm.HS256);
      expect(payload.iss).toBe(clientKey);
      expect(payload.sub).toBe('account');
      expect(payload.exp - payload.iat).toBe(180);
      expect(payload.qsh).toBe(oracleQsh(method, url, baseUrl));
      expect(() => atlassianJwt.decodeSymmetric(token, 'wrong', atlassianJwt.SymmetricAlgorithm.HS256)).toThrow();
    }
  });
});
