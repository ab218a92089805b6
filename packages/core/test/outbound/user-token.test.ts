import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { encode, getUserAccessToken, type Installation, productFetch } from '@connect-jwt/core';
import { toErrorResponse } from '@connect-jwt/core/adapter';
import { UserTokenError, UserTokenUnavailableError } from '@connect-jwt/core/errors';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { APP_KEY, type InstalledProduct, installedProduct } from '../support/installed-product.js';

let jira: InstalledProduct;
let confluence: InstalledProduct;
beforeAll(async () => {
  [jira, confluence] = await Promise.all([installedProduct(), installedProduct({ productType: 'confluence' })]);
});
afterAll(async () => {
  await Promise.all([jira.close(), confluence.close()]);
});
afterEach(() => {
  vi.useRealTimers();
});

const newAccount = () => `5b10ac8d82e05b22cc7d4ef5${Math.random().toString(16).slice(2, 10)}`;
const asUser = (site: InstalledProduct, accountId = newAccount()) => ({
  accountId,
  authorizationServerUrl: site.product.authorizationServerUrl,
});

/** POSTs a token request to the fake authorization server by hand, as Atlassian receives one. */
async function tokenRequest(
  site: InstalledProduct,
  claims: Record<string, unknown>,
  options: { secret?: string; form?: Record<string, string>; contentType?: string } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${site.product.authorizationServerUrl}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': options.contentType ?? 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams({
      grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
      assertion: await encode(claims, options.secret ?? site.installation.sharedSecret),
      ...options.form,
    }).toString(),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

function goodClaims(site: InstalledProduct): Record<string, unknown> {
  const iat = Math.floor(Date.now() / 1000);
  return {
    iss: `urn:atlassian:connect:clientid:${site.installation.oauthClientId}`,
    sub: `urn:atlassian:connect:useraccountid:${newAccount()}`,
    tnt: site.installation.baseUrl,
    aud: site.product.authorizationServerUrl,
    iat,
    exp: iat + 60,
  };
}

describe('the assertion (claim table, against the strict fake authorization server)', () => {
  it('accepts the claims Atlassian documents, for Jira and for Confluence (tnt with /wiki)', async () => {
    for (const site of [jira, confluence]) {
      const answer = await tokenRequest(site, goodClaims(site), { form: { scope: 'READ WRITE' } });
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ token_type: 'Bearer', expires_in: 900 });
    }
    expect(confluence.installation.baseUrl).toMatch(/\/wiki$/);
  });

  const now = () => Math.floor(Date.now() / 1000);
  const rows: [string, (site: InstalledProduct) => Parameters<typeof tokenRequest>[1], object?][] = [
    ['another secret', (s) => goodClaims(s), { secret: 'not-the-installation-secret' }],
    ['iss without the urn', (s) => ({ ...goodClaims(s), iss: s.installation.oauthClientId })],
    ['iss of another client', (s) => ({ ...goodClaims(s), iss: 'urn:atlassian:connect:clientid:someone-else' })],
    ['sub without the urn', (s) => ({ ...goodClaims(s), sub: newAccount() })],
    ['sub missing', (s) => ({ ...goodClaims(s), sub: undefined })],
    ['tnt without /wiki', (s) => ({ ...goodClaims(s), tnt: s.installation.baseUrl.replace(/\/wiki$/, '') })],
    ['tnt of another site', (s) => ({ ...goodClaims(s), tnt: 'https://other.atlassian.net' })],
    ['aud of another server', (s) => ({ ...goodClaims(s), aud: 'https://oauth.example.com' })],
    ['iat in the future', (s) => ({ ...goodClaims(s), iat: now() + 30, exp: now() + 60 })],
    ['exp 61 s after iat', (s) => ({ ...goodClaims(s), exp: now() + 61 })],
    ['exp passed', (s) => ({ ...goodClaims(s), iat: now() - 70, exp: now() - 10 })],
    ['a qsh', (s) => ({ ...goodClaims(s), qsh: 'context-qsh' })],
    ['another grant type', (s) => goodClaims(s), { form: { grant_type: 'client_credentials' } }],
    ['lower-case scopes', (s) => goodClaims(s), { form: { scope: 'read write' } }],
    ['comma-separated scopes', (s) => goodClaims(s), { form: { scope: 'READ,WRITE' } }],
    ['a JSON body', (s) => goodClaims(s), { contentType: 'application/json' }],
  ];
  for (const [name, claims, options] of rows) {
    it(`refuses ${name}`, async () => {
      const site = name.includes('/wiki') ? confluence : jira;
      const built = claims(site);
      for (const key of Object.keys(built)) if (built[key] === undefined) delete built[key];
      const answer = await tokenRequest(site, built, options);
      expect(answer.status).toBeGreaterThanOrEqual(400);
      expect(answer.status).toBeLessThan(500);
      expect(typeof answer.body.error).toBe('string');
    });
  }
});

