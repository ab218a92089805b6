// A fake product with a real add-on installed in it (core's lifecycle, no framework): the
// installation exactly as the add-on stored it, for tests of calls back to the product.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Installation, MemoryStore } from '@connect-jwt/core';
import { createLifecycleRoutes } from '@connect-jwt/core/adapter';
import { createFakeProduct, type FakeProduct, type FakeProductOptions } from '@connect-jwt/testing';
import { parseJsonBody } from '../../src/http/json-body.js';

export const APP_KEY = 'com.example.user-impersonation';

export interface InstalledProduct {
  product: FakeProduct;
  /** The installation the add-on stored (with oauthClientId, as the install payload carries it). */
  installation: Installation;
  close(): Promise<void>;
}

export async function installedProduct(options: FakeProductOptions = {}): Promise<InstalledProduct> {
  const product = await createFakeProduct(options);
  const store = new MemoryStore();
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const lifecycle = createLifecycleRoutes({ baseUrl, store, keyServerUrl: product.keyServerUrl });
  server.on('request', async (req, res) => {
    const reply = (status: number, body: unknown) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (req.url === '/atlassian-connect.json')
      return reply(200, { key: APP_KEY, baseUrl, scopes: ['READ', 'ACT_AS_USER'] });
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const request = {
      method: req.method ?? 'POST',
      url: req.url ?? '/',
      headers: req.headers,
      body: parseJsonBody(Buffer.concat(chunks), req.headers['content-type']),
    };
    try {
      await (req.url === '/uninstalled' ? lifecycle.uninstalled(request) : lifecycle.installed(request));
      reply(200, {});
    } catch {
      reply(401, {});
    }
  });
  const close = async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await product.close();
  };
  const installed = await product.install(baseUrl);
  const installation = await store.get(product.clientKey);
  if (!installed.ok || installation === undefined) {
    await close();
    throw new Error(`the fake product could not install the add-on (${installed.status})`);
  }
  return { product, installation, close };
}
