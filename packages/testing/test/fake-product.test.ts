import { decodeUnverified, signRequest } from '@connect-jwt/core';
import { createFakeProduct, type FakeProduct, type InstallForgery, serveAddon } from '@connect-jwt/testing';
import {
  createQueryStringHash,
  decodeSymmetric,
  encodeSymmetric,
  fromMethodAndUrl,
  SymmetricAlgorithm,
} from 'atlassian-jwt';
import { afterEach, describe, expect, it } from 'vitest';
import { APP_KEY, startMinimalAddon } from './helpers/minimal-addon.js';

let product: FakeProduct;
const cleanUps: (() => Promise<void>)[] = [];
let addon: Awaited<ReturnType<typeof startMinimalAddon>>;

async function setUp(productType: 'jira' | 'confluence' = 'jira') {
  product = await createFakeProduct({ productType });
  addon = await startMinimalAddon({ keyServerUrl: product.keyServerUrl });
}

afterEach(async () => {
  for (const cleanUp of cleanUps.splice(0)) await cleanUp();
  await addon?.close();
  await product?.close();
});

describe('createFakeProduct', () => {
  it('refuses an unknown product type at setup', async () => {
    await expect(createFakeProduct({ productType: 'bitbucket' as 'jira' })).rejects.toThrow(/productType/);
  });

  it('refuses an add-on base URL that is not an http(s) URL', async () => {
    await setUp();
    await expect(product.install('localhost:3000')).rejects.toThrow(TypeError);
  });

  it('says why it cannot read the descriptor: a 404, nothing listening, or no key in it', async () => {
    await setUp();
    const withDescriptor = async (status: number, body: string) => {
      const server = await serveAddon({ host: '127.0.0.1' }, () => ({
        handler: (_req, res) => res.writeHead(status, { 'content-type': 'application/json' }).end(body),
      }));
      cleanUps.push(() => server.close());
      return server.baseUrl;
    };
    const missing = await withDescriptor(404, '{}');
    await expect(product.install(missing)).rejects.toThrow(
      `install: GET ${missing}/atlassian-connect.json answered 404: serve the descriptor there (or pass options.appKey)`,
    );
    const keyless = await withDescriptor(200, '{"name":"no key"}');
    await expect(product.install(keyless)).rejects.toThrow(`${keyless}/atlassian-connect.json has no "key"`);
    const closed = await withDescriptor(200, '{}');
    await cleanUps.pop()?.();
    await expect(product.install(closed)).rejects.toThrow(/failed \(ECONNREFUSED\): is the add-on listening there\?/);
  });

  it('installs with a signed install the add-on accepts, reading the key from its descriptor', async () => {
    await setUp();
    const response = await product.install(addon.baseUrl);
    expect(response.status).toBe(200);
    expect(product.installed).toBe(true);
    expect(product.addon).toMatchObject({ appKey: APP_KEY, baseUrl: addon.baseUrl });
    const stored = await addon.store.get(product.clientKey);
    expect(stored).toMatchObject({
      clientKey: product.clientKey,
      sharedSecret: product.sharedSecret,
      baseUrl: product.baseUrl,
      productType: 'jira',
      key: APP_KEY,
    });
  });

  it('a reinstall rotates the shared secret, and old tokens stop working', async () => {
    await setUp();
    await product.install(addon.baseUrl);
    const before = product.sharedSecret;
    const oldToken = await product.hostToken({ url: '/anything' });
    expect((await product.install(addon.baseUrl)).status).toBe(200);
    expect(product.sharedSecret).not.toBe(before);
    expect((await product.request('/anything', { token: oldToken })).status).toBe(401);
    expect((await product.request('/anything')).status).toBe(200);
  });

  it.each<InstallForgery>(['unsigned', 'hs256', 'wrong-audience', 'unpublished-key', 'expired'])(
    'a %s install is refused and changes nothing',
    async (forgery) => {
      await setUp();
      await product.install(addon.baseUrl);
      const secret = product.sharedSecret;
      const response = await product.install(addon.baseUrl, { forgery });
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ code: 'ERR_INVALID_INSTALL' });
      expect(product.sharedSecret).toBe(secret);
      expect((await addon.store.get(product.clientKey))?.sharedSecret).toBe(secret);
    },
  );

  it('loads an iframe whose URL carries the context parameters and a token atlassian-jwt accepts', async () => {
    await setUp();
    await product.install(addon.baseUrl);
    const url = new URL(await product.iframeUrl('/hello'));
    for (const name of ['xdm_e', 'xdm_c', 'cp', 'lic', 'tz', 'loc', 'user_id'])
      expect(url.searchParams.has(name)).toBe(true);
    expect(url.searchParams.get('xdm_e')).toBe(product.siteUrl);
    const token = url.searchParams.get('jwt') as string;
    const claims = decodeSymmetric(token, product.sharedSecret, SymmetricAlgorithm.HS256);
    expect(claims.qsh).toBe(
      createQueryStringHash(fromMethodAndUrl('GET', `${url.pathname}${url.search}`), false, addon.baseUrl),
    );
    expect(claims.sub).toBe(product.accountId);

    const response = await product.loadIframe('/hello');
    expect(response.status).toBe(200);
    expect(((await response.json()) as { payload: unknown }).payload).toMatchObject({
      iss: product.clientKey,
      sub: product.accountId,
    });
  });

  it('sends context tokens, webhooks with their JSON body, and tokens in the query', async () => {
    await setUp();
    await product.install(addon.baseUrl);
    const context = await product.request('/api/context', { token: await product.contextToken() });
    expect(((await context.json()) as { payload: unknown }).payload).toMatchObject({
      qsh: 'context-qsh',
      context: { jira: { issue: { key: 'TEST-1' } } },
    });

    const webhook = await product.webhook('/webhooks/issue-created', 'jira:issue_created');
    expect(webhook.status).toBe(200);

    const inQuery = await product.request('/panel?x=1', { tokenIn: 'query' });
    expect(inQuery.status).toBe(200);
  });

  it("sends Jira's webhook delivery headers, and one webhook twice as a retry or as two copies at once", async () => {
    await setUp();
    await product.install(addon.baseUrl);
    const seen: Array<Record<string, string | string[] | undefined>> = [];
    const recorder = await serveAddon({ host: '127.0.0.1' }, () => ({
      handler: (req, res) => {
        seen.push(req.headers);
        req.resume().on('end', () => res.writeHead(204).end());
      },
    }));
    cleanUps.push(() => recorder.close());
    const url = `${recorder.baseUrl}/webhooks/issue-created`;
    const delivery = (headers: (typeof seen)[number] | undefined) => ({
      identifier: headers?.['x-atlassian-webhook-identifier'],
      retry: headers?.['x-atlassian-webhook-retry'],
      flow: headers?.['x-atlassian-webhook-flow'],
    });

    expect((await product.webhook(url, 'jira:issue_created')).status).toBe(204);
    const first = delivery(seen[0]);
    expect(first).toEqual({ identifier: expect.stringMatching(/^[0-9a-f-]{36}$/), retry: undefined, flow: 'Primary' });
    await product.webhook(url, 'jira:issue_created', { identifier: 'given-id', retry: 3, flow: 'Secondary' });
    expect(delivery(seen[1])).toEqual({ identifier: 'given-id', retry: '3', flow: 'Secondary' });
    expect((await product.webhook(url, 'jira:issue_created')).status).toBe(204);
    expect(delivery(seen[2]).identifier).not.toBe(first.identifier);

    for (const how of ['retry', 'concurrent'] as const) {
      seen.length = 0;
      const answers = await product.webhookTwice(url, 'jira:issue_created', how);
      expect(answers.map((answer) => answer.status)).toEqual([204, 204]);
      const copies = seen.map(delivery).sort((x, y) => String(x.retry).localeCompare(String(y.retry)));
      expect(copies).toEqual([
        { identifier: copies[0]?.identifier, retry: '1', flow: 'Primary' },
        { identifier: copies[0]?.identifier, retry: undefined, flow: 'Primary' },
      ]);
      // Each copy is signed on its own, as the product signs every request.
      expect(seen.every((headers) => String(headers.authorization).startsWith('JWT '))).toBe(true);
    }
  });

  it('negative tokens are refused by the add-on with the right code', async () => {
    await setUp();
    await product.install(addon.baseUrl);
    const codeOf = async (response: Response) => [response.status, ((await response.json()) as { code: string }).code];
    expect(await codeOf(await product.request('/x', { token: await product.expiredToken({ url: '/x' }) }))).toEqual([
      401,
      'ERR_TOKEN_EXPIRED',
    ]);
    expect(await codeOf(await product.request('/x', { token: await product.tamperedToken({ url: '/x' }) }))).toEqual([
      401,
      'ERR_INVALID_SIGNATURE',
    ]);
    expect(await codeOf(await product.request('/x', { token: await product.hostToken({ url: '/y' }) }))).toEqual([
      401,
      'ERR_QSH_MISMATCH',
    ]);
    expect(await codeOf(await product.request('/x', { token: null }))).toEqual([401, 'ERR_TOKEN_MISSING']);
  });

  it('acts as the Jira REST API: accepts the add-on signed call and records it', async () => {
    await setUp();
    await product.install(addon.baseUrl);
    const response = await product.request('/call-product?path=/rest/api/3/myself');
    expect(await response.json()).toMatchObject({ productStatus: 200, product: { accountType: 'app' } });
    expect(product.received).toEqual([
      expect.objectContaining({ method: 'GET', url: '/rest/api/3/myself', status: 200, appKey: APP_KEY }),
    ]);
  });

  it('acts as the Confluence REST API under /wiki, hashing the path below it as the host does', async () => {
    await setUp('confluence');
    expect(product.baseUrl).toBe(`${product.siteUrl}/wiki`);
    await product.install(addon.baseUrl);
    expect((await addon.store.get(product.clientKey))?.baseUrl).toBe(product.baseUrl);
    const response = await product.request('/call-product?path=/rest/api/space');
    expect(await response.json()).toMatchObject({ productStatus: 200, product: { size: 1 } });
    expect(product.received[0]).toMatchObject({ url: '/wiki/rest/api/space', status: 200, appKey: APP_KEY });
  });

  it('accepts a call signed by atlassian-jwt, as add-ons built on atlassian-connect-express sign them', async () => {
    await setUp('confluence');
    await product.install(addon.baseUrl);
    const path = '/wiki/rest/api/space?limit=5&start=0&type=global';
    const iat = Math.floor(Date.now() / 1000);
    const qsh = createQueryStringHash(fromMethodAndUrl('GET', path), false, product.baseUrl);
    const token = encodeSymmetric(
      { iss: APP_KEY, iat, exp: iat + 180, qsh },
      product.sharedSecret,
      SymmetricAlgorithm.HS256,
    );
    const response = await fetch(`${product.siteUrl}${path}`, { headers: { authorization: `JWT ${token}` } });
    expect(response.status).toBe(200);
    const reordered = await fetch(`${product.siteUrl}/wiki/rest/api/space?type=global&limit=5&start=0`, {
      headers: { authorization: `JWT ${token}` },
    });
    expect(reordered.status).toBe(200);
    const otherQuery = await fetch(`${product.siteUrl}/wiki/rest/api/space?limit=6&start=0&type=global`, {
      headers: { authorization: `JWT ${token}` },
    });
    expect(otherQuery.status).toBe(401);
  });

  it('refuses outbound calls that are unsigned, for another request, by another issuer, or after uninstall', async () => {
    await setUp();
    await product.install(addon.baseUrl);
    const installation = { clientKey: product.clientKey, sharedSecret: product.sharedSecret, baseUrl: product.baseUrl };
    const call = async (path: string, authorization?: string) => {
      const response = await fetch(`${product.baseUrl}${path}`, {
        headers: authorization ? { authorization } : {},
      });
      return [response.status, ((await response.json()) as { code: string }).code];
    };
    expect(await call('/rest/api/3/myself')).toEqual([401, 'ERR_TOKEN_MISSING']);
    const forProject = await signRequest(installation, { appKey: APP_KEY, url: '/rest/api/3/project' });
    expect(await call('/rest/api/3/myself', forProject)).toEqual([401, 'ERR_QSH_MISMATCH']);
    const otherApp = await signRequest(installation, { appKey: 'com.example.other', url: '/rest/api/3/myself' });
    expect(await call('/rest/api/3/myself', otherApp)).toEqual([401, 'ERR_INVALID_ISSUER']);
    const wrongSecret = await signRequest(
      { ...installation, sharedSecret: 'not-the-shared-secret-at-all-0123456789' },
      { appKey: APP_KEY, url: '/rest/api/3/myself' },
    );
    expect(await call('/rest/api/3/myself', wrongSecret)).toEqual([401, 'ERR_INVALID_SIGNATURE']);
    const good = await signRequest(installation, { appKey: APP_KEY, url: '/rest/api/3/myself' });
    expect(await call('/rest/api/3/myself', good)).toEqual([200, undefined]);
    expect(decodeUnverified(good.slice(4)).iss).toBe(APP_KEY);

    expect((await product.uninstall()).status).toBe(200);
    expect(product.installed).toBe(false);
    expect(await addon.store.get(product.clientKey)).toBeUndefined();
    expect(await call('/rest/api/3/myself', good)).toEqual([401, 'ERR_INVALID_ISSUER']);
    expect((await product.request('/x')).status).toBe(401);
    expect(product.received.map((call) => call.status)).toEqual([401, 401, 401, 401, 200, 401]);
  });

  it('answers 404 for an unknown resource once the JWT is accepted, and records JSON bodies', async () => {
    await setUp();
    await product.install(addon.baseUrl);
    const installation = { clientKey: product.clientKey, sharedSecret: product.sharedSecret, baseUrl: product.baseUrl };
    const url = '/rest/api/3/issue/TEST-1/comment';
    const authorization = await signRequest(installation, { appKey: APP_KEY, method: 'POST', url });
    const response = await fetch(`${product.baseUrl}${url}`, {
      method: 'POST',
      headers: { authorization, 'content-type': 'application/json' },
      body: JSON.stringify({ body: 'hello' }),
    });
    expect(response.status).toBe(404);
    expect(product.received).toEqual([
      expect.objectContaining({ method: 'POST', url, status: 404, appKey: APP_KEY, body: { body: 'hello' } }),
    ]);
  });

  it('close() stops its servers', async () => {
    await setUp();
    const { baseUrl, keyServerUrl } = product;
    await product.close();
    await expect(fetch(`${baseUrl}/rest/api/3/myself`)).rejects.toThrow();
    await expect(fetch(`${keyServerUrl}/x`)).rejects.toThrow();
  });
});
