import { randomBytes } from 'node:crypto';
import { closedPort } from '@connect-jwt/store-test-suite';
import { createFakeProduct, type FakeProduct } from '@connect-jwt/testing';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DATABASE_URL,
  dropPostgresSchema,
  LoadBalancer,
  REDIS_URL,
  removeRedisKeys,
  startAddon,
  stopAllAddons,
} from './helpers/addon-process.js';

// Two add-on processes on one Redis / PostgreSQL share the user tokens they get (productFetch's
// `cache: store`): the fleet asks the authorization server once per user, and a token the product
// refuses is replaced once for all. Real servers: fails (never skips) when one is not running.
const TEST_TIMEOUT = 120_000;

afterAll(stopAllAddons);

const backends = [
  {
    kind: 'redis',
    url: REDIS_URL,
    namespace: `connect-jwt-ut:${randomBytes(5).toString('hex')}:`,
    cleanUp: removeRedisKeys,
  },
  {
    kind: 'postgres',
    url: DATABASE_URL,
    namespace: `connect_jwt_ut_${randomBytes(5).toString('hex')}`,
    cleanUp: dropPostgresSchema,
  },
];

async function asUser(product: FakeProduct) {
  const response = await product.request('/as-user', { token: await product.contextToken() });
  const body = (await response.json()) as { product?: { accountId?: string }; pid?: number };
  return { status: response.status, accountId: body.product?.accountId, pid: body.pid };
}

for (const backend of backends) {
  describe(`user tokens shared by two processes on one ${backend.kind}`, () => {
    afterAll(() => backend.cleanUp(backend.namespace));

    it(
      'B uses the token A got; after the product refuses it, the fleet asks once more',
      async () => {
        const product = await createFakeProduct();
        const balancer = new LoadBalancer(await closedPort());
        const env = {
          STORE_KIND: backend.kind,
          STORE_URL: backend.url,
          STORE_NAMESPACE: backend.namespace,
          PUBLIC_URL: balancer.url,
          KEY_SERVER_URL: product.keyServerUrl,
          AUTHORIZATION_SERVER_URL: product.authorizationServerUrl,
        };
        const [a, b] = await Promise.all([startAddon(env), startAddon(env)]);
        try {
          await balancer.routeTo(a);
          expect((await product.install(balancer.url)).status).toBe(204);
          const me = { status: 200, accountId: product.accountId };
          expect(await asUser(product)).toEqual({ ...me, pid: a.child.pid });
          await balancer.routeTo(b);
          expect(await asUser(product)).toEqual({ ...me, pid: b.child.pid });
          expect(product.tokenRequests.map((r) => r.status)).toEqual([200]);

          product.expireUserTokens();
          expect(await asUser(product)).toEqual({ ...me, pid: b.child.pid });
          await balancer.routeTo(a);
          // A still holds the refused token: one 401, then B's new token from the store.
          expect(await asUser(product)).toEqual({ ...me, pid: a.child.pid });
          expect(product.tokenRequests.map((r) => r.status)).toEqual([200, 200]);
          expect(product.received.map((c) => c.status)).toEqual([200, 200, 401, 200, 401, 200]);
        } finally {
          await Promise.all([a.stop(), b.stop()]);
          await balancer.close();
          await product.close();
        }
      },
      TEST_TIMEOUT,
    );
  });
}
