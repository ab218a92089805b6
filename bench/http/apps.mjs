// The benchmarked apps: one small JSON route, GET /data, bare or behind a check. Plain JavaScript
// run by node itself: a TypeScript loader in the process would be measured too.
import { createRequire } from 'node:module';
import { MemoryStore } from '@connect-jwt/core';
import { atlassianJwt as expressJwt } from '@connect-jwt/express';
import { atlassianJwt as fastifyJwt } from '@connect-jwt/fastify';
import { atlassianJwt as koaJwt } from '@connect-jwt/koa';
import express from 'express';
import Fastify from 'fastify';
import Koa from 'koa';
import { floorCheck } from './floor.mjs';
import { TENANT } from './tenant.mjs';

const PAYLOAD = { hello: 'world' };
const secrets = new Map([[TENANT.clientKey, TENANT.sharedSecret]]);

async function connectJwtStore() {
  const store = new MemoryStore();
  await store.set(TENANT);
  return store;
}

async function buildExpress(variant) {
  const app = express();
  app.disable('x-powered-by');
  if (variant === 'connect-jwt') app.use(expressJwt({ store: await connectJwtStore() }));
  if (variant === 'floor') {
    app.use((req, res, next) => {
      if (floorCheck(req.method, req.path, req.headers.authorization, secrets) === undefined) res.status(401).end();
      else next();
    });
  }
  if (variant.startsWith('ace-')) await mountAce(app, variant);
  app.get('/data', (_req, res) => {
    res.json(PAYLOAD);
  });
  return { listen: () => app.listen(0, '127.0.0.1') };
}

/** atlassian-connect-express, configured from the files in the working directory (set by the parent). */
async function mountAce(app, variant) {
  const ace = createRequire(import.meta.url)('atlassian-connect-express');
  if (variant === 'ace-memory') ace.store.register('bench-memory', () => new AceMemoryAdapter());
  const quiet = { info() {}, warn() {}, error() {}, debug() {} };
  const addon = ace(app, {}, quiet);
  await addon.settings.set('clientInfo', { ...TENANT, key: 'bench-addon', productType: 'jira' }, TENANT.clientKey);
  // ACE reads req.body.jwt: without a body parser Express 5 leaves req.body undefined and ACE answers 401.
  app.use((req, _res, next) => {
    req.body ??= {};
    next();
  });
  app.use(addon.authenticate());
}

/** The smallest store ACE accepts: its settings in a Map, shaped as ACE's own adapters return them. */
class AceMemoryAdapter {
  #values = new Map();
  async get(key, clientKey) {
    return this.#values.get(`${clientKey}:${key}`) ?? null;
  }
  async set(key, value, clientKey) {
    this.#values.set(`${clientKey}:${key}`, typeof value === 'string' ? JSON.parse(value) : value);
    return this.get(key, clientKey);
  }
  async saveInstallation(value, clientKey) {
    return this.set('clientInfo', value, clientKey);
  }
  async del(key, clientKey) {
    this.#values.delete(`${clientKey}:${key}`);
  }
  async getAllClientInfos() {
    return [...this.#values.entries()].filter(([key]) => key.endsWith(':clientInfo')).map(([, value]) => value);
  }
  isMemoryStore() {
    return true;
  }
}

async function buildKoa(variant) {
  const app = new Koa();
  if (variant === 'connect-jwt') app.use(koaJwt({ store: await connectJwtStore() }));
  if (variant === 'floor') {
    app.use(async (ctx, next) => {
      if (floorCheck(ctx.method, ctx.path, ctx.headers.authorization, secrets) === undefined) ctx.status = 401;
      else await next();
    });
  }
  app.use((ctx) => {
    if (ctx.path === '/data') ctx.body = PAYLOAD;
  });
  return { listen: () => app.listen(0, '127.0.0.1') };
}

async function buildFastify(variant) {
  const app = Fastify();
  if (variant === 'connect-jwt') await app.register(fastifyJwt, { store: await connectJwtStore() });
  if (variant === 'floor') {
    app.addHook('onRequest', async (request, reply) => {
      const path = request.url.split('?')[0];
      if (floorCheck(request.method, path, request.headers.authorization, secrets) === undefined) {
        return reply.code(401).send();
      }
    });
  }
  app.get('/data', async () => PAYLOAD);
  await app.ready();
  return {
    listen: () => app.listen({ port: 0, host: '127.0.0.1' }).then(() => app.server),
  };
}

const builders = { express: buildExpress, koa: buildKoa, fastify: buildFastify };

/** The app for one scenario: `listen()` starts its HTTP server. */
export async function buildApp(framework, variant) {
  const build = builders[framework];
  if (build === undefined) throw new Error(`unknown framework ${framework}`);
  const app = await build(variant);
  return app;
}
