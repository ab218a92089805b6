// The README's enabled/disabled callbacks: signed by the product with the site's shared secret
// (signed-install covers installed and uninstalled only), verified by atlassianJwt() on the route.

import { MemoryStore } from '@connect-jwt/core';
import { atlassianJwt, connectLifecycle } from '@connect-jwt/express';
import { createFakeProduct, type FakeProduct, type RunningAddon, serveAddon } from '@connect-jwt/testing';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let product: FakeProduct;
let addon: RunningAddon;
const seen: string[] = [];

beforeAll(async () => {
  product = await createFakeProduct({ productType: 'jira' });
  const store = new MemoryStore();
  addon = await serveAddon({ host: '127.0.0.1' }, (baseUrl) => {
    const app = express();
    app.get('/atlassian-connect.json', (_req, res) => res.json({ key: 'lifecycle-addon', baseUrl }));
    app.use(connectLifecycle({ baseUrl, store, keyServerUrl: product.keyServerUrl }));
    app.post(['/enabled', '/disabled'], atlassianJwt({ store }), express.json(), (req, res) => {
      seen.push(`${req.atlassian.clientKey} ${(req.body as { eventType?: string }).eventType}`);
      res.sendStatus(204);
    });
    return { handler: app };
  });
  expect((await product.install(addon.baseUrl)).ok).toBe(true);
});
afterAll(async () => {
  await addon?.close();
  await product?.close();
});

describe('enabled and disabled callbacks behind atlassianJwt()', () => {
  it('are accepted signed by the product with the site secret, and the handler sees the site', async () => {
    for (const eventType of ['enabled', 'disabled']) {
      const body = { eventType, clientKey: product.clientKey, key: 'lifecycle-addon' };
      const response = await product.request(`/${eventType}`, { method: 'POST', body });
      expect(response.status).toBe(204);
    }
    expect(seen).toEqual([`${product.clientKey} enabled`, `${product.clientKey} disabled`]);
  });

  it('are refused unsigned, or with the token of the other callback (qsh), and the handler never runs', async () => {
    const body = { eventType: 'disabled' };
    const unsigned = await product.request('/disabled', { method: 'POST', body, token: null });
    expect(unsigned.status).toBe(401);
    const enabledToken = await product.hostToken({ method: 'POST', url: '/enabled' });
    const replayed = await product.request('/disabled', { method: 'POST', body, token: enabledToken });
    expect([replayed.status, ((await replayed.json()) as { code: string }).code]).toEqual([401, 'ERR_QSH_MISMATCH']);
    expect(seen).toHaveLength(2);
  });
});
