// What the shared tables do not cover: option checks at registration and route declaration,
// checking before the body is parsed, HEAD routes, global: false, guard() and prefixed scopes.
import { INSTALLATION, storeWithInstallation } from '@connect-jwt/adapter-test-suite';
import { createJwt, MemoryStore } from '@connect-jwt/core';
import { atlassianJwt } from '@connect-jwt/fastify';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';

const token = (uri: string, method = 'GET') =>
  createJwt(INSTALLATION.clientKey, INSTALLATION.sharedSecret, { method, uri });

describe('fastify plugin options', () => {
  it('refuses bad plugin options when registered', async () => {
    const app = Fastify();
    await expect(app.register(atlassianJwt, { qsh: 'loose' as never })).rejects.toThrow(/options\.qsh/);
    await app.close();
    const other = Fastify();
    await expect(other.register(atlassianJwt, { global: 'yes' as never })).rejects.toThrow(/options\.global/);
    await other.close();
  });

  it('refuses a bad route config when the route is declared', async () => {
    const app = Fastify();
    await app.register(atlassianJwt, { store: new MemoryStore() });
    expect(() => app.get('/x', { config: { atlassianJwt: { qsh: 'loose' as never } } }, async () => 'x')).toThrow(
      /GET \/x config\.atlassianJwt\): options\.qsh/,
    );
    expect(() => app.atlassianJwt.guard({ maxTokenAge: -5 })).toThrow(/options\.maxTokenAge/);
    await app.close();
  });
});

describe('fastify guarding', () => {
  it('checks before the body is parsed', async () => {
    const app = Fastify();
    await app.register(atlassianJwt, { store: await storeWithInstallation() });
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
    const store = await storeWithInstallation();
    const app = Fastify();
    await app.register(atlassianJwt, { store });
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
    const store = await storeWithInstallation();
    const app = Fastify();
    await app.register(atlassianJwt, { store, global: false });
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
    expect(configured.body).toBe(INSTALLATION.clientKey);
    const strict = await app.inject({ url: '/guarded', headers: { authorization: `JWT ${await token('/guarded')}` } });
    expect(strict.statusCode).toBe(401);
    expect(strict.json().code).toBe('ERR_QSH_MISMATCH');
    const context = await createJwt(INSTALLATION.clientKey, INSTALLATION.sharedSecret, { context: true });
    const guarded = await app.inject({ url: '/guarded', headers: { authorization: `JWT ${context}` } });
    expect(guarded.body).toBe(INSTALLATION.clientKey);
    await app.close();
  });

  it('can be registered inside a prefixed scope with that scope as baseUrl', async () => {
    const store = await storeWithInstallation();
    const app = Fastify();
    app.get('/outside', async () => 'public');
    await app.register(
      async (scope) => {
        await scope.register(atlassianJwt, { store, baseUrl: 'https://addon.example.com/addon' });
        scope.get('/data', async (request) => request.atlassian.clientKey);
      },
      { prefix: '/addon' },
    );
    expect((await app.inject({ url: '/outside' })).statusCode).toBe(200);
    const relative = await createJwt(INSTALLATION.clientKey, INSTALLATION.sharedSecret, { uri: '/data' });
    const response = await app.inject({ url: '/addon/data', headers: { authorization: `JWT ${relative}` } });
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe(INSTALLATION.clientKey);
    await app.close();
  });
});
