// The same add-on in Express, Koa and Fastify, so the behaviour table runs unchanged on each.
import type { AddressInfo } from 'node:net';
import { atlassianJwt as expressJwt } from '@connect-jwt/express';
import { atlassianJwt as fastifyJwt } from '@connect-jwt/fastify';
import { atlassianJwt as koaJwt } from '@connect-jwt/koa';
import Router from '@koa/router';
import express, { type ErrorRequestHandler, type Request, type Response } from 'express';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import Koa from 'koa';
import { listen, type RunningServer } from '../helpers/listen.js';
import { ADDON_BASE_URL, type Fixture, REALM } from './cases.js';

export type RunningApp = RunningServer;

interface ErrorLike {
  status?: number;
  code?: string;
}

async function startExpress(fixture: Fixture): Promise<RunningApp> {
  const app = express();
  const whoami = (req: Request, res: Response) => {
    res.json({ clientKey: req.atlassian.clientKey, accountId: req.atlassian.accountId });
  };
  app.get('/public', (_req, res) => {
    res.json({ clientKey: null });
  });
  app.use('/api', expressJwt({ realm: REALM }));
  app.get('/api/data', whoami);
  app.post('/api/data', whoami);
  app.get('/panel', expressJwt({ qsh: 'context' }), whoami);
  app.get('/skip', expressJwt({ qsh: 'skip' }), whoami);
  app.get('/flaky', expressJwt({ store: fixture.flaky }), whoami);
  app.get('/passerror', expressJwt({ passError: true }), whoami);
  const addon = express.Router();
  addon.use(expressJwt({ baseUrl: ADDON_BASE_URL }));
  addon.get('/data', whoami);
  app.use('/addon', addon);
  const onError: ErrorRequestHandler = (error: ErrorLike, _req, res, _next) => {
    res
      .status(error.status ?? 500)
      .set('x-handled-by', 'app')
      .json({ code: error.code });
  };
  app.use(onError);
  return listen(app.listen(0, '127.0.0.1'));
}

async function startKoa(fixture: Fixture): Promise<RunningApp> {
  const app = new Koa();
  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      const { status, code } = error as ErrorLike;
      ctx.status = status ?? 500;
      ctx.set('x-handled-by', 'app');
      ctx.body = { code };
    }
  });
  const whoami = (ctx: Koa.ParameterizedContext) => {
    ctx.body = { clientKey: ctx.state.atlassian.clientKey, accountId: ctx.state.atlassian.accountId };
  };
  const root = new Router();
  root.get('/public', (ctx) => {
    ctx.body = { clientKey: null };
  });
  root.get('/panel', koaJwt({ qsh: 'context' }), whoami);
  root.get('/skip', koaJwt({ qsh: 'skip' }), whoami);
  root.get('/flaky', koaJwt({ store: fixture.flaky }), whoami);
  root.get('/passerror', koaJwt({ passError: true }), whoami);
  const api = new Router({ prefix: '/api' });
  api.use(koaJwt({ realm: REALM }));
  api.get('/data', whoami);
  api.post('/data', whoami);
  const addon = new Router({ prefix: '/addon' });
  addon.use(koaJwt({ baseUrl: ADDON_BASE_URL }));
  addon.get('/data', whoami);
  app.use(root.routes()).use(api.routes()).use(addon.routes());
  return listen(app.listen(0, '127.0.0.1'));
}

async function startFastify(fixture: Fixture): Promise<RunningApp> {
  const app = Fastify();
  // Secure by default: every route below is checked unless its config opts out.
  await app.register(fastifyJwt, { realm: REALM });
  app.setErrorHandler((error: ErrorLike, _request, reply) => {
    return reply
      .code(error.status ?? 500)
      .header('x-handled-by', 'app')
      .send({ code: error.code });
  });
  const whoami = async (request: FastifyRequest, _reply: FastifyReply) => ({
    clientKey: request.atlassian.clientKey,
    accountId: request.atlassian.accountId,
  });
  app.get('/public', { config: { atlassianJwt: false } }, async () => ({ clientKey: null }));
  app.get('/api/data', whoami);
  app.post('/api/data', whoami);
  app.get('/panel', { config: { atlassianJwt: { qsh: 'context' } } }, whoami);
  app.get('/skip', { config: { atlassianJwt: { qsh: 'skip' } } }, whoami);
  app.get('/flaky', { config: { atlassianJwt: { store: fixture.flaky } } }, whoami);
  app.get('/passerror', { config: { atlassianJwt: { passError: true } } }, whoami);
  await app.register(
    async (scope) => {
      scope.get('/data', { config: { atlassianJwt: { baseUrl: ADDON_BASE_URL } } }, whoami);
    },
    { prefix: '/addon' },
  );
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => app.close() };
}

export const frameworks = {
  express: startExpress,
  koa: startKoa,
  fastify: startFastify,
} as const;
