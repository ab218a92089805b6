// What the behaviour table does not cover: option checks at setup time, the default store,
// form bodies, and Fastify's own ways of guarding routes.
import type { AddressInfo } from 'node:net';
import { createJwt, type Installation, MemoryStore, setDefaultStore } from '@connect-jwt/core';
import { atlassianJwt as expressJwt } from '@connect-jwt/express';
import { atlassianJwt as fastifyJwt } from '@connect-jwt/fastify';
import { atlassianJwt as koaJwt } from '@connect-jwt/koa';
import express from 'express';
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { TENANT } from './cases.js';

const token = (uri: string, method = 'GET') => createJwt(TENANT.clientKey, TENANT.sharedSecret, { method, uri });

/** Counts lookups, to see how often a request was checked. */
class CountingStore extends MemoryStore {
  lookups = 0;
  override async get(clientKey: string): Promise<Installation | undefined> {
    this.lookups++;
    return super.get(clientKey);
  }
}

async function storeWithTenant(): Promise<CountingStore> {
  const store = new CountingStore();
  await store.set(TENANT);
  return store;
}

describe.each([
  ['express', expressJwt],
  ['koa', koaJwt],
])('%s atlassianJwt() options', (_name, factory) => {
  it.each([
    [{ qsh: 'loose' }, /options\.qsh/],
    [{ passError: 'yes' }, /options\.passError/],
    [{ realm: 5 }, /options\.realm/],
    [{ store: {} }, /options\.store/],
    [{ clockTolerance: -1 }, /options\.clockTolerance/],
    [{ formParams: 'all' }, /options\.formParams/],
    ['strict', /options must be an object/],
  ])('refuses %j with a TypeError naming the option', (options, message) => {
    expect(() => factory(options as never)).toThrow(TypeError);
    expect(() => factory(options as never)).toThrow(message);
  });
});

describe('fastify plugin options', () => {
  it('refuses bad plugin options when registered', async () => {
    const app = Fastify();
    await expect(app.register(fastifyJwt, { qsh: 'loose' as never })).rejects.toThrow(/options\.qsh/);
    await app.close();
    const other = Fastify();
    await expect(other.register(fastifyJwt, { global: 'yes' as never })).rejects.toThrow(/options\.global/);
    await other.close();
  });

  it('refuses a bad route config when the route is declared', async () => {
    const app = Fastify();
    await app.register(fastifyJwt, { store: new MemoryStore() });
    expect(() => app.get('/x', { config: { atlassianJwt: { qsh: 'loose' as never } } }, async () => 'x')).toThrow(
      /GET \/x config\.atlassianJwt\): options\.qsh/,
    );
    expect(() => app.atlassianJwt.guard({ maxTokenAge: -5 })).toThrow(/options\.maxTokenAge/);
    await app.close();
  });
});

