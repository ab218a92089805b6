// CPU of the check alone: each framework's atlassianJwt() and the floor middleware called
// directly on request objects shaped as that framework builds them, many times in a row. The
// HTTP figures carry the framework and the kernel (tens of µs of noise on a shared machine);
// this is the CPU each check adds per request, by itself. One check per process (as in a real
// server, no other check's code shares the JIT's call sites). argv: <framework> <variant> <iterations>.
import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { createJwt, MemoryStore, verifyRequest } from '@connect-jwt/core';
import { resolveAdapterOptions } from '@connect-jwt/core/adapter';
import { atlassianJwt as expressJwt } from '@connect-jwt/express';
import { atlassianJwt as fastifyJwt } from '@connect-jwt/fastify';
import { atlassianJwt as koaJwt } from '@connect-jwt/koa';
import express from 'express';
import Fastify from 'fastify';
import { floorCheck } from './floor.mjs';
import { TENANT } from './tenant.mjs';

const [framework, variant, iterationsArg] = process.argv.slice(2);
const iterations = Number(iterationsArg);
const secrets = new Map([[TENANT.clientKey, TENANT.sharedSecret]]);
const store = new MemoryStore();
await store.set(TENANT);
const pool = await Promise.all(
  Array.from({ length: 1000 }, (_, i) =>
    createJwt(TENANT.clientKey, TENANT.sharedSecret, { uri: '/data', expiresIn: 3600, subject: `account-${i}` }),
  ),
);
const headersFor = (i) => ({
  host: '127.0.0.1',
  connection: 'keep-alive',
  authorization: `JWT ${pool[i % pool.length]}`,
});
const refuse = () => {
  throw new Error('the check refused a valid token');
};

const expressApp = express();
const socket = new Socket();
const fastifyApp = Fastify();
await fastifyApp.register(fastifyJwt, { store, global: false });
await fastifyApp.ready();

/** For each framework: a fresh request as it would build one, and each middleware awaited to completion. */
const frameworks = {
  express: {
    // As Express leaves a request when middleware runs: Node's IncomingMessage (method, url and
    // headers set by the parser), its prototype swapped for the app's, then `res` and
    // `originalUrl` added: own properties added after the swap are what cost V8 time.
    request: (i) => {
      const req = new IncomingMessage(socket);
      req.method = 'GET';
      req.url = '/data';
      req.headers = headersFor(i);
      Object.setPrototypeOf(req, expressApp.request);
      req.res = { locals: Object.create(null) };
      req.originalUrl = '/data';
      return req;
    },
    // Both awaited the same way: each calls `next` once the request is accepted.
    floor: (() => {
      const middleware = (req, _res, next) => {
        if (floorCheck(req.method, req.path, req.headers.authorization, secrets) === undefined) refuse();
        else next();
      };
      return (req) => new Promise((resolve) => middleware(req, undefined, resolve));
    })(),
    jwt: (() => {
      const middleware = expressJwt({ store });
      const res = { status: refuse };
      return (req) => new Promise((resolve) => middleware(req, res, resolve));
    })(),
  },
  koa: {
    request: (i) => ({
      method: 'GET',
      path: '/data',
      originalUrl: '/data',
      headers: headersFor(i),
      request: {},
      state: {},
    }),
    floor: async (ctx) => {
      if (floorCheck(ctx.method, ctx.path, ctx.headers.authorization, secrets) === undefined) refuse();
    },
    jwt: (() => {
      const middleware = koaJwt({ store });
      const next = async () => {};
      return (ctx) => middleware(ctx, next);
    })(),
  },
  fastify: {
    request: (i) => ({ method: 'GET', url: '/data', headers: headersFor(i), body: undefined, atlassian: null }),
    floor: async (request) => {
      const path = request.url.split('?')[0];
      if (floorCheck(request.method, path, request.headers.authorization, secrets) === undefined) refuse();
    },
    jwt: (() => {
      const hook = fastifyApp.atlassianJwt.guard();
      const reply = { code: refuse };
      return (request) => hook(request, reply);
    })(),
  },
};

// verifyRequest by itself, to tell the adapters' share from core's.
const { verify } = resolveAdapterOptions({ store }, 'bench');
frameworks.core = {
  request: (i) => ({ method: 'GET', url: '/data', path: '/data', headers: headersFor(i) }),
  floor: frameworks.koa.floor,
  jwt: (request) => verifyRequest(request, verify),
};

async function cpuPerCall(framework, variant) {
  const { request } = frameworks[framework];
  const check = frameworks[framework][variant];
  const before = process.cpuUsage();
  for (let i = 0; i < iterations; i++) await check(request(i));
  const used = process.cpuUsage(before);
  return (used.user + used.system) / iterations;
}

await cpuPerCall(framework, variant); // warm-up
process.send({ cpuPerCall: await cpuPerCall(framework, variant) });
await fastifyApp.close();
