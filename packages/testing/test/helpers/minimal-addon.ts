import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MemoryStore, productFetch, verifyRequest } from '@connect-jwt/core';
import { createLifecycleRoutes, toErrorResponse } from '@connect-jwt/core/adapter';
// Not in the adapter kit (no shipped adapter parses JSON itself): read from core's source.
import { parseJsonBody } from '../../../core/src/http/json-body.js';

export const APP_KEY = 'com.example.minimal-addon';

/**
 * The smallest real add-on the fake product can drive, on core alone (no framework): the
 * descriptor, the lifecycle routes, `/page` (an iframe page that loads `all.js`, strict qsh),
 * `/call-product?path=…` (an outbound call), and any other path authenticated with `qsh: 'any'` and
 * answered with the verified claims.
 */
export async function startMinimalAddon(options: { keyServerUrl: string }) {
  const store = new MemoryStore();
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const lifecycle = createLifecycleRoutes({ baseUrl, store, keyServerUrl: options.keyServerUrl });

  server.on('request', async (req: IncomingMessage, res) => {
    const url = req.url ?? '/';
    const method = req.method ?? 'GET';
    const reply = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
    };
    try {
      if (url === '/atlassian-connect.json') {
        return reply(200, {
          key: APP_KEY,
          baseUrl,
          lifecycle: { installed: '/installed', uninstalled: '/uninstalled' },
        });
      }
      if (method === 'POST' && (url === '/installed' || url === '/uninstalled')) {
        const chunks: Buffer[] = [];
        for await (const chunk of req) chunks.push(chunk as Buffer);
        const body = parseJsonBody(Buffer.concat(chunks), req.headers['content-type']);
        const request = { method, url, headers: req.headers, body };
        await (url === '/installed' ? lifecycle.installed(request) : lifecycle.uninstalled(request));
        return reply(200, {});
      }
      if (url.startsWith('/page?')) {
        const page = await verifyRequest({ method, url, headers: req.headers }, { store, baseUrl });
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        const account = String(page.accountId).replace(/[<&]/g, (character) => `&#${character.charCodeAt(0)};`);
        return res.end(
          `<!doctype html><html><head><script src="https://connect-cdn.atl-paas.net/all.js"></script></head>` +
            `<body><p>Signed in as <span id="account">${account}</span></p></body></html>`,
        );
      }
      const auth = await verifyRequest({ method, url, headers: req.headers }, { store, baseUrl, qsh: 'any' });
      if (url.startsWith('/call-product?')) {
        const target = new URL(url, baseUrl).searchParams.get('path') ?? '/';
        const response = await productFetch(auth.installation, { appKey: APP_KEY }, target);
        return reply(200, { productStatus: response.status, product: await response.json() });
      }
      return reply(200, { payload: auth.payload });
    } catch (error) {
      const answer = toErrorResponse(error);
      return reply(answer.status, answer.body, answer.headers);
    }
  });

  return {
    baseUrl,
    store,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
