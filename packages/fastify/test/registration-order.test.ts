// "Secure by default" must not depend on registration order: routes declared before the plugin
// loaded (an un-awaited `register`, or routes written above it) are guarded like the rest.
import { INSTALLATION, storeWithInstallation } from '@connect-jwt/adapter-test-suite';
import { createJwt } from '@connect-jwt/core';
import { atlassianJwt } from '@connect-jwt/fastify';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';

const bearer = async (uri: string, context = false) =>
  `JWT ${await createJwt(INSTALLATION.clientKey, INSTALLATION.sharedSecret, { uri, context })}`;

describe('fastify atlassianJwt whatever the registration order', () => {
  it('guards a route declared after a register that was not awaited', async () => {
    const app = Fastify();
    app.register(atlassianJwt, { store: await storeWithInstallation() });
    app.get('/secret', async (request) => ({ clientKey: request.atlassian.clientKey }));
    const anonymous = await app.inject({ url: '/secret' });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json().code).toBe('ERR_TOKEN_MISSING');
    const signed = await app.inject({ url: '/secret', headers: { authorization: await bearer('/secret') } });
    expect(signed.json()).toEqual({ clientKey: INSTALLATION.clientKey });
    await app.close();
  });

  it('guards routes declared before the plugin, honouring their config', async () => {
    const app = Fastify();
    app.get('/early', async (request) => request.atlassian.clientKey);
    app.get('/early-panel', { config: { atlassianJwt: { qsh: 'context' } } }, async (r) => r.atlassian.clientKey);
    app.get('/early-public', { config: { atlassianJwt: false } }, async () => 'public');
    await app.register(atlassianJwt, { store: await storeWithInstallation() });
    expect((await app.inject({ url: '/early' })).statusCode).toBe(401);
    expect((await app.inject({ url: '/early', headers: { authorization: await bearer('/early') } })).body).toBe(
      INSTALLATION.clientKey,
    );
    const strict = await app.inject({ url: '/early-panel', headers: { authorization: await bearer('/early-panel') } });
    expect(strict.json().code).toBe('ERR_QSH_MISMATCH');
    const context = await app.inject({ url: '/early-panel', headers: { authorization: await bearer('/', true) } });
    expect(context.body).toBe(INSTALLATION.clientKey);
    expect((await app.inject({ url: '/early-public' })).body).toBe('public');
    await app.close();
  });

  it('leaves a 404 untouched, and global: false still guards only routes that ask', async () => {
    const app = Fastify();
    app.get('/open', async () => 'open');
    app.get('/asks', { config: { atlassianJwt: {} } }, async () => 'asks');
    app.register(atlassianJwt, { store: await storeWithInstallation(), global: false });
    const missing = await app.inject({ url: '/no-such-route' });
    expect(missing.statusCode).toBe(404);
    expect(missing.headers['www-authenticate']).toBeUndefined();
    expect((await app.inject({ url: '/open' })).body).toBe('open');
    expect((await app.inject({ url: '/asks' })).statusCode).toBe(401);
    await app.close();
  });

  it('fails closed on a bad config of a route it could not see declared', async () => {
    const app = Fastify();
    app.get('/bad', { config: { atlassianJwt: { qsh: 'sometimes' as 'strict' } } }, async () => 'reached');
    app.register(atlassianJwt, { store: await storeWithInstallation() });
    const response = await app.inject({ url: '/bad', headers: { authorization: await bearer('/bad') } });
    expect(response.statusCode).toBe(500);
    expect(response.body).not.toContain('reached');
    await app.close();
  });
});
