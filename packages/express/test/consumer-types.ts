// Type-checked by `pnpm build` (tsconfig.tests.json), never run: what an add-on author writes must
// type-check without casts.
import type { ConnectAuth } from '@connect-jwt/core';
import { atlassianJwt as expressJwt } from '@connect-jwt/express';
import express from 'express';

/** Compiles only when A and B are the same type (`any` does not pass). */
type Exact<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectExact<A, B>(_proof: Exact<A, B>): void {}

export function expressConsumer(): void {
  const app = express();
  app.use(expressJwt());
  app.get('/panel', expressJwt({ qsh: 'context', realm: 'my-addon' }), (req, res) => {
    const clientKey = req.atlassian.clientKey;
    expectExact<typeof clientKey, string>(true);
    expectExact<typeof req.atlassian, ConnectAuth>(true);
    res.json({ clientKey });
  });
  // @ts-expect-error: options are checked
  expressJwt({ qsh: 'loose' });
}
