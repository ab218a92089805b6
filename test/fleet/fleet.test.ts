// A fleet: three add-on processes (Express, Koa, Fastify) with one base URL, each over
// cachedStore(encryptedStore(<store>, key)) as the README recommends, sharing one Redis, Postgres,
// SQLite file or Redis Cluster. A lifecycle event through one instance must be honoured by the
// others within 1 s (a correctness bound the issue sets, not a speed claim): the store's change
// feed evicts their cached record. With an instance's link to Redis cut (its feed down) and another
// instance killed, nothing may be served wrong for longer than the cache's ttl.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createJwt } from '@connect-jwt/core';
import { TcpProxy } from '@connect-jwt/store-test-suite';
import { createFakeProduct, type FakeProduct } from '@connect-jwt/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createClient,
  DATABASE_URL,
  dropPostgresSchema,
  REDIS_URL,
  removeRedisKeys,
} from '../stores/helpers/addon-process.js';
import { type AddonProcess, type Framework, startAddonProcess } from '../support/reliability/harness.ts';

/** The bound: every instance honours an install, reinstall or uninstall within this. */
const PROPAGATION_BOUND_MS = 1000;
const REDIS_CLUSTER_URL =
  process.env.REDIS_CLUSTER_URL ?? 'redis+cluster://127.0.0.1:7101,127.0.0.1:7102,127.0.0.1:7103';
/** The cache's ttl: what the feed falls back to while it is down. */
const CACHE_TTL_MS = 1500;
/** How often the test asks each instance while it waits. */
const POLL_MS = 10;
const FRAMEWORKS: Framework[] = ['express', 'koa', 'fastify'];
// Three tsx processes start per store on a loaded 2-core machine.
const SETUP_TIMEOUT = 180_000;
const TEST_TIMEOUT = 60_000;

interface Backend {
  label: string;
  kind: 'redis' | 'postgres' | 'sqlite';
  /** Where the instances connect; for Redis the third goes through a proxy the test can cut. */
  url: string;
  namespace?: string;
  redisPort?: number;
  cleanUp(): Promise<void>;
}

const sqliteDir = mkdtempSync(join(tmpdir(), 'connect-jwt-fleet-'));
const suffix = randomBytes(5).toString('hex');
const backends: Backend[] = [
  {
    label: 'Redis',
    kind: 'redis',
    url: REDIS_URL,
    namespace: `connect-jwt-fleet:${suffix}:`,
    redisPort: Number(new URL(REDIS_URL).port || 6379),
    cleanUp: () => removeRedisKeys(`connect-jwt-fleet:${suffix}:`),
  },
  {
    label: 'PostgreSQL',
    kind: 'postgres',
    url: DATABASE_URL,
    namespace: `connect_jwt_fleet_${suffix}`,
    cleanUp: () => dropPostgresSchema(`connect_jwt_fleet_${suffix}`),
  },
  {
    label: 'SQLite file',
    kind: 'sqlite',
    url: join(sqliteDir, 'fleet.db'),
    cleanUp: async () => rmSync(sqliteDir, { recursive: true, force: true }),
  },
  {
    label: 'Redis Cluster',
    kind: 'redis',
    url: REDIS_CLUSTER_URL,
    namespace: `connect-jwt-fleet-cluster:${suffix}:`,
    cleanUp: () => removeClusterKeys(REDIS_CLUSTER_URL, `connect-jwt-fleet-cluster:${suffix}:`),
  },
];

