// Compiled by `tsc -b` (never run): what an add-on author writes must type-check without casts.
import type { ConnectAuth } from '@connect-jwt/core';
import { atlassianJwt as expressJwt } from '@connect-jwt/express';
import { atlassianJwt as fastifyJwt } from '@connect-jwt/fastify';
import { type AtlassianState, atlassianJwt as koaJwt } from '@connect-jwt/koa';
import Router from '@koa/router';
import express from 'express';
import Fastify from 'fastify';
import Koa from 'koa';

/** Compiles only when A and B are the same type (`any` does not pass). */
type Exact<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectExact<A, B>(_proof: Exact<A, B>): void {}

export function expressConsumer(): void {
  const app = express();
  app.use(expressJwt());
  app.get('/panel', expressJwt({ qsh: 'context', realm: 'my-addon' }), (req, res) => {
    const clientKey = req.atlassian.clientKey;
    expectExact<typeof clientKey, string>(true);
    expectExact<typeof req.atlassian, ConnectAuth>(true);
    res.json({ clientKey });
  });
  // @ts-expect-error: options are checked
  expressJwt({ qsh: 'loose' });
}

export function koaConsumer(): void {
  const app = new Koa();
  app.use(koaJwt());
  app.use(async (ctx) => {
    const clientKey = ctx.state.atlassian.clientKey;
    expectExact<typeof clientKey, string>(true);
    ctx.body = { clientKey };
  });
  const typed = new Koa<AtlassianState>();
  typed.use(async (ctx) => {
    expectExact<typeof ctx.state.atlassian.clientKey, string>(true);
  });
  const router = new Router();
  router.get('/panel', koaJwt({ qsh: 'context' }), (ctx) => {
    expectExact<typeof ctx.state.atlassian.clientKey, string>(true);
  });
  app.use(router.routes());
}

export async function fastifyConsumer(): Promise<void> {
  const app = Fastify();
  await app.register(fastifyJwt, { realm: 'my-addon' });
  app.get('/data', async (request) => {
    const clientKey = request.atlassian.clientKey;
    expectExact<typeof clientKey, string>(true);
    return { clientKey };
  });
  app.get('/panel', { config: { atlassianJwt: { qsh: 'context' } } }, async (request) => request.atlassian.accountId);
  app.get('/health', { config: { atlassianJwt: false } }, async () => 'ok');
  app.post(
    '/form',
    { config: { atlassianJwt: false }, preHandler: app.atlassianJwt.guard({ formParams: 'fallback' }) },
    async (request) => {
      expectExact<typeof request.atlassian.clientKey, string>(true);
    },
  );
  // @ts-expect-error: route config is checked
  app.get('/bad', { config: { atlassianJwt: { qsh: 'loose' } } }, async () => 'never');
}
