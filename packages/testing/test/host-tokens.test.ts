import { decode, decodeUnverified, MemoryStore, verifyRequest } from '@connect-jwt/core';
import { iframeParams, mintContextToken, mintHostToken, tamperToken, toQueryString } from '@connect-jwt/testing';
import { createQueryStringHash, decodeSymmetric, fromMethodAndUrl, SymmetricAlgorithm } from 'atlassian-jwt';
import { describe, expect, it } from 'vitest';

// atlassian-jwt is the reference implementation Atlassian published: tokens it accepts, with the
// qsh it computes, are tokens a Connect add-on in the wild accepts.
const identity = {
  clientKey: 'c0ffee00-1111-4222-8333-444455556666',
  sharedSecret: 'a-shared-secret-of-reasonable-length-0123456789',
  addonBaseUrl: 'https://addon.example.com/connect',
};

function referenceQsh(method: string, relativeUrl: string): string {
  return createQueryStringHash(fromMethodAndUrl(method, relativeUrl), false, identity.addonBaseUrl);
}

describe('host tokens sign exactly like the host', () => {
  it('an iframe load with Jira context parameters verifies with atlassian-jwt, qsh included', async () => {
    const params = iframeParams({
      productType: 'jira',
      siteUrl: 'https://example.atlassian.net',
      appKey: 'com.example.addon',
      moduleKey: 'hello',
      accountId: '5b10ac8d82e05b22cc7d4ef5',
      timeZone: 'America/New_York',
    });
    expect(Object.keys(params)).toEqual(
      expect.arrayContaining(['xdm_e', 'xdm_c', 'cp', 'lic', 'tz', 'loc', 'user_id', 'cv']),
    );
    const query = toQueryString(params);
    const token = await mintHostToken(identity, { url: `/hello?${query}`, accountId: '5b10ac8d82e05b22cc7d4ef5' });

    const claims = decodeSymmetric(token, identity.sharedSecret, SymmetricAlgorithm.HS256);
    expect(claims.iss).toBe(identity.clientKey);
    expect(claims.sub).toBe('5b10ac8d82e05b22cc7d4ef5');
    expect(claims.exp - claims.iat).toBe(180);
    expect(claims.qsh).toBe(referenceQsh('GET', `/connect/hello?${query}`));
  });

  it('a webhook POST carries the qsh of its method and path, not of its body', async () => {
    const token = await mintHostToken(identity, { method: 'POST', url: '/webhooks/issue-created?user_id=x' });
    const claims = decodeSymmetric(token, identity.sharedSecret, SymmetricAlgorithm.HS256);
    expect(claims.qsh).toBe(referenceQsh('POST', '/connect/webhooks/issue-created?user_id=x'));
    expect(claims.qsh).not.toBe(referenceQsh('GET', '/connect/webhooks/issue-created?user_id=x'));
  });

  it('a host token passes core verifyRequest on the request it was minted for, and no other', async () => {
    const store = new MemoryStore();
    await store.set({ clientKey: identity.clientKey, sharedSecret: identity.sharedSecret, baseUrl: 'https://x' });
    const token = await mintHostToken(identity, { url: '/panel?a=1&b=two words' });
    const headers = { authorization: `JWT ${token}` };
    const options = { store, baseUrl: identity.addonBaseUrl };
    await expect(
      verifyRequest({ method: 'GET', url: '/connect/panel?b=two%20words&a=1', headers }, options),
    ).resolves.toMatchObject({ clientKey: identity.clientKey });
    await expect(verifyRequest({ method: 'GET', url: '/connect/panel?a=2', headers }, options)).rejects.toMatchObject({
      code: 'ERR_QSH_MISMATCH',
    });
  });

  it('a context token has qsh "context-qsh", the user, the context claim and a 15 minute life', async () => {
    const context = { jira: { issue: { key: 'TEST-1' } } };
    const token = await mintContextToken(identity, { accountId: 'acc-1', context });
    const claims = decodeSymmetric(token, identity.sharedSecret, SymmetricAlgorithm.HS256);
    expect(claims).toMatchObject({ iss: identity.clientKey, sub: 'acc-1', qsh: 'context-qsh', context });
    expect(claims.exp - claims.iat).toBe(900);
  });

  it('a tampered token keeps its signature and fails verification in atlassian-jwt and in core', async () => {
    const token = tamperToken(await mintHostToken(identity, { url: '/hello', accountId: 'victim' }));
    expect(decodeUnverified(token).sub).toBe('attacker');
    expect(() => decodeSymmetric(token, identity.sharedSecret, SymmetricAlgorithm.HS256)).toThrow();
    await expect(decode(token, identity.sharedSecret)).rejects.toMatchObject({ code: 'ERR_INVALID_SIGNATURE' });
  });

  it('a token minted an hour ago is expired', async () => {
    const token = await mintHostToken(identity, { url: '/connect/hello', now: Date.now() - 3_600_000 });
    await expect(decode(token, identity.sharedSecret)).rejects.toMatchObject({ code: 'ERR_TOKEN_EXPIRED' });
  });

  it('tamperToken refuses something that is not a compact JWS', () => {
    expect(() => tamperToken('not-a-token')).toThrow(TypeError);
  });
});
