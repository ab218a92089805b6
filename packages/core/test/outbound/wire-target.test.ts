// Outbound qsh against a real server that, like the host, hashes the raw target it received: a
// space, a non-ASCII character or a backslash in the path goes on the wire as fetch serialises it
// (`%20`, `%C3%A9`, `/`), so the token must be signed for that, not for the string as typed.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  canonicalRequest,
  computeQsh,
  createJwt,
  type Installation,
  MemoryStore,
  productFetch,
  signRequest,
  verifyRequest,
} from '@connect-jwt/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const APP_KEY = 'com.example.wire-target';
const SECRET = 'wire-target-shared-secret-0123456789abcdef';
let server: Server;
let origin: string;
let installation: Installation;
const received: string[] = [];

beforeAll(async () => {
  const store = new MemoryStore();
  await store.set({ clientKey: APP_KEY, sharedSecret: SECRET, baseUrl: '' });
  server = createServer((req, res) => {
    const target = req.url ?? '/';
    received.push(target);
    // The product's side: the raw target as received, below its context path /wiki.
    verifyRequest({ method: req.method ?? 'GET', url: target, headers: req.headers }, { store, baseUrl: '/wiki' }).then(
      () => res.writeHead(200).end('ok'),
      (error: { code?: string; canonicalRequest?: string }) =>
        res.writeHead(401).end(`${error.code} ${error.canonicalRequest ?? ''}`),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  installation = { clientKey: 'tenant', sharedSecret: SECRET, baseUrl: `${origin}/wiki` };
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

describe('outbound qsh over the request target as it goes on the wire', () => {
  it.each([
    [
      'a space',
      '/download/attachments/123/Quarterly report.pdf',
      '/wiki/download/attachments/123/Quarterly%20report.pdf',
    ],
    ['a non-ASCII character', '/rest/api/3/user/properties/café', '/wiki/rest/api/3/user/properties/caf%C3%A9'],
    ['a backslash', '/rest/api/3/a\\b', '/wiki/rest/api/3/a/b'],
    ['a space in the query too', '/rest/api/search?cql=type = page', '/wiki/rest/api/search?cql=type%20=%20page'],
  ])('productFetch with %s in the target', async (_label, url, wire) => {
    const response = await productFetch(installation, { appKey: APP_KEY }, url);
    expect({ status: response.status, body: await response.text() }).toEqual({ status: 200, body: 'ok' });
    expect(received.at(-1)).toBe(wire);
  });

  it('signRequest signs what fetch sends for the same URL', async () => {
    const url = '/download/attachments/9/Annual plan é.pdf';
    const authorization = await signRequest(installation, { appKey: APP_KEY, url });
    const response = await fetch(`${installation.baseUrl}${url}`, { headers: { authorization } });
    expect(response.status).toBe(200);
  });

  it('createJwt signs what fetch sends, and uses a valid request target exactly as given', async () => {
    for (const uri of ['/wiki/files/a b.txt?x=1', '/wiki/files/%7e%41?x=%2a']) {
      const token = await createJwt(APP_KEY, SECRET, { uri, baseUrl: installation.baseUrl });
      const response = await fetch(`${origin}${uri}`, { headers: { authorization: `JWT ${token}` } });
      expect({ uri, status: response.status }).toEqual({ uri, status: 200 });
    }
    expect(received.at(-1)).toBe('/wiki/files/%7e%41?x=%2a');
  });

  it("canonicalRequest hashes the wire form by default, the string as given with requestTarget: 'as-given'", () => {
    expect(canonicalRequest('GET', '/files/a b')).toBe('GET&/files/a%20b&');
    expect(canonicalRequest('GET', '/café')).toBe('GET&/caf%C3%A9&');
    expect(canonicalRequest('GET', 'https://x.net/a\\b?q')).toBe('GET&/a/b&q=');
    expect(canonicalRequest('GET', '/a\u0001b')).toBe('GET&/a%01b&');
    expect(computeQsh('GET', '/ rest')).toBe(computeQsh('GET', '/%20rest'));
    // A valid request target (as every received one is) is never re-encoded.
    expect(canonicalRequest('GET', '/a%2Fb/caf%c3%a9?x=%41')).toBe('GET&/a%2Fb/caf%c3%a9&x=A');
    expect(canonicalRequest('GET', '/files/a b', { requestTarget: 'as-given' })).toBe('GET&/files/a b&');
    expect(canonicalRequest('GET', '/café', { requestTarget: 'as-given' })).toBe('GET&/café&');
    expect(canonicalRequest('GET', '/a\\b', { requestTarget: 'as-given' })).toBe('GET&/a\\b&');
  });
});
