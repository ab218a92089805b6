// Type-checked by `pnpm build` (tsconfig.forge-types.json, never run): with the Forge kind declared,
// a @koa/router route's `ctx.state.atlassian` follows its middleware: ConnectAuth where only Connect
// tokens are accepted, ForgeAuth behind forgeRemote(), the union where both are.
import type { ConnectAuth, ForgeAuth } from '@connect-jwt/core';
import { productFetch } from '@connect-jwt/core';
import { forgeRemote as koaForge, atlassianJwt as koaJwt } from '@connect-jwt/koa';
import Router from '@koa/router';
import Koa from 'koa';

declare module '@connect-jwt/core' {
  interface AtlassianAuthKinds {
    forge: ForgeAuth;
  }
}

/** Compiles only when A and B are the same type (`any` does not pass). */
type Exact<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectExact<A, B>(_proof: Exact<A, B>): void {}

const appId = 'ari:cloud:ecosystem::app/00000000-0000-4000-8000-000000000000';

export function koaRoutes(): void {
  const app = new Koa();
  const router = new Router();
  router.get('/panel', koaJwt(), (ctx) => {
    expectExact<typeof ctx.state.atlassian, ConnectAuth>(true);
    ctx.body = ctx.state.atlassian.clientKey;
  });
  router.get('/api/me', koaJwt({ qsh: 'context' }), async (ctx) => {
    const response = await productFetch(ctx.state.atlassian.installation, { appKey: 'k' }, '/rest/api/3/myself');
    ctx.status = response.status;
  });
  router.post('/forge/events', koaForge({ appId: process.env.FORGE_APP_ID }), (ctx) => {
    expectExact<typeof ctx.state.atlassian, ForgeAuth>(true);
    ctx.body = { installationId: ctx.state.atlassian.installationId };
  });
  router.get('/both', koaJwt({ qsh: 'context', forge: { appId } }), (ctx) => {
    const auth = ctx.state.atlassian;
    expectExact<typeof auth, ConnectAuth | ForgeAuth>(true);
    ctx.body = auth.kind === 'forge' ? auth.installationId : auth.clientKey;
  });
  // Plain app.use chains do not carry the route: the declared kinds, narrowed on `kind`.
  app.use(koaJwt({ forge: { appId } }));
  app.use((ctx, next) => {
    const auth = ctx.state.atlassian;
    expectExact<typeof auth, ConnectAuth | ForgeAuth>(true);
    ctx.body = auth.kind === 'connect' ? auth.clientKey : auth.installationId;
    return next();
  });
  app.use(router.routes());
}
