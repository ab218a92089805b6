// Type-checked by `pnpm build` (tsconfig.forge-types.json, never run): an app that accepts Forge
// declares the Forge kind once, and then `request.atlassian` narrows on `kind` without casts.
import type { ForgeAuth } from '@connect-jwt/core';
import { atlassianJwt as fastifyJwt } from '@connect-jwt/fastify';
import Fastify from 'fastify';

declare module '@connect-jwt/core' {
  interface AtlassianAuthKinds {
    forge: ForgeAuth;
  }
}

/** Compiles only when A and B are the same type (`any` does not pass). */
type Exact<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectExact<A, B>(_proof: Exact<A, B>): void {}

const appId = 'ari:cloud:ecosystem::app/00000000-0000-4000-8000-000000000000';

export async function fastifyNarrowing(): Promise<void> {
  const app = Fastify();
  await app.register(fastifyJwt, { forge: { appId } });
  app.post('/forge', { config: { atlassianJwt: { accept: 'forge' } } }, async (request) => {
    const auth = request.atlassian;
    if (auth.kind !== 'forge') return { unexpected: auth.clientKey };
    expectExact<typeof auth.systemToken, string | undefined>(true);
    return { installationId: auth.installationId };
  });
  // @ts-expect-error: accept takes only 'connect', 'forge' or 'both'
  app.get('/x', { config: { atlassianJwt: { accept: 'forge-only' } } }, async () => ({}));
}
