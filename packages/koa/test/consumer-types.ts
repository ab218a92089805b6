// Type-checked by `pnpm build` (tsconfig.tests.json), never run: what an add-on author writes must
// type-check without casts.
import { type AtlassianState, atlassianJwt as koaJwt } from '@connect-jwt/koa';
import Router from '@koa/router';
import Koa from 'koa';

/** Compiles only when A and B are the same type (`any` does not pass). */
type Exact<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectExact<A, B>(_proof: Exact<A, B>): void {}

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
