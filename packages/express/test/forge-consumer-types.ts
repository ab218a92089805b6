// Type-checked by `pnpm build` (tsconfig.forge-types.json, never run): an app that accepts Forge
// declares the Forge kind once, and then `req.atlassian` narrows on `kind` without casts.
import type { ConnectAuth, ForgeAuth } from '@connect-jwt/core';
import { forgeRemote as expressForge, atlassianJwt as expressJwt } from '@connect-jwt/express';
import express from 'express';

declare module '@connect-jwt/core' {
  interface AtlassianAuthKinds {
    forge: ForgeAuth;
  }
}

/** Compiles only when A and B are the same type (`any` does not pass). */
type Exact<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectExact<A, B>(_proof: Exact<A, B>): void {}

const appId = 'ari:cloud:ecosystem::app/00000000-0000-4000-8000-000000000000';

export function expressNarrowing(): void {
  const app = express();
  app.get('/both', expressJwt({ qsh: 'context', forge: { appId } }), (req, res) => {
    const auth = req.atlassian;
    expectExact<typeof auth, ConnectAuth | ForgeAuth>(true);
    if (auth.kind === 'forge') {
      expectExact<typeof auth, ForgeAuth>(true);
      res.json({ installationId: auth.installationId, apiBaseUrl: auth.apiBaseUrl });
      return;
    }
    expectExact<typeof auth, ConnectAuth>(true);
    res.json({ clientKey: auth.clientKey });
  });
  app.post('/forge', expressForge({ appId }), (req, res) => {
    // @ts-expect-error: not narrowed yet, clientKey is Connect's
    const clientKey: string = req.atlassian.clientKey;
    res.json({ clientKey });
  });
}
