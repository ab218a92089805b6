// connectWebhooks across a fleet: two add-on processes on one Redis (or PostgreSQL), one webhook delivered to both
// at once (Jira's retry of a delivery that timed out lands on the other instance). The handler runs once.
import { randomBytes, randomUUID } from 'node:crypto';
import { closedPort } from '@connect-jwt/store-test-suite';
import { createFakeProduct } from '@connect-jwt/testing';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type AddonProcess,
  DATABASE_URL,
  dropPostgresSchema,
  LoadBalancer,
  REDIS_URL,
  removeRedisKeys,
  startAddon,
  stopAllAddons,
} from './helpers/addon-process.js';

// Real Redis and PostgreSQL: this test fails (it does not skip) when they are not running.
const TEST_TIMEOUT = 120_000;
const run = randomBytes(5).toString('hex');
const redisPrefix = `connect-jwt-webhooks:${run}:`;
const postgresSchema = `connect_jwt_webhooks_${run}`;

afterAll(async () => {
  await stopAllAddons();
  await removeRedisKeys(redisPrefix);
  await dropPostgresSchema(postgresSchema);
});

async function handledBy(addon: AddonProcess): Promise<Array<string | null>> {
  const response = await fetch(`http://127.0.0.1:${addon.port}/webhooks/handled`);
  return ((await response.json()) as { identifiers: Array<string | null> }).identifiers;
}

describe.each([
  ['RedisStore', 'redis', REDIS_URL, redisPrefix, undefined],
  ['cachedStore(RedisStore)', 'redis', REDIS_URL, redisPrefix, '1500'],
  ['PostgresStore', 'postgres', DATABASE_URL, postgresSchema, undefined],
])('connectWebhooks in two Express add-on processes sharing one store: %s', (_name, kind, url, namespace, cacheTtl) => {
  it(
    'runs the handler once for one identifier delivered to both at once, and absorbs a later retry',
    async () => {
      const product = await createFakeProduct();
      const balancer = new LoadBalancer(await closedPort());
      const env = {
        STORE_KIND: kind,
        STORE_URL: url,
        STORE_NAMESPACE: namespace,
        PUBLIC_URL: balancer.url,
        KEY_SERVER_URL: product.keyServerUrl,
        // Long enough that the two copies overlap in the handler on a loaded machine; not asserted.
        WEBHOOK_DELAY_MS: '300',
        ...(cacheTtl !== undefined && { CACHE_TTL: cacheTtl }),
      };
      const [a, b] = await Promise.all([startAddon(env), startAddon(env)]);
      try {
        await balancer.routeTo(a);
        expect((await product.install(balancer.url)).status).toBe(204);

        const path = '/webhooks/issue-created';
        for (let round = 0; round < 3; round++) {
          const identifier = randomUUID();
          const [toA, toB] = await Promise.all([
            product.webhook(`http://127.0.0.1:${a.port}${path}`, 'jira:issue_created', { identifier }),
            product.webhook(`http://127.0.0.1:${b.port}${path}`, 'jira:issue_created', { identifier, retry: 1 }),
          ]);
          // One ran it (204); the other found it running (409, which Jira retries) or done (204).
          const statuses = [toA.status, toB.status];
          expect(statuses).toContain(204);
          expect(statuses.every((status) => status === 204 || status === 409)).toBe(true);
          // Jira's next retry, on either instance, is absorbed once the first run is done.
          let retry = await product.webhook(`http://127.0.0.1:${b.port}${path}`, 'jira:issue_created', {
            identifier,
            retry: 2,
          });
          for (let attempt = 3; retry.status === 409 && attempt < 50; attempt++) {
            await new Promise((resolve) => setTimeout(resolve, 100));
            retry = await product.webhook(`http://127.0.0.1:${a.port}${path}`, 'jira:issue_created', {
              identifier,
              retry: attempt,
            });
          }
          expect(retry.status).toBe(204);

          const runs = [...(await handledBy(a)), ...(await handledBy(b))].filter((id) => id === identifier);
          expect(runs).toHaveLength(1);
        }
      } finally {
        await Promise.all([a.stop(), b.stop()]);
        await balancer.close();
        await product.close();
      }
    },
    TEST_TIMEOUT,
  );
});
