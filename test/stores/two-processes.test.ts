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

// Real servers: these tests fail (they do not skip) when Redis or PostgreSQL is not running.
const CACHE_TTL = 1500;
// Generous: two tsx processes start per test on a loaded 2-core CI machine.
const TEST_TIMEOUT = 120_000;

afterAll(stopAllAddons);

async function callResource(product: FakeProduct) {
  const response = await product.request('/resource?issue=CJ-1&expand=names');
  return {
    status: response.status,
    body: (await response.json()) as { clientKey?: string; pid?: number; code?: string },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const backends = [
  {
    kind: 'redis',
    url: REDIS_URL,
    namespace: `connect-jwt-2p:${randomBytes(5).toString('hex')}:`,
    cleanUp: removeRedisKeys,
  },
  {
    kind: 'postgres',
    url: DATABASE_URL,
    namespace: `connect_jwt_2p_${randomBytes(5).toString('hex')}`,
    cleanUp: dropPostgresSchema,
  },
];

/** A fake product, a load balancer and two add-on processes A and B on one store. */
async function startDeployment(kind: string, url: string, namespace: string, cacheTtl?: number) {
  const product = await createFakeProduct();
  const balancer = new LoadBalancer(await closedPort());
  const env: Record<string, string> = {
    STORE_KIND: kind,
    STORE_URL: url,
    STORE_NAMESPACE: namespace,
    PUBLIC_URL: balancer.url,
    KEY_SERVER_URL: product.keyServerUrl,
  };
  if (cacheTtl !== undefined) env.CACHE_TTL = String(cacheTtl);
  // Both start at once: with Postgres they race to create the schema and table.
  const [a, b] = await Promise.all([startAddon(env), startAddon(env)]);
  return {
    product,
    balancer,
    a,
    b,
    async stop() {
      await Promise.all([a.stop(), b.stop()]);
      await balancer.close();
      await product.close();
    },
  };
}

for (const backend of backends) {
  describe(`two Express add-on processes sharing one ${backend.kind}`, () => {
    afterAll(() => backend.cleanUp(backend.namespace));

    it(
      'a signed install through A authenticates on B; an uninstall through B is rejected on A at once (no cache)',
      async () => {
        const { product, balancer, a, b, stop } = await startDeployment(backend.kind, backend.url, backend.namespace);
        try {
          await balancer.routeTo(a);
          expect((await product.install(balancer.url)).status).toBe(204);

          await balancer.routeTo(b);
          expect(await callResource(product)).toEqual({
            status: 200,
            body: { clientKey: product.clientKey, pid: b.child.pid },
          });

          expect((await product.uninstall()).status).toBe(204);
          await balancer.routeTo(a);
          expect(await callResource(product)).toMatchObject({ status: 401, body: { code: 'ERR_INVALID_ISSUER' } });

          // A reinstall through B (new shared secret) authenticates on A with the new secret.
          await balancer.routeTo(b);
          expect((await product.install(balancer.url)).status).toBe(204);
          await balancer.routeTo(a);
          expect(await callResource(product)).toEqual({
            status: 200,
            body: { clientKey: product.clientKey, pid: a.child.pid },
          });
        } finally {
          await stop();
        }
      },
      TEST_TIMEOUT,
    );

    it(
      `with cachedStore (ttl ${CACHE_TTL} ms): an uninstall through B is rejected on B at once and on A within the TTL`,
      async () => {
        const deployment = await startDeployment(backend.kind, backend.url, backend.namespace, CACHE_TTL);
        const { product, balancer, a, b, stop } = deployment;
        try {
          await balancer.routeTo(a);
          expect((await product.install(balancer.url)).status).toBe(204);
          expect((await callResource(product)).status).toBe(200); // A now holds the record in its cache
          // Misses are not cached, so B sees A's install on its first request.
          await balancer.routeTo(b);
          expect((await callResource(product)).status).toBe(200);

          expect((await product.uninstall()).status).toBe(204);
          expect((await callResource(product)).status).toBe(401);
          // A may still serve its cached record until the entry (made before the uninstall) expires...
          await balancer.routeTo(a);
          expect([200, 401]).toContain((await callResource(product)).status);
          // ...and once a full TTL has passed since the uninstall, it must refuse.
          await sleep(CACHE_TTL + 250);
          expect(await callResource(product)).toMatchObject({ status: 401, body: { code: 'ERR_INVALID_ISSUER' } });
        } finally {
          await stop();
        }
      },
      TEST_TIMEOUT,
    );
  });
}
