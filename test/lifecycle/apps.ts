// The same add-on (lifecycle routes + one authenticated route) in Express, Koa and Fastify,
// so the lifecycle table runs unchanged on each. Installs go to the default store, which is
// what `atlassianJwt()` with no options authenticates against.
import type { AddressInfo } from 'node:net';
import type { LifecycleOptions } from '@connect-jwt/core';
import { atlassianJwt as expressJwt, connectLifecycle as expressLifecycle } from '@connect-jwt/express';
import { atlassianJwt as fastifyJwt, connectLifecycle as fastifyLifecycle } from '@connect-jwt/fastify';
import { atlassianJwt as koaJwt, connectLifecycle as koaLifecycle } from '@connect-jwt/koa';
import Router from '@koa/router';
import express from 'express';
import Fastify from 'fastify';
import Koa from 'koa';
import { listen, type RunningServer } from '../helpers/listen.js';

export type RunningAddon = RunningServer;

/** The authenticated route every app serves: it answers the verified clientKey. */
export const WHOAMI = '/api/whoami';

async function startExpress(options: LifecycleOptions): Promise<RunningAddon> {
  const app = express();
  app.use(expressLifecycle(options));
  app.get(WHOAMI, expressJwt(), (req, res) => {
    res.json({ clientKey: req.atlassian.clientKey });
  });
  return listen(app.listen(0, '127.0.0.1'));
}

async function startKoa(options: LifecycleOptions): Promise<RunningAddon> {
  const app = new Koa();
  app.use(koaLifecycle(options));
  const router = new Router();
  router.get(WHOAMI, koaJwt(), (ctx) => {
    ctx.body = { clientKey: ctx.state.atlassian.clientKey };
  });
  app.use(router.routes());
  return listen(app.listen(0, '127.0.0.1'));
}

async function startFastify(options: LifecycleOptions): Promise<RunningAddon> {
  const app = Fastify();
  // Secure by default: every route is guarded, so the lifecycle routes must opt out themselves.
  await app.register(fastifyJwt);
  await app.register(fastifyLifecycle, options);
  app.get(WHOAMI, async (request) => ({ clientKey: request.atlassian.clientKey }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => app.close() };
}

/**
 * The lifecycle below a mount path (`baseUrl` ending in `/addon`): Express as a sub-app behind an
 * app-wide `express.json()` (the body is already parsed), Koa and Fastify with explicit paths.
 */
export const mountedFrameworks = {
  async express(options: LifecycleOptions): Promise<RunningAddon> {
    const app = express();
    app.use(express.json());
    app.use('/addon', expressLifecycle(options));
    return listen(app.listen(0, '127.0.0.1'));
  },
  async koa(options: LifecycleOptions): Promise<RunningAddon> {
    const app = new Koa();
    app.use(koaLifecycle({ ...options, installedPath: '/addon/installed', uninstalledPath: '/addon/uninstalled' }));
    return listen(app.listen(0, '127.0.0.1'));
  },
  async fastify(options: LifecycleOptions): Promise<RunningAddon> {
    const app = Fastify();
    await app.register(fastifyLifecycle, {
      ...options,
      installedPath: '/addon/installed',
      uninstalledPath: '/addon/uninstalled',
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as AddressInfo;
    return { url: `http://127.0.0.1:${port}`, close: () => app.close() };
  },
} as const;

export const frameworks = {
  express: startExpress,
  koa: startKoa,
  fastify: startFastify,
} as const;
