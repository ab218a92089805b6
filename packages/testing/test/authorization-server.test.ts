import { getUserAccessToken, productFetch } from '@connect-jwt/core';
import { createFakeProduct, type FakeProduct } from '@connect-jwt/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { APP_KEY, startMinimalAddon } from './helpers/minimal-addon.js';

let product: FakeProduct | undefined;
let addon: Awaited<ReturnType<typeof startMinimalAddon>> | undefined;
afterEach(async () => {
  await addon?.close();
  await product?.close();
  addon = undefined;
  product = undefined;
});

async function installed() {
  product = await createFakeProduct();
  addon = await startMinimalAddon({ keyServerUrl: product.keyServerUrl });
  expect((await product.install(addon.baseUrl)).ok).toBe(true);
  return product;
}

describe('the fake authorization server and Bearer tokens', () => {
  it('refuses an unknown Bearer token, and every token once the add-on is uninstalled', async () => {
    const fake = await installed();
    const unknown = await fetch(`${fake.baseUrl}/rest/api/3/myself`, { headers: { authorization: 'Bearer nope' } });
    expect(unknown.status).toBe(401);
    expect(fake.received.at(-1)).toMatchObject({ status: 401, code: 'ERR_TOKEN_UNKNOWN', auth: 'bearer' });
    // The installation as the add-on would have stored it: the payload carried oauthClientId.
    const installation = {
      clientKey: fake.clientKey,
      sharedSecret: fake.sharedSecret,
      baseUrl: fake.baseUrl,
      oauthClientId: fake.oauthClientId,
    };
    const options = { accountId: fake.accountId, authorizationServerUrl: fake.authorizationServerUrl };
    const token = await getUserAccessToken(installation, options);
    const headers = { authorization: `Bearer ${token.accessToken}` };
    expect((await fetch(`${fake.baseUrl}/rest/api/3/myself`, { headers })).status).toBe(200);
    expect((await fake.uninstall()).ok).toBe(true);
    expect((await fetch(`${fake.baseUrl}/rest/api/3/myself`, { headers })).status).toBe(401);
    // And no new token for an add-on that is gone.
    await expect(
      getUserAccessToken(installation, { ...options, accountId: `${fake.accountId}-2` }),
    ).rejects.toMatchObject({ code: 'ERR_USER_TOKEN', authServerStatus: 401, error: 'invalid_client' });
  });

  it('only serves POST /oauth2/token, form-encoded, for JSON', async () => {
    const fake = await installed();
    expect((await fetch(`${fake.authorizationServerUrl}/oauth2/token`)).status).toBe(404);
    const noAccept = await fetch(`${fake.authorizationServerUrl}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
      body: 'grant_type=x',
    });
    expect(noAccept.status).toBe(406);
    expect(fake.tokenRequests.map((r) => r.status)).toEqual([404, 406]);
  });
});

describe('rateLimit', () => {
  it('answers the next calls with the scripted status and headers, then the real answer', async () => {
    const fake = await installed();
    fake.rateLimit({ status: 503, retryAfter: 'Wed, 21 Oct 2026 07:28:00 GMT', reason: 'jira-cost-based', times: 2 });
    fake.rateLimit({ retryAfter: null, headers: { 'X-Beta-RateLimit-Reason': 'jira-quota-tenant-based' } });
    const statuses = [];
    for (let i = 0; i < 4; i++) {
      const response = await productFetch(
        { clientKey: fake.clientKey, sharedSecret: fake.sharedSecret, baseUrl: fake.baseUrl },
        { appKey: APP_KEY, retry: false },
        '/rest/api/3/myself',
      );
      statuses.push([
        response.status,
        response.headers.get('retry-after'),
        response.headers.get('ratelimit-reason'),
        response.headers.get('x-beta-ratelimit-reason'),
      ]);
    }
    expect(statuses).toEqual([
      [503, 'Wed, 21 Oct 2026 07:28:00 GMT', 'jira-cost-based', null],
      [503, 'Wed, 21 Oct 2026 07:28:00 GMT', 'jira-cost-based', null],
      [429, null, 'jira-quota-tenant-based', 'jira-quota-tenant-based'],
      [200, null, null, null],
    ]);
  });

  it('refuses a status or a count it cannot script', async () => {
    product = await createFakeProduct();
    expect(() => product?.rateLimit({ status: 500 as 429 })).toThrow('rateLimit: status must be 429 or 503');
    expect(() => product?.rateLimit({ times: 0 })).toThrow('rateLimit: times must be a positive integer');
  });
});
