import { randomBytes } from 'node:crypto';
import { closedPort, eventually, TcpProxy } from '@connect-jwt/store-test-suite';
import { createFakeProduct } from '@connect-jwt/testing';
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

// A store outage seen from the product: a real Express add-on process whose store link (through
// a TCP proxy) is cut answers 503 with Retry-After, never 401 or 500, and serves again by itself
// once the link is back. Real servers: these tests fail (not skip) when one is not running.
const TEST_TIMEOUT = 120_000;

afterAll(stopAllAddons);

const backends = [
  {
    kind: 'redis',
    server: new URL(REDIS_URL),
    defaultPort: 6379,
    namespace: `connect-jwt-outage:${randomBytes(5).toString('hex')}:`,
    cleanUp: removeRedisKeys,
  },
  {
    kind: 'postgres',
    server: new URL(DATABASE_URL),
    defaultPort: 5432,
    namespace: `connect_jwt_outage_${randomBytes(5).toString('hex')}`,
    cleanUp: dropPostgresSchema,
  },
];

for (const backend of backends) {
  describe(`an Express add-on whose ${backend.kind} goes away`, () => {
    afterAll(() => backend.cleanUp(backend.namespace));

    it(
      'answers 503 + Retry-After while the store is unreachable, and 200 again once it is back',
      async () => {
        const proxy = new TcpProxy({
          targetHost: backend.server.hostname,
          targetPort: Number(backend.server.port || backend.defaultPort),
        });
        await proxy.start();
        const storeUrl = new URL(backend.server);
        storeUrl.host = proxy.address;
        const product = await createFakeProduct();
        const balancer = new LoadBalancer(await closedPort());
        const addon = await startAddon({
          STORE_KIND: backend.kind,
          STORE_URL: storeUrl.toString(),
          STORE_NAMESPACE: backend.namespace,
          PUBLIC_URL: balancer.url,
          KEY_SERVER_URL: product.keyServerUrl,
        });
        try {
          await balancer.routeTo(addon);
          expect((await product.install(balancer.url)).status).toBe(204);
          expect((await product.request('/resource')).status).toBe(200);

          await proxy.cut();
          const during = await product.request('/resource');
          expect(during.status).toBe(503);
          expect(during.headers.get('retry-after')).toBe('1');
          expect(await during.json()).toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
          // A reinstall cannot be stored either: refused as unavailable, not accepted or crashed.
          const reinstall = await product.install(balancer.url);
          expect(reinstall.status).toBe(503);

          await proxy.restore();
          await eventually(async () => {
            const response = await product.request('/resource');
            if (response.status !== 200) throw new Error(`still ${response.status}`);
          });
        } finally {
          await addon.stop();
          await balancer.close();
          await product.close();
          await proxy.close();
        }
      },
      TEST_TIMEOUT,
    );
  });
}
