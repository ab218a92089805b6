// Type-checked by `pnpm build` (tsconfig.forge-types.json, never run): an app that accepts Forge
// declares the Forge kind once, and then `ctx.state.atlassian` narrows on `kind` without casts.
import type { ForgeAuth } from '@connect-jwt/core';
import { forgeRemote as koaForge, atlassianJwt as koaJwt } from '@connect-jwt/koa';
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

export function koaNarrowing(): void {
  const app = new Koa();
  app.use(koaJwt({ forge: { appId } }));
  app.use(koaForge({ appId }));
  app.use((ctx) => {
    const auth = ctx.state.atlassian;
    if (auth.kind === 'connect') {
      expectExact<typeof auth.clientKey, string>(true);
      ctx.body = { clientKey: auth.clientKey };
    } else {
      expectExact<typeof auth.environment, { type: string; id: string }>(true);
      ctx.body = { installationId: auth.installationId };
    }
  });
}
