import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { createJwt } from '@connect-jwt/core';
import { sampleInstallation, uniqueClientKey } from '@connect-jwt/store-test-suite';
import { afterAll, describe, expect, it } from 'vitest';

// The drivers are the store packages' dependencies, not the workspace root's.
const pg: typeof import('pg') = createRequire(new URL('../../packages/store-postgres/', import.meta.url))('pg');
const { createClient }: typeof import('redis') = createRequire(new URL('../../packages/store-redis/', import.meta.url))(
  'redis',
);

// Real servers: these tests fail (they do not skip) when Redis or PostgreSQL is not running.
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const fixture = fileURLToPath(new URL('./fixtures/addon-process.ts', import.meta.url));
const fixtureTsconfig = fileURLToPath(new URL('./fixtures/tsconfig.json', import.meta.url));
const root = fileURLToPath(new URL('../../', import.meta.url));
const CACHE_TTL = 1500;
// Generous: two tsx processes start per test on a loaded 2-core CI machine.
const TEST_TIMEOUT = 120_000;

interface AddonProcess {
  child: ChildProcess;
  url: string;
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
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /LISTENING (\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ child, url: `http://127.0.0.1:${match[1]}` });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`add-on process exited with ${code}:\n${output}`));
    });
  });
}

async function post(addon: AddonProcess, path: string, body: unknown): Promise<void> {
  const response = await fetch(`${addon.url}${path}`, { method: 'POST', body: JSON.stringify(body) });
  expect(response.status).toBe(200);
}

async function call(addon: AddonProcess, clientKey: string, secret: string) {
  const uri = '/resource?issue=CJ-1&expand=names';
  const token = await createJwt(clientKey, secret, { method: 'GET', uri });
  const response = await fetch(`${addon.url}${uri}`, { headers: { authorization: `JWT ${token}` } });
  return { status: response.status, body: (await response.json()) as { clientKey?: string; code?: string } };
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

for (const backend of backends) {
  describe(`two add-on processes sharing one ${backend.kind}`, () => {
    afterAll(() => backend.cleanUp(backend.namespace));
    const env = { STORE_KIND: backend.kind, STORE_URL: backend.url, STORE_NAMESPACE: backend.namespace };

    it(
      'an install through A authenticates on B; an uninstall through B is rejected on A at once (no cache)',
      async () => {
        // Both start at once: with Postgres they race to create the schema and table.
        const [a, b] = await Promise.all([startAddon(env), startAddon(env)]);
        const clientKey = uniqueClientKey('two-processes');
        const installation = sampleInstallation(clientKey);

        await post(a, '/install', installation);
        expect(await call(b, clientKey, installation.sharedSecret)).toEqual({
          status: 200,
          body: expect.objectContaining({ clientKey }),
        });
        expect((await call(a, clientKey, installation.sharedSecret)).status).toBe(200);

        await post(b, '/uninstall', { clientKey });
        expect(await call(a, clientKey, installation.sharedSecret)).toMatchObject({
          status: 401,
          body: { code: 'ERR_INVALID_ISSUER' },
        });

        // A reinstall through B with a new secret: A refuses the old secret and accepts the new one.
        await post(b, '/install', { ...installation, sharedSecret: 'rotated-secret' });
        expect(await call(a, clientKey, installation.sharedSecret)).toMatchObject({
          status: 401,
          body: { code: 'ERR_INVALID_SIGNATURE' },
        });
        expect((await call(a, clientKey, 'rotated-secret')).status).toBe(200);
        await Promise.all([stopChild(a.child), stopChild(b.child)]);
      },
      TEST_TIMEOUT,
    );

    it(
      `with cachedStore (ttl ${CACHE_TTL} ms), an uninstall through B is rejected on B at once and on A within the TTL`,
      async () => {
        const cached = { ...env, CACHE_TTL: String(CACHE_TTL) };
        const [a, b] = await Promise.all([startAddon(cached), startAddon(cached)]);
        const clientKey = uniqueClientKey('two-processes-cached');
        const installation = sampleInstallation(clientKey);

        await post(a, '/install', installation);
        // Misses are not cached, so B sees A's install on its first request.
        expect((await call(b, clientKey, installation.sharedSecret)).status).toBe(200);
        expect((await call(a, clientKey, installation.sharedSecret)).status).toBe(200);

        await post(b, '/uninstall', { clientKey });
        expect((await call(b, clientKey, installation.sharedSecret)).status).toBe(401);
        // A may still serve its cached record until the entry (made before the uninstall) expires...
        expect([200, 401]).toContain((await call(a, clientKey, installation.sharedSecret)).status);
        // ...and once a full TTL has passed since the uninstall, it must refuse.
        await sleep(CACHE_TTL + 250);
        expect(await call(a, clientKey, installation.sharedSecret)).toMatchObject({
          status: 401,
          body: { code: 'ERR_INVALID_ISSUER' },
        });
        await Promise.all([stopChild(a.child), stopChild(b.child)]);
      },
      TEST_TIMEOUT,
    );
  });
}