/** Deletes every key under `prefix` on each node of the cluster (keys live on their own node). */
async function removeClusterKeys(clusterUrl: string, prefix: string): Promise<void> {
  for (const node of clusterUrl.slice(clusterUrl.indexOf('//') + 2).split(',')) {
    const client = createClient({ url: `redis://${node}` });
    await client.connect();
    for await (const keys of client.scanIterator({ MATCH: `${prefix}*` })) {
      for (const key of keys) await client.del(key).catch(() => {});
    }
    await client.close();
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The status an instance answers to a host token signed with `secret` (a strict-qsh route). */
async function statusOn(instance: AddonProcess, product: FakeProduct, secret: string): Promise<number> {
  const token = await createJwt(product.clientKey, secret, { uri: '/hello' });
  const response = await fetch(`${instance.url}/hello`, { headers: { authorization: `JWT ${token}` } });
  await response.arrayBuffer();
  return response.status;
}

/**
 * Asks every instance until `settled(instance)` holds for each (none is asked again once it holds);
 * answers the milliseconds from `since` until the last one did. Gives up after 10 s.
 */
async function timeUntil(
  instances: AddonProcess[],
  since: number,
  settled: (instance: AddonProcess) => Promise<boolean>,
): Promise<number> {
  const waiting = new Set(instances);
  while (waiting.size > 0) {
    for (const instance of [...waiting]) if (await settled(instance)) waiting.delete(instance);
    if (waiting.size === 0) break;
    if (performance.now() - since > 10_000) {
      throw new Error(`${[...waiting].map((i) => i.url).join(', ')} did not settle within 10 s`);
    }
    await sleep(POLL_MS);
  }
  return performance.now() - since;
}

for (const backend of backends) {
  describe(`a fleet of three add-on processes (${FRAMEWORKS.join(', ')}) on one ${backend.label}`, () => {
    let product: FakeProduct;
    let link: TcpProxy | undefined;
    let instances: AddonProcess[] = [];
    /** The fleet's one base URL: the first instance's, which takes the lifecycle callbacks. */
    let baseUrl: string;
    const propagation: Record<string, number> = {};

    beforeAll(async () => {
      product = await createFakeProduct();
      if (backend.redisPort !== undefined) {
        link = new TcpProxy({ targetPort: backend.redisPort });
        await link.start();
      }
      const encryptionKey = randomBytes(32).toString('hex');
      const start = (framework: Framework, options: { viaLink?: boolean; baseUrl?: string } = {}) =>
        startAddonProcess({
          framework,
          storeKind: backend.kind,
          // The last instance reaches Redis through a link the test cuts.
          storeUrl: link !== undefined && options.viaLink ? `redis://${link.address}` : backend.url,
          ...(backend.namespace !== undefined && { storeNamespace: backend.namespace }),
          storeTimeoutMs: 1000,
          keyServerUrl: product.keyServerUrl,
          ...(options.baseUrl !== undefined && { baseUrl: options.baseUrl }),
          fleet: { encryptionKey, cacheTtl: CACHE_TTL_MS },
        });
      // The first instance serves on its own address, which the others then announce as theirs too
      // (a balancer's port reserved up front could be taken by another process meanwhile).
      const first = await start('express');
      const descriptor = (await (await fetch(`${first.url}/atlassian-connect.json`)).json()) as { baseUrl: string };
      baseUrl = descriptor.baseUrl;
      const others = await Promise.all([start('koa', { baseUrl }), start('fastify', { baseUrl, viaLink: true })]);
      instances = [first, ...others];
      // Each instance has answered once (its store connected, its code paths loaded), so the bound
      // below measures propagation, not a cold start.
      for (const instance of instances) {
        const token = await createJwt('not-installed', 'any-secret-0123456789', { uri: '/hello' });
        const response = await fetch(`${instance.url}/hello`, { headers: { authorization: `JWT ${token}` } });
        expect(response.status).toBe(401);
      }
    }, SETUP_TIMEOUT);

    afterAll(async () => {
      await Promise.all(instances.map((instance) => instance.stop()));
      await link?.close();
      await product?.close();
      await backend.cleanUp();
      console.log(`fleet propagation on ${backend.label} (ms):`, propagation);
    }, SETUP_TIMEOUT);

    it(
      'an install, a reinstall with a new secret and an uninstall through one instance are honoured by the others within 1 s',
      async () => {
        const [, ...others] = instances;

        // Install through A: B and C accept the new installation (misses are never cached).
        expect((await product.install(baseUrl)).status).toBe(204);
        let since = performance.now();
        const first = product.sharedSecret;
        propagation.install = await timeUntil(others, since, async (i) => (await statusOn(i, product, first)) === 200);
        expect(propagation.install).toBeLessThanOrEqual(PROPAGATION_BOUND_MS);

        // Reinstall through A: B and C, which hold the old record in their caches, refuse the old
        // secret (asked first, so only the feed can make them: the re-read on a failed signature
        // would otherwise do it) and accept the new one.
        expect((await product.install(baseUrl)).status).toBe(204);
        since = performance.now();
        const second = product.sharedSecret;
        expect(second).not.toBe(first);
        propagation.reinstall = await timeUntil(others, since, async (i) => {
          if ((await statusOn(i, product, first)) !== 401) return false;
          return (await statusOn(i, product, second)) === 200;
        });
        expect(propagation.reinstall).toBeLessThanOrEqual(PROPAGATION_BOUND_MS);

        // Uninstall through A: B and C refuse the site's tokens, which verified a moment ago.
        expect(await Promise.all(others.map((i) => statusOn(i, product, second)))).toEqual([200, 200]);
        expect((await product.uninstall()).status).toBe(204);
        since = performance.now();
        propagation.uninstall = await timeUntil(
          others,
          since,
          async (i) => (await statusOn(i, product, second)) === 401,
        );
        expect(propagation.uninstall).toBeLessThanOrEqual(PROPAGATION_BOUND_MS);
        for (const instance of instances) expect(instance.exited()).toBeUndefined();
      },
      TEST_TIMEOUT,
    );

    if (backend.label === 'Redis') {
      it(
        `with C's link to Redis cut and B killed, C serves nothing wrong for longer than the ttl (${CACHE_TTL_MS} ms)`,
        async () => {
          const [, b, c] = instances as [AddonProcess, AddonProcess, AddonProcess];
          expect((await product.install(baseUrl)).status).toBe(204);
          const old = product.sharedSecret;
          await timeUntil([c], performance.now(), async (i) => (await statusOn(i, product, old)) === 200);

          await link?.cut();
          await timeUntil([c], performance.now(), async (i) => i.feedStatus().includes('down'));
          b.child.kill('SIGKILL');

          // A reinstall C cannot hear of: until its ttl has run out it may serve its cached record
          // (the old secret), then it must not; it answers 503 while it cannot reach Redis.
          expect((await product.install(baseUrl)).status).toBe(204);
          const written = performance.now();
          const fresh = product.sharedSecret;
          let lastWrong = written;
          await timeUntil([c], written, async (i) => {
            const status = await statusOn(i, product, old);
            if (status === 200) lastWrong = performance.now();
            return status !== 200;
          });
          expect(lastWrong - written).toBeLessThanOrEqual(CACHE_TTL_MS);

          // The link back: C resubscribes, flushes, and answers with the new secret only.
          await link?.restore();
          const restored = performance.now();
          await timeUntil([c], restored, async (i) => {
            if ((await statusOn(i, product, fresh)) !== 200) return false;
            return (await statusOn(i, product, old)) === 401;
          });
          await timeUntil([c], restored, async (i) => i.feedStatus().join() === 'down,up');
          expect(c.exited()).toBeUndefined();
          expect(b.exited()).toBe('SIGKILL');
        },
        TEST_TIMEOUT,
      );
    }
  });
}
