// The README's "Rotating the encryption key", step by step, on each real backend: instances on
// different steps of the rollout share one store, and `connect-jwt-store re-encrypt` (a real process)
// rewrites the rows while an instance keeps serving requests.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  cachedStore,
  createJwt,
  type EncryptionKey,
  encryptedStore,
  type Installation,
  reencryptStore,
  type SecretStore,
  verifyRequest,
} from '@connect-jwt/core';
import { SecretDecryptionError } from '@connect-jwt/core/errors';
import { PostgresStore } from '@connect-jwt/store-postgres';
import { RedisStore } from '@connect-jwt/store-redis';
import { SqliteStore } from '@connect-jwt/store-sqlite';
import { afterAll, describe, expect, it } from 'vitest';
import { createClient, DATABASE_URL, pg, REDIS_URL } from './helpers/addon-process.js';

const OLD = randomBytes(32).toString('hex');
const NEW = randomBytes(32).toString('base64');
const bin = fileURLToPath(new URL('../../packages/store-url/src/bin.ts', import.meta.url));
const testsDir = fileURLToPath(new URL('../', import.meta.url));
const fixtureTsconfig = fileURLToPath(new URL('./fixtures/tsconfig.json', import.meta.url));
const TEST_TIMEOUT = 120_000;

/**
 * A backend the CLI reaches by URL alone, so each run gets its own: a fresh Postgres database, a
 * Redis database index no one uses under the default prefix, a SQLite file.
 */
interface Backend {
  kind: string;
  url: string;
  open(): SecretStore;
  drop(): Promise<void>;
}

async function postgresBackend(): Promise<Backend> {
  const database = `connect_jwt_rotation_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Pool({ connectionString: DATABASE_URL, max: 1 });
  await admin.query(`CREATE DATABASE "${database}"`);
  const url = new URL(DATABASE_URL);
  url.pathname = `/${database}`;
  return {
    kind: 'postgres',
    url: url.toString(),
    open: () => new PostgresStore(url.toString()),
    async drop() {
      await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
      await admin.end();
    },
  };
}

async function redisBackend(): Promise<Backend> {
  const prefix = 'connect-jwt:installation:';
  for (const db of [10, 11, 12, 13, 14, 15].sort(() => Math.random() - 0.5)) {
    const url = `${REDIS_URL.replace(/\/\d*$/, '')}/${db}`;
    const admin = createClient({ url });
    await admin.connect();
    // Claimed for the run, so two runs at once never share an index.
    const claimed = await admin.set('connect-jwt-test:rotation-lock', '1', {
      condition: 'NX',
      expiration: { type: 'PX', value: 300_000 },
    });
    const { keys: used } = await admin.scan('0', { MATCH: `${prefix}*`, COUNT: 1000 });
    if (claimed === null || used.length > 0) {
      if (claimed !== null) await admin.del('connect-jwt-test:rotation-lock');
      await admin.close();
      continue;
    }
    return {
      kind: 'redis',
      url,
      open: () => new RedisStore(url),
      async drop() {
        for await (const keys of admin.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) {
          if (keys.length > 0) await admin.del(keys);
        }
        await admin.del('connect-jwt-test:rotation-lock');
        await admin.close();
      },
    };
  }
  throw new Error('no free Redis database index (10-15) for the rotation test');
}

async function sqliteBackend(): Promise<Backend> {
  const dir = mkdtempSync(join(tmpdir(), 'connect-jwt-rotation-'));
  const file = join(dir, 'installations.sqlite');
  return {
    kind: 'sqlite',
    url: `sqlite:${file}`,
    open: () => new SqliteStore(file),
    drop: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** An add-on instance's store as the README sets it up, at one step of the rollout. */
function instance(backend: Backend, key: EncryptionKey, previousKeys?: EncryptionKey[]) {
  return cachedStore(encryptedStore(backend.open(), key, { previousKeys }), { ttl: 0 });
}

/** A real HTTP server that authenticates every request against `store`: 200 or the error's status. */
async function serve(store: SecretStore): Promise<{ port: number; server: Server }> {
  const server = createServer((req, res) => {
    verifyRequest({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers }, { store }).then(
      (auth) => res.writeHead(200).end(auth.clientKey),
      (error: { status?: number; code?: string }) => res.writeHead(error.status ?? 500).end(error.code),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return { port: typeof address === 'object' && address ? address.port : 0, server };
}

async function request(port: number, installation: Installation): Promise<number> {
  const token = await createJwt(installation.clientKey, installation.sharedSecret, { uri: '/panel?x=1' });
  const response = await fetch(`http://127.0.0.1:${port}/panel?x=1`, { headers: { authorization: `JWT ${token}` } });
  await response.arrayBuffer();
  return response.status;
}