describe('getUserAccessToken', () => {
  it('gets a token the product takes as that user, and never shows it', async () => {
    const accountId = newAccount();
    const token = await getUserAccessToken(jira.installation, asUser(jira, accountId));
    expect(token.expiresAt).toBeGreaterThan(Date.now());
    const me = await fetch(`${jira.product.baseUrl}/rest/api/3/myself`, {
      headers: { authorization: `Bearer ${token.accessToken}` },
    });
    expect(await me.json()).toMatchObject({ accountId });
    expect(inspect(token)).not.toContain(token.accessToken);
    expect(JSON.stringify(token)).not.toContain(token.accessToken);
    expect(JSON.stringify({ token })).toContain('[redacted]');
  });

  it('signs tnt with /wiki for Confluence', async () => {
    const accountId = newAccount();
    const before = confluence.product.tokenRequests.length;
    const response = await productFetch(
      confluence.installation,
      { appKey: APP_KEY, as: { accountId }, authorizationServerUrl: confluence.product.authorizationServerUrl },
      '/rest/api/user/current',
    );
    expect(await response.json()).toMatchObject({ accountId });
    expect(confluence.product.tokenRequests.slice(before)).toEqual([
      expect.objectContaining({ status: 200, accountId }),
    ]);
  });

  it('50 concurrent calls make one token request', async () => {
    const options = asUser(jira);
    const before = jira.product.tokenRequests.length;
    const tokens = await Promise.all(Array.from({ length: 50 }, () => getUserAccessToken(jira.installation, options)));
    expect(new Set(tokens.map((t) => t.accessToken)).size).toBe(1);
    expect(jira.product.tokenRequests.length - before).toBe(1);
    await getUserAccessToken(jira.installation, options);
    expect(jira.product.tokenRequests.length - before).toBe(1);
  });

  it('a caller that aborts stops waiting; the others sharing its request get the token', async () => {
    const options = asUser(jira);
    const before = jira.product.tokenRequests.length;
    const controller = new AbortController();
    const leaving = getUserAccessToken(jira.installation, { ...options, signal: controller.signal });
    const staying = getUserAccessToken(jira.installation, options);
    controller.abort(new Error('the user left'));
    await expect(leaving).rejects.toThrow('the user left');
    expect((await staying).expiresAt).toBeGreaterThan(Date.now());
    expect(jira.product.tokenRequests.length - before).toBe(1);
  });

  it('keeps separate tokens per account, per installation and per scope set', async () => {
    const accountId = newAccount();
    const before = jira.product.tokenRequests.length;
    const get = (site: InstalledProduct, extra: { accountId?: string; scopes?: string[] } = {}) =>
      getUserAccessToken(site.installation, { ...asUser(site, accountId), ...extra }).then((t) => t.accessToken);
    const base = await get(jira);
    const other = await get(jira, { accountId: newAccount() });
    const otherSite = await get(confluence);
    const read = await get(jira, { scopes: ['READ'] });
    const readWrite = await get(jira, { scopes: ['READ', 'WRITE'] });
    // The same set, spelled otherwise: the same token.
    expect(await get(jira, { scopes: ['write', 'READ', 'WRITE'] })).toBe(readWrite);
    expect(new Set([base, other, otherSite, read, readWrite]).size).toBe(5);
    // Sent upper-case and space-separated; the other installation asked its own product.
    expect(jira.product.tokenRequests.slice(before).map((r) => r.scope)).toEqual([
      undefined,
      undefined,
      'READ',
      'READ WRITE',
    ]);
  });

  it('asks for a new token once the cached one has expired', async () => {
    const options = asUser(jira);
    const first = await getUserAccessToken(jira.installation, options);
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(first.expiresAt + 1);
    const before = jira.product.tokenRequests.length;
    const second = await getUserAccessToken(jira.installation, options);
    expect(second.accessToken).not.toBe(first.accessToken);
    expect(jira.product.tokenRequests.length - before).toBe(1);
  });

  it('a missing oauthClientId, accountId or sharedSecret is a TypeError before anything is sent', async () => {
    const before = jira.product.tokenRequests.length;
    const { oauthClientId: _, ...withoutClient } = jira.installation;
    await expect(getUserAccessToken(withoutClient as Installation, asUser(jira))).rejects.toThrow(
      /getUserAccessToken: .*oauthClientId/,
    );
    await expect(getUserAccessToken(jira.installation, { ...asUser(jira), accountId: '' })).rejects.toThrow(TypeError);
    await expect(getUserAccessToken({ ...jira.installation, sharedSecret: '' }, asUser(jira))).rejects.toThrow(
      /sharedSecret/,
    );
    await expect(
      productFetch(
        withoutClient as Installation,
        { appKey: APP_KEY, as: { accountId: newAccount() } },
        '/rest/api/3/myself',
      ),
    ).rejects.toThrow(/productFetch: .*oauthClientId/);
    await expect(getUserAccessToken(jira.installation, { ...asUser(jira), scopes: ['READ WRITE'] })).rejects.toThrow(
      /scopes/,
    );
    expect(jira.product.tokenRequests.length).toBe(before);
  });

  it('a refusal is ERR_USER_TOKEN with the OAuth error, never the secret or the assertion', async () => {
    const secret = 'a-wrong-secret-that-must-not-leak-0123456789';
    const error = await getUserAccessToken({ ...jira.installation, sharedSecret: secret }, asUser(jira)).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UserTokenError);
    expect(error).toMatchObject({ code: 'ERR_USER_TOKEN', authServerStatus: 400, error: 'invalid_grant' });
    const shown = `${String(error)} ${inspect(error)} ${JSON.stringify(error)}`;
    expect(shown).not.toContain(secret);
    expect(shown).not.toMatch(/eyJ[\w-]+\.[\w-]+\./);
  });

  it('an unreachable or silent server is ERR_USER_TOKEN_UNAVAILABLE, answered 503', async () => {
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', () => resolve()));
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    try {
      const timedOut = await getUserAccessToken(jira.installation, {
        accountId: newAccount(),
        authorizationServerUrl: url,
        timeoutMs: 100,
      }).catch((e: unknown) => e);
      expect(timedOut).toBeInstanceOf(UserTokenUnavailableError);
      expect(String(timedOut)).toMatch(/did not answer within 100 ms/);
      expect(toErrorResponse(timedOut)).toMatchObject({ status: 503, body: { code: 'ERR_USER_TOKEN_UNAVAILABLE' } });
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
    // Closed now: nothing listens there.
    await expect(
      getUserAccessToken(jira.installation, { accountId: newAccount(), authorizationServerUrl: url }),
    ).rejects.toMatchObject({ code: 'ERR_USER_TOKEN_UNAVAILABLE', status: 503, message: /could not be reached/ });
  }, 30_000);
});

