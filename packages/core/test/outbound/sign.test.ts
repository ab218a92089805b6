import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  computeQsh,
  decodeUnverified,
  type Installation,
  MemoryStore,
  productFetch,
  signRequest,
  verifyRequest,
} from '@connect-jwt/core';
import { toErrorResponse } from '@connect-jwt/core/adapter';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveProductUrl } from '../../src/outbound/sign.js';

const APP_KEY = 'com.example.addon';
const SHARED_SECRET = 'outbound-shared-secret-0123456789abcdef';

/** A stand-in product on 127.0.0.1 that checks add-on calls the way the host does: JWT + qsh below its base path. */
async function startProduct(contextPath: string): Promise<{ server: Server; baseUrl: string; received: string[] }> {
  const store = new MemoryStore();
  const received: string[] = [];
  const server = createServer(async (req, res) => {
    received.push(req.url ?? '');
    const port = (server.address() as AddressInfo).port;
    try {
      const auth = await verifyRequest(
        { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers },
        { store, baseUrl: `http://127.0.0.1:${port}${contextPath}` },
      );
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ iss: auth.clientKey, method: req.method, url: req.url }));
    } catch (error) {
      const answer = toErrorResponse(error);
      res.writeHead(answer.status, answer.headers);
      res.end(JSON.stringify(answer.body));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  // The product knows the add-on by its key, with the secret it handed out at install.
  await store.set({ clientKey: APP_KEY, sharedSecret: SHARED_SECRET, baseUrl: 'https://addon.example.com' });
  return { server, baseUrl: `http://127.0.0.1:${port}${contextPath}`, received };
}

let jira: { server: Server; baseUrl: string; received: string[] };
let confluence: { server: Server; baseUrl: string; received: string[] };

beforeAll(async () => {
  jira = await startProduct('');
  confluence = await startProduct('/wiki');
});

afterAll(async () => {
  await Promise.all([jira, confluence].map(({ server }) => new Promise((resolve) => server.close(resolve))));
});

function installation(baseUrl: string): Installation {
  return { clientKey: 'client-1', sharedSecret: SHARED_SECRET, baseUrl };
}

