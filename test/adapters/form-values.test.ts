// formParams 'fallback' and 'merge' behind the nested-capable form parsers apps really install:
// `user[role]=admin` becomes an object the qsh cannot cover, so it must be refused, not dropped.
import { createJwt, MemoryStore } from '@connect-jwt/core';
import { atlassianJwt as expressJwt } from '@connect-jwt/express';
import { atlassianJwt as koaJwt } from '@connect-jwt/koa';
import { bodyParser } from '@koa/bodyparser';
import express from 'express';
import Koa from 'koa';
import { afterEach, describe, expect, it } from 'vitest';
import { listen, type RunningServer } from '../helpers/listen.js';
import { TENANT } from './cases.js';

type Policy = 'fallback' | 'merge';

const servers: RunningServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function storeWithTenant(): Promise<MemoryStore> {
  const store = new MemoryStore();
  await store.set(TENANT);
  return store;
}

const apps: Record<string, (formParams: Policy) => Promise<RunningServer>> = {
  'express.urlencoded({ extended: true })': async (formParams) => {
    const app = express();
    app.use(express.urlencoded({ extended: true }));
    app.post('/submit', expressJwt({ store: await storeWithTenant(), formParams }), (req, res) => {
      res.json({ body: req.body });
    });
    return listen(app.listen(0, '127.0.0.1'));
  },
  '@koa/bodyparser defaults': async (formParams) => {
    const app = new Koa();
    app.use(bodyParser());
    const guard = koaJwt({ store: await storeWithTenant(), formParams });
    app.use(async (ctx, next) =>
      guard(ctx, async () => {
        ctx.body = { body: (ctx.request as { body?: unknown }).body };
        await next();
      }),
    );
    return listen(app.listen(0, '127.0.0.1'));
  },
};

describe.each(Object.entries(apps))('form values behind %s', (_name, start) => {
  for (const formParams of ['fallback', 'merge'] as const) {
    it(`formParams '${formParams}': a token for a=1 does not carry a nested field in`, async () => {
      const server = await start(formParams);
      servers.push(server);
      const token = await createJwt(TENANT.clientKey, TENANT.sharedSecret, { method: 'POST', uri: '/submit?a=1' });
      const post = (body: string) =>
        fetch(`${server.url}/submit`, {
          method: 'POST',
          headers: { authorization: `JWT ${token}`, 'content-type': 'application/x-www-form-urlencoded' },
          body,
        });
      const plain = await post('a=1');
      expect(plain.status).toBe(200);
      const nested = await post('a=1&user[role]=admin');
      expect(nested.status).toBe(401);
      expect(await nested.json()).toMatchObject({ code: 'ERR_QSH_MISMATCH' });
    });
  }
});