function install(label: string, i: number, secret = `shared-secret-${label}-${i}`): Installation {
  return { clientKey: `${label}-${i}`, sharedSecret: secret, baseUrl: 'https://rotation.atlassian.net' };
}

/** `connect-jwt-store re-encrypt` (@connect-jwt/store-url's bin) as an operator runs it: a separate process, keys in its environment. */
function reencrypt(backend: Backend, ...extra: string[]) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', bin, 're-encrypt', '--store', backend.url, '--previous-key-env', 'OLD_SECRET_KEY', ...extra],
    {
      cwd: testsDir,
      env: { ...process.env, SECRET_KEY: NEW, OLD_SECRET_KEY: OLD, TSX_TSCONFIG_PATH: fixtureTsconfig },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk;
  });
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
  return { child, done };
}

const closing: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const close of closing.splice(0).reverse()) await close().catch(() => {});
});
function track<T extends SecretStore>(store: T): T {
  closing.push(async () => store.close?.());
  return store;
}
function trackServer(server: Server): void {
  closing.push(() => new Promise((resolve) => server.close(resolve)));
}

for (const makeBackend of [postgresBackend, redisBackend, sqliteBackend]) {
  describe(`rotating the encryption key on ${makeBackend.name.replace('Backend', '')}`, () => {
    let backend: Backend;
    const ready = makeBackend().then((made) => {
      backend = made;
      closing.unshift(() => made.drop());
      return made;
    });
    // Awaited by each test (which then fails): not an unhandled rejection meanwhile.
    ready.catch(() => {});

    it(
      'the documented rollout: both halves of the fleet read each other, an instance with the old key alone cannot',
      async () => {
        await ready;
        // Before: every instance on the old key.
        const before = track(instance(backend, OLD));
        const rows = Array.from({ length: 10 }, (_, i) => install('rollout', i));
        for (const row of rows) await before.set(row);

        // Step 1 on every instance: the new key as a previous key. Step 2 has begun: A runs the new
        // key with the old one as previous, B still runs step 1.
        const a = track(instance(backend, NEW, [OLD]));
        const b = track(instance(backend, OLD, [NEW]));
        const fromA = install('rollout-a', 0, 'reinstalled-through-a');
        const fromB = install('rollout-b', 0, 'reinstalled-through-b');
        await a.set(fromA);
        await b.set(fromB);
        await a.set(install('rollout', 0, 'rollout-0-reinstalled-through-a'));
        rows[0] = install('rollout', 0, 'rollout-0-reinstalled-through-a');
        for (const store of [a, b]) {
          expect((await store.get(fromA.clientKey))?.sharedSecret).toBe('reinstalled-through-a');
          expect((await store.get(fromB.clientKey))?.sharedSecret).toBe('reinstalled-through-b');
        }
        const serverA = await serve(a);
        const serverB = await serve(b);
        trackServer(serverA.server);
        trackServer(serverB.server);
        for (const row of [...rows, fromA, fromB]) {
          expect(await request(serverA.port, row)).toBe(200);
          expect(await request(serverB.port, row)).toBe(200);
        }

        // Why step 1 exists: an instance still on the old key alone cannot read what A wrote.
        const skipped = track(instance(backend, OLD));
        await expect(skipped.get(fromA.clientKey)).rejects.toBeInstanceOf(SecretDecryptionError);
        const serverSkipped = await serve(skipped);
        trackServer(serverSkipped.server);
        expect(await request(serverSkipped.port, fromA)).toBe(503);
        expect(await request(serverSkipped.port, rows[0] as Installation)).toBe(503);

        // Step 3, once every instance is on step 2: re-encrypt. Step 4: drop the old key.
        const run = await reencrypt(backend).done;
        expect(run.stderr).toBe('');
        expect(run.code).toBe(0);
        expect(run.stdout).toMatch(/unreadable 0\n/);
        const after = track(instance(backend, NEW));
        const serverAfter = await serve(after);
        trackServer(serverAfter.server);
        const oldOnly = track(encryptedStore(backend.open(), OLD));
        for (const row of [...rows, fromA, fromB]) {
          expect(await request(serverAfter.port, row)).toBe(200);
          await expect(oldOnly.get(row.clientKey)).rejects.toBeInstanceOf(SecretDecryptionError);
        }
      },
      TEST_TIMEOUT,
    );

    it(
      're-encrypt while an instance serves: no request refused, and afterwards no row opens under the old key alone',
      async () => {
        await ready;
        const label = `serving-${randomBytes(3).toString('hex')}`;
        const writer = track(instance(backend, OLD));
        const rows = Array.from({ length: 400 }, (_, i) => install(label, i));
        for (let i = 0; i < rows.length; i += 50) await Promise.all(rows.slice(i, i + 50).map((r) => writer.set(r)));

        const dry = await reencrypt(backend, '--dry-run').done;
        expect(dry.code).toBe(0);
        expect(dry.stdout).toMatch(/would rewrite \d+, .*\(dry run: nothing written\)/);
        expect((await writer.get(`${label}-1`))?.sharedSecret).toBe(`shared-secret-${label}-1`);

        // The serving instance is on step 2; it keeps answering requests and taking new installs.
        const serving = track(instance(backend, NEW, [OLD]));
        const { port, server } = await serve(serving);
        trackServer(server);
        const statuses = new Map<number, number>();
        const installedMeanwhile: Installation[] = [];
        let duringRun = 0;
        let running = true;
        const run = reencrypt(backend);
        const exited = run.done.then((result) => {
          running = false;
          return result;
        });
        const clients = Array.from({ length: 4 }, async (_, client) => {
          for (let n = client; running; n += 4) {
            if (n % 50 === 0) {
              const fresh = install(`${label}-new`, n);
              await serving.set(fresh);
              installedMeanwhile.push(fresh);
            }
            const status = await request(port, rows[n % rows.length] as Installation);
            statuses.set(status, (statuses.get(status) ?? 0) + 1);
            if (running) duringRun++;
          }
        });
        const result = await exited;
        await Promise.all(clients);

        expect(result.stderr).toBe('');
        expect(result.code).toBe(0);
        expect(result.stdout).toMatch(/rewrote \d+, .* unreadable 0\n/);
        expect(duringRun).toBeGreaterThan(0);
        expect([...statuses.keys()]).toEqual([200]);

        const newOnly = track(encryptedStore(backend.open(), NEW, { requireEncryption: true }));
        const oldOnly = track(encryptedStore(backend.open(), OLD));
        const written = [...rows, ...installedMeanwhile];
        for (let i = 0; i < written.length; i += 50) {
          await Promise.all(
            written.slice(i, i + 50).map(async (row) => {
              expect((await newOnly.get(row.clientKey))?.sharedSecret).toBe(row.sharedSecret);
              await expect(oldOnly.get(row.clientKey)).rejects.toBeInstanceOf(SecretDecryptionError);
            }),
          );
        }
        // Idempotent: nothing is left to rewrite.
        const again = await reencrypt(backend).done;
        expect(again.code).toBe(0);
        expect(again.stdout).toMatch(/rewrote 0, /);
      },
      TEST_TIMEOUT,
    );

    it(
      're-encrypt keeps a reinstall that lands between its read of a row and its rewrite (compare-and-set)',
      async () => {
        await ready;
        const label = `race-${randomBytes(3).toString('hex')}`;
        const writer = track(instance(backend, OLD));
        const rows = Array.from({ length: 6 }, (_, i) => install(label, i));
        for (const row of rows) await writer.set(row);
        // Every other row of this run is reinstalled by a serving instance at the last moment: after
        // re-encrypt read it, right before the backend's own compare-and-set of its rewrite.
        const serving = track(instance(backend, NEW, [OLD]));
        const raw = track(backend.open());
        const reinstalled = new Set(rows.filter((_, i) => i % 2 === 0).map((row) => row.clientKey));
        const racing: SecretStore = {
          get: (clientKey) => raw.get(clientKey),
          set: (installation) => raw.set(installation),
          delete: (clientKey) => raw.delete(clientKey),
          installations: () => (raw.installations as () => AsyncIterable<Installation>)(),
          replace: async (expected, next) => {
            if (reinstalled.has(expected.clientKey)) {
              await serving.set({
                ...install(label, 0),
                clientKey: expected.clientKey,
                sharedSecret: `reinstalled-${expected.clientKey}`,
              });
            }
            return (raw.replace as NonNullable<SecretStore['replace']>)(expected, next);
          },
        };
        const report = await reencryptStore(racing, NEW, { previousKeys: [OLD] });
        expect(report.atomic).toBe(true);
        expect(report.changed).toBe(reinstalled.size);
        const newOnly = track(encryptedStore(backend.open(), NEW, { requireEncryption: true }));
        for (const row of rows) {
          const expected = reinstalled.has(row.clientKey) ? `reinstalled-${row.clientKey}` : row.sharedSecret;
          expect((await newOnly.get(row.clientKey))?.sharedSecret).toBe(expected);
        }
      },
      TEST_TIMEOUT,
    );
  });
}