describe('signRequest', () => {
  it('returns "JWT <token>" with iss = appKey and the qsh below the base URL', async () => {
    const header = await signRequest(installation('https://example.atlassian.net/wiki'), {
      appKey: APP_KEY,
      method: 'post',
      url: '/rest/api/content?expand=body.storage',
      expiresIn: 60,
      subject: 'account-1',
    });
    expect(header).toMatch(/^JWT [\w-]+\.[\w-]+\.[\w-]+$/);
    const claims = decodeUnverified(header.slice(4));
    expect(claims).toMatchObject({ iss: APP_KEY, sub: 'account-1' });
    expect((claims.exp as number) - (claims.iat as number)).toBe(60);
    expect(claims.qsh).toBe(computeQsh('POST', '/rest/api/content?expand=body.storage'));
  });

  it('signs an absolute URL inside the base URL like the relative one', async () => {
    const base = 'https://example.atlassian.net/wiki';
    const absolute = await signRequest(installation(base), { appKey: APP_KEY, url: `${base}/rest/api/space` });
    expect(decodeUnverified(absolute.slice(4)).qsh).toBe(computeQsh('GET', '/rest/api/space'));
  });

  it('refuses URLs outside the installation, and bad options, with TypeErrors', async () => {
    const install = installation('https://example.atlassian.net/wiki');
    await expect(signRequest(install, { appKey: APP_KEY, url: 'https://evil.example.com/wiki/x' })).rejects.toThrow(
      /outside/,
    );
    await expect(signRequest(install, { appKey: APP_KEY, url: 'https://example.atlassian.net/other' })).rejects.toThrow(
      /outside/,
    );
    await expect(signRequest(install, { appKey: APP_KEY, url: 'https://example.atlassian.net/wikiX' })).rejects.toThrow(
      TypeError,
    );
    await expect(signRequest(install, { appKey: '', url: '/x' })).rejects.toThrow(/appKey/);
    await expect(signRequest({ ...install, sharedSecret: '' }, { appKey: APP_KEY, url: '/x' })).rejects.toThrow(
      /sharedSecret/,
    );
    await expect(
      signRequest({ ...install, baseUrl: 'example.atlassian.net' }, { appKey: APP_KEY, url: '/x' }),
    ).rejects.toThrow(/baseUrl/);
  });

  // The installation's credential is for its base path only: Confluence's `/wiki` shares its host
  // with other sites' paths, so a relative URL climbing out of it is as foreign as another host.
  it.each([
    ['../rest/api/3/myself'],
    ['/../admin'],
    ['rest/../../admin'],
    ['./../admin'],
    ['%2e%2e/admin'],
    ['/%2E%2E/admin'],
    ['..\\admin'],
    ['/wiki/../../admin'],
  ])('refuses the relative URL %s, which resolves outside the base path', async (url) => {
    const install = installation('https://example.atlassian.net/wiki');
    await expect(signRequest(install, { appKey: APP_KEY, url })).rejects.toThrow(TypeError);
    await expect(signRequest(install, { appKey: APP_KEY, url })).rejects.toThrow(/outside the installation's baseUrl/);
    expect(() => resolveProductUrl(install, url)).toThrow(/outside/);
  });

  it('accepts a relative URL whose dot segments stay inside the base path', () => {
    const install = installation('https://example.atlassian.net/wiki');
    expect(new URL(resolveProductUrl(install, '/rest/../rest/api/space')).pathname).toBe('/wiki/rest/api/space');
  });

  it('resolveProductUrl joins relative URLs to the base without doubling slashes', () => {
    const install = { baseUrl: 'https://example.atlassian.net/wiki/' };
    expect(resolveProductUrl(install, '/rest/api/space')).toBe('https://example.atlassian.net/wiki/rest/api/space');
    expect(resolveProductUrl(install, 'rest/api/space')).toBe('https://example.atlassian.net/wiki/rest/api/space');
    expect(resolveProductUrl({ baseUrl: 'https://example.atlassian.net///' }, '/x')).toBe(
      'https://example.atlassian.net/x',
    );
  });
});

describe('productFetch against a real local product', () => {
  it('calls a Jira-style product (no context path); the product verifies token and qsh', async () => {
    const response = await productFetch(
      installation(jira.baseUrl),
      { appKey: APP_KEY },
      '/rest/api/3/myself?expand=groups',
    );
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ iss: APP_KEY, method: 'GET', url: '/rest/api/3/myself?expand=groups' });
  });

  it('calls a Confluence-style product under /wiki, with a POST body', async () => {
    const response = await productFetch(installation(confluence.baseUrl), { appKey: APP_KEY }, '/rest/api/content', {
      method: 'post',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'x' }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ iss: APP_KEY, method: 'POST', url: '/wiki/rest/api/content' });
  });

  it('refuses a relative URL that climbs out of /wiki before anything is sent', async () => {
    const before = confluence.received.length;
    for (const url of ['../rest/api/3/myself', '/../admin', '%2e%2e/admin', 'rest/../../admin']) {
      await expect(productFetch(installation(confluence.baseUrl), { appKey: APP_KEY }, url)).rejects.toThrow(
        /outside the installation's baseUrl/,
      );
    }
    expect(confluence.received.length).toBe(before);
    // Dot segments that stay inside the base path are resolved, and signed as sent.
    const inside = await productFetch(installation(confluence.baseUrl), { appKey: APP_KEY }, '/x/../rest/api/space');
    expect(inside.status).toBe(200);
    expect(await inside.json()).toMatchObject({ url: '/wiki/rest/api/space' });
  });

  it('is refused by the product when signed with another secret', async () => {
    const response = await productFetch(
      { ...installation(jira.baseUrl), sharedSecret: 'not-the-shared-secret' },
      { appKey: APP_KEY },
      '/rest/api/3/myself',
    );
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ code: 'ERR_INVALID_SIGNATURE' });
  });
});
