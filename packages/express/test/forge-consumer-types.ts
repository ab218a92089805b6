// Type-checked by `pnpm build` (tsconfig.forge-types.json, never run): with the Forge kind declared,
// `req.atlassian` follows the route: ConnectAuth where only Connect tokens are accepted, ForgeAuth
// behind forgeRemote(), the union where both are. No casts, no guards.
import type { ConnectAuth, ForgeAuth } from '@connect-jwt/core';
import { productFetch } from '@connect-jwt/core';
import { type AtlassianRequest, forgeRemote as expressForge, atlassianJwt as expressJwt } from '@connect-jwt/express';
import express, { type Response } from 'express';

declare module '@connect-jwt/core' {
  interface AtlassianAuthKinds {
    forge: ForgeAuth;
  }
}

/** Compiles only when A and B are the same type (`any` does not pass). */
type Exact<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectExact<A, B>(_proof: Exact<A, B>): void {}

const appId = 'ari:cloud:ecosystem::app/00000000-0000-4000-8000-000000000000';

export function expressRoutes(): void {
  const app = express();
  app.get('/panel', expressJwt(), (req, res) => {
    expectExact<typeof req.atlassian, ConnectAuth>(true);
    res.send(req.atlassian.clientKey);
  });
  app.get('/api/me', expressJwt({ qsh: 'context' }), async (req, res) => {
    // The installation is always there on a Connect route: no `| undefined`.
    const response = await productFetch(req.atlassian.installation, { appKey: 'my-addon' }, '/rest/api/3/myself');
    res.sendStatus(response.status);
  });
  app.get('/api/connect-only', expressJwt({ accept: 'connect', forge: { appId } }), (req, res) => {
    expectExact<typeof req.atlassian, ConnectAuth>(true);
    res.end();
  });
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
  // An env var is `string | undefined`: accepted by the types, refused at setup when unset.
  const forge = { appId: process.env.FORGE_APP_ID };
  app.post('/forge', expressForge(forge), express.json(), (req, res) => {
    expectExact<typeof req.atlassian, ForgeAuth>(true);
    res.json({ installationId: req.atlassian.installationId });
  });
  app.post('/forge/only', expressJwt({ accept: 'forge', forge }), (req, res) => {
    expectExact<typeof req.atlassian, ForgeAuth>(true);
    // @ts-expect-error: a Forge-only route has no clientKey
    res.json({ clientKey: req.atlassian.clientKey });
  });
  // Where the route does not say (an app-wide guard), the declared kinds.
  app.use(expressJwt({ forge }));
  app.get('/anything', (req, res) => {
    expectExact<typeof req.atlassian, ConnectAuth | ForgeAuth>(true);
    res.end();
  });
  // A handler written apart from its route names the kind it expects.
  function onEvent(req: AtlassianRequest<ForgeAuth>, res: Response): void {
    res.json({ installationId: req.atlassian.installationId });
  }
  app.post('/forge/events', expressForge(forge), onEvent);
  // @ts-expect-error: a Forge handler cannot sit behind a Connect-only guard
  app.post('/connect/events', expressJwt(), onEvent);
}