describe('productFetch as a user', () => {
  it('calls the product with the Bearer token, inside baseUrl only', async () => {
    const accountId = newAccount();
    const options = { appKey: APP_KEY, as: { accountId }, authorizationServerUrl: jira.product.authorizationServerUrl };
    const response = await productFetch(jira.installation, options, '/rest/api/3/myself');
    expect(await response.json()).toMatchObject({ accountId, accountType: 'atlassian' });
    expect(jira.product.received.at(-1)).toMatchObject({ auth: 'bearer', accountId, appKey: APP_KEY, status: 200 });
    await expect(productFetch(jira.installation, options, 'https://evil.example.com/x')).rejects.toThrow(/outside/);
  });

  it('a 401 to a cached token drops it and retries once with a new one', async () => {
    const accountId = newAccount();
    const options = { appKey: APP_KEY, as: { accountId }, authorizationServerUrl: jira.product.authorizationServerUrl };
    expect((await productFetch(jira.installation, options, '/rest/api/3/myself')).status).toBe(200);
    jira.product.expireUserTokens();
    const before = { calls: jira.product.received.length, tokens: jira.product.tokenRequests.length };
    const response = await productFetch(jira.installation, options, '/rest/api/3/myself');
    expect(response.status).toBe(200);
    expect(jira.product.received.slice(before.calls).map((c) => [c.status, c.code])).toEqual([
      [401, 'ERR_TOKEN_EXPIRED'],
      [200, undefined],
    ]);
    expect(jira.product.tokenRequests.length - before.tokens).toBe(1);
  });

  it("is the migration guide's one-line equivalent of ACE's asUserByAccountId(accountId).get(url)", async () => {
    const guide = readFileSync(new URL('../../../../docs/migrating-from-ace.md', import.meta.url), 'utf8');
    expect(guide).toContain("| `httpClient(req).asUserByAccountId(accountId).get('/rest/api/3/myself')`");
    expect(guide).toContain(
      "`productFetch(req.atlassian.installation, { appKey, as: { accountId } }, '/rest/api/3/myself')`",
    );
    const accountId = newAccount();
    const appKey = APP_KEY;
    const req = { atlassian: { installation: jira.installation, accountId } };
    // The guide's line; only `authorizationServerUrl` is added, to reach the fake server instead of Atlassian's.
    const { authorizationServerUrl } = jira.product;
    const response = await productFetch(
      req.atlassian.installation,
      { appKey, as: { accountId }, authorizationServerUrl },
      '/rest/api/3/myself',
    );
    expect(await response.json()).toMatchObject({ accountId, accountType: 'atlassian' });
  });
});
