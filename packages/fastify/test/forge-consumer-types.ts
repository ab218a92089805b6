// Type-checked by `pnpm build` (tsconfig.forge-types.json, never run): with the Forge kind declared,
// `request.atlassian` follows the route's `config.atlassianJwt`: ForgeAuth for `accept: 'forge'`,
// ConnectAuth for `accept: 'connect'`, the union where both are or where the route inherits the plugin's.
import type { ConnectAuth, ForgeAuth } from '@connect-jwt/core';
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

export async function fastifyRoutes(): Promise<void> {
  const app = Fastify();
  const forge = { appId: process.env.FORGE_APP_ID };
  await app.register(fastifyJwt, { forge });
  app.post('/forge', { config: { atlassianJwt: { accept: 'forge', forge } } }, async (request) => {
    expectExact<typeof request.atlassian, ForgeAuth>(true);
    expectExact<typeof request.atlassian.systemToken, string | undefined>(true);
    return { installationId: request.atlassian.installationId };
  });
  app.get('/panel', { config: { atlassianJwt: { accept: 'connect' } } }, async (request) => {
    expectExact<typeof request.atlassian, ConnectAuth>(true);
    return request.atlassian.clientKey;
  });
  app.get('/both', { config: { atlassianJwt: { qsh: 'context', forge: { appId } } } }, async (request) => {
    const auth = request.atlassian;
    expectExact<typeof auth, ConnectAuth | ForgeAuth>(true);
    return auth.kind === 'forge' ? auth.installationId : auth.clientKey;
  });
  // Inherits the plugin's `forge`, so it takes both kinds.
  app.get('/inherits', { config: { atlassianJwt: { qsh: 'context' } } }, async (request) => {
    expectExact<typeof request.atlassian, ConnectAuth | ForgeAuth>(true);
    return request.atlassian.accountId;
  });
  // @ts-expect-error: accept takes only 'connect', 'forge' or 'both'
  app.get('/x', { config: { atlassianJwt: { accept: 'forge-only' } } }, async () => ({}));
}