describe('default store', () => {
  afterEach(() => setDefaultStore(new MemoryStore()));

  it('atlassianJwt() with no options reads the default store at request time', async () => {
    const app = express();
    app.get('/x', expressJwt(), (req, res) => {
      res.json({ clientKey: req.atlassian.clientKey });
    });
    // Chosen after the middleware was created, as an app that connects its store late would.
    setDefaultStore(await storeWithTenant());
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/x`;
      const response = await fetch(url, { headers: { authorization: `JWT ${await token('/x')}` } });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ clientKey: TENANT.clientKey });
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('express request property', () => {
  it('reaches sub-apps and stays out of own keys and JSON (no token in `{ ...req }` logs or res.locals views)', async () => {
    const app = express();
    app.use(expressJwt({ store: await storeWithTenant() }));
    const sub = express();
    sub.get('/x', (req, res) => {
      res.json({
        clientKey: req.atlassian.clientKey,
        ownKey: Object.keys(req).includes('atlassian'),
        inLocalsJson: JSON.stringify(res.locals).includes(req.atlassian.token),
      });
    });
    app.use('/sub', sub);
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/sub/x`;
      const response = await fetch(url, { headers: { authorization: `JWT ${await token('/sub/x')}` } });
      expect(await response.json()).toEqual({ clientKey: TENANT.clientKey, ownKey: false, inLocalsJson: false });
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('express form bodies', () => {
  it('takes a jwt form field only from a parsed form, never from JSON', async () => {
    const store = await storeWithTenant();
    const app = express();
    app.use(express.urlencoded({ extended: false }), express.json());
    app.post('/submit', expressJwt({ store, formParams: 'fallback' }), (req, res) => {
      res.json({ clientKey: req.atlassian.clientKey });
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/submit`;
      // With formParams: 'fallback', a POST without a query hashes its form fields (minus jwt).
      const { computeQsh, encode } = await import('@connect-jwt/core');
      const now = Math.floor(Date.now() / 1000);
      const qsh = computeQsh('POST', '/submit', { body: { name: 'x' }, formParams: 'fallback' });
      const formToken = await encode({ iss: TENANT.clientKey, iat: now, exp: now + 60, qsh }, TENANT.sharedSecret);
      const form = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ name: 'x', jwt: formToken }),
      });
      expect(form.status).toBe(200);
      const json = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jwt: await token('/submit', 'POST') }),
      });
      expect(json.status).toBe(401);
      expect(((await json.json()) as { code: string }).code).toBe('ERR_TOKEN_MISSING');
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('fastify guarding', () => {
  it('checks before the body is parsed', async () => {
    const app = Fastify();
    await app.register(fastifyJwt, { store: await storeWithTenant() });
    app.post('/data', async () => 'unreachable');
    const response = await app.inject({
      method: 'POST',
      url: '/data',
      headers: { 'content-type': 'application/json' },
      payload: '{ not json',
    });
    expect(response.statusCode).toBe(401);
    expect(response.json().code).toBe('ERR_TOKEN_MISSING');
    await app.close();
  });

  it('checks a HEAD request to a GET route once', async () => {
    const store = await storeWithTenant();
    const app = Fastify();
    await app.register(fastifyJwt, { store });
    app.get('/data', async () => ({ ok: true }));
    const head = await app.inject({
      method: 'HEAD',
      url: '/data',
      headers: { authorization: `JWT ${await token('/data', 'HEAD')}` },
    });
    expect(head.statusCode).toBe(200);
    expect(store.lookups).toBe(1);
    expect((await app.inject({ method: 'HEAD', url: '/data' })).statusCode).toBe(401);
    await app.close();
  });

  it('global: false guards only routes that ask for it, and guard() works as a preHandler', async () => {
    const store = await storeWithTenant();
    const app = Fastify();
    await app.register(fastifyJwt, { store, global: false });
    app.get('/open', async () => 'open');
    app.get('/configured', { config: { atlassianJwt: {} } }, async (request) => request.atlassian.clientKey);
    app.get(
      '/guarded',
      { preHandler: app.atlassianJwt.guard({ qsh: 'context' }) },
      async (request) => request.atlassian.clientKey,
    );
    expect((await app.inject({ url: '/open' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/configured' })).statusCode).toBe(401);
    const configured = await app.inject({
      url: '/configured',
      headers: { authorization: `JWT ${await token('/configured')}` },
    });
    expect(configured.body).toBe(TENANT.clientKey);
    const strict = await app.inject({ url: '/guarded', headers: { authorization: `JWT ${await token('/guarded')}` } });
    expect(strict.statusCode).toBe(401);
    expect(strict.json().code).toBe('ERR_QSH_MISMATCH');
    const context = await createJwt(TENANT.clientKey, TENANT.sharedSecret, { context: true });
    const guarded = await app.inject({ url: '/guarded', headers: { authorization: `JWT ${context}` } });
    expect(guarded.body).toBe(TENANT.clientKey);
    await app.close();
  });

  it('can be registered inside a prefixed scope with that scope as baseUrl', async () => {
    const store = await storeWithTenant();
    const app = Fastify();
    app.get('/outside', async () => 'public');
    await app.register(
      async (scope) => {
        await scope.register(fastifyJwt, { store, baseUrl: 'https://addon.example.com/addon' });
        scope.get('/data', async (request) => request.atlassian.clientKey);
      },
      { prefix: '/addon' },
    );
    expect((await app.inject({ url: '/outside' })).statusCode).toBe(200);
    const relative = await createJwt(TENANT.clientKey, TENANT.sharedSecret, { uri: '/data' });
    const response = await app.inject({ url: '/addon/data', headers: { authorization: `JWT ${relative}` } });
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe(TENANT.clientKey);
    await app.close();
  });
});
