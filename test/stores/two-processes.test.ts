import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { closedPort, TcpProxy } from '@connect-jwt/store-test-suite';
import { createFakeProduct, type FakeProduct } from '@connect-jwt/testing';
import { afterAll, describe, expect, it } from 'vitest';

// The drivers are the store packages' dependencies, not the workspace root's.
const pg: typeof import('pg') = createRequire(new URL('../../packages/store-postgres/', import.meta.url))('pg');
const { createClient }: typeof import('redis') = createRequire(new URL('../../packages/store-redis/', import.meta.url))(
  'redis',
);

// Real servers: these tests fail (they do not skip) when Redis or PostgreSQL is not running.
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const fixture = fileURLToPath(new URL('./fixtures/express-addon.ts', import.meta.url));
const fixtureTsconfig = fileURLToPath(new URL('./fixtures/tsconfig.json', import.meta.url));
const root = fileURLToPath(new URL('../../', import.meta.url));
const CACHE_TTL = 1500;
// Generous: two tsx processes start per test on a loaded 2-core CI machine.
const TEST_TIMEOUT = 120_000;

interface AddonProcess {
  child: ChildProcess;
  port: number;
}

const children: ChildProcess[] = [];

afterAll(async () => {
  await Promise.all(children.map(stopChild));
});

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.stdin?.end();
  });
}

function startAddon(env: Record<string, string>): Promise<AddonProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
    cwd: root,
    env: { ...process.env, ...env, TSX_TSCONFIG_PATH: fixtureTsconfig },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`add-on process did not start:\n${output}`)), 60_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /LISTENING (\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ child, port: Number(match[1]) });
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`add-on process exited with ${code}:\n${output}`));
    });
  });
}

/** The add-on's one public address, forwarded to whichever instance the test picks (a load balancer). */
class LoadBalancer {
  #proxy: TcpProxy | undefined;
  constructor(readonly port: number) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async routeTo(addon: AddonProcess): Promise<void> {
    await this.#proxy?.close();
    this.#proxy = new TcpProxy({ targetPort: addon.port, port: this.port });
    await this.#proxy.start();
  }

  async close(): Promise<void> {
    await this.#proxy?.close();
  }
}

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
    async cleanUp(namespace: string) {
      const client = createClient({ url: REDIS_URL });
      await client.connect();
      for await (const keys of client.scanIterator({ MATCH: `${namespace}*` })) if (keys.length) await client.del(keys);
      await client.close();
    },
  },
  {
    kind: 'postgres',
    url: DATABASE_URL,
    namespace: `connect_jwt_2p_${randomBytes(5).toString('hex')}`,
    async cleanUp(namespace: string) {
      const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 1 });
      await pool.query(`DROP SCHEMA IF EXISTS "${namespace}" CASCADE`);
      await pool.end();
    },
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
      await Promise.all([stopChild(a.child), stopChild(b.child)]);
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
