// Type-checked by `pnpm build` (tsconfig.tests.json), never run: what an add-on author writes must
// type-check without casts.
import { atlassianJwt as fastifyJwt } from '@connect-jwt/fastify';
import Fastify from 'fastify';

/** Compiles only when A and B are the same type (`any` does not pass). */
type Exact<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectExact<A, B>(_proof: Exact<A, B>): void {}

export async function fastifyConsumer(): Promise<void> {
  const app = Fastify();
  await app.register(fastifyJwt, { realm: 'my-addon' });
  app.get('/data', async (request) => {
    const clientKey = request.atlassian.clientKey;
    expectExact<typeof clientKey, string>(true);
    return { clientKey };
  });
  app.get('/panel', { config: { atlassianJwt: { qsh: 'context' } } }, async (request) => request.atlassian.accountId);
  app.get('/health', { config: { atlassianJwt: false } }, async () => 'ok');
  app.post(
    '/form',
    { config: { atlassianJwt: false }, preHandler: app.atlassianJwt.guard({ formParams: 'fallback' }) },
    async (request) => {
      expectExact<typeof request.atlassian.clientKey, string>(true);
    },
  );
  // @ts-expect-error: route config is checked
  app.get('/bad', { config: { atlassianJwt: { qsh: 'loose' } } }, async () => 'never');
}
