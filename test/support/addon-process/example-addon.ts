// One example add-on in its own process, for the load and fault suites. Run with
// `node --expose-gc --import tsx` and TSX_TSCONFIG_PATH pointing at the tsconfig beside this file,
// so the example and every `@connect-jwt/*` package load from their sources (no build needed).
//
// Environment:
//   FRAMEWORK        express | koa | fastify (which example to serve)
//   STORE_KIND       sqlite | redis | postgres
//   STORE_URL        redis://… or postgres://… (through the test's TCP proxy), or the SQLite file
//   STORE_NAMESPACE  Redis key prefix or Postgres schema, unique per run
//   STORE_TIMEOUT_MS connect and command/query timeout of a server store
//   KEY_SERVER_URL   where install-token keys are fetched
//   BASE_URL         the public base URL, when several instances serve one (a fleet behind a balancer)
//   ENCRYPTION_KEY   with CACHE_TTL: the store is cachedStore(encryptedStore(store, key), { ttl }),
//   CACHE_TTL        as the README recommends for a fleet; feed status goes to the parent over IPC
//
// It talks to the parent over IPC: it sends `{ type: 'listening', url }` once ready, answers
// `{ type: 'heap' }` with `{ type: 'heap', heapUsed }` measured after a forced GC, and closes the
// server and the store (then exits) on `{ type: 'stop' }` or when the parent goes away. With a
// cache it sends `{ type: 'feed', state }` each time the cache reports its change feed down or up.
import { cachedStore, encryptedStore, type SecretStore } from '@connect-jwt/core';
import type { RunningAddon, StartOptions } from '@connect-jwt/example-shared';
import { PostgresStore } from '@connect-jwt/store-postgres';
import { RedisStore } from '@connect-jwt/store-redis';
import { SqliteStore } from '@connect-jwt/store-sqlite';

const { FRAMEWORK, STORE_KIND, STORE_URL, STORE_NAMESPACE, STORE_TIMEOUT_MS, KEY_SERVER_URL } = process.env;
const { BASE_URL, ENCRYPTION_KEY, CACHE_TTL } = process.env;
const send = (message: unknown) => process.send?.(message);

if (!process.send) throw new Error('addon-process must be started with an IPC channel');
if (typeof globalThis.gc !== 'function') throw new Error('addon-process must be started with --expose-gc');
if (!STORE_URL) throw new Error('STORE_URL is required');

const starters: Record<string, () => Promise<(options: StartOptions) => Promise<RunningAddon>>> = {
  express: async () => (await import('../../../examples/express-addon/src/app.ts')).startAddon,
  koa: async () => (await import('../../../examples/koa-addon/src/app.ts')).startAddon,
  fastify: async () => (await import('../../../examples/fastify-addon/src/app.ts')).startAddon,
};

function openStore(): SecretStore {
  const timeout = STORE_TIMEOUT_MS ? Number(STORE_TIMEOUT_MS) : undefined;
  switch (STORE_KIND) {
    case 'sqlite':
      return new SqliteStore(STORE_URL as string);
    case 'redis':
      return new RedisStore({
        url: STORE_URL,
        ...(STORE_NAMESPACE && { prefix: STORE_NAMESPACE }),
        ...(timeout && { connectTimeout: timeout, commandTimeout: timeout }),
      });
    case 'postgres':
      return new PostgresStore({
        url: STORE_URL,
        ...(STORE_NAMESPACE && { schema: STORE_NAMESPACE }),
        ...(timeout && { connectTimeout: timeout, commandTimeout: timeout }),
      });
    default:
      throw new Error(`unknown STORE_KIND ${STORE_KIND}`);
  }
}

/** The fleet setup: a cache kept coherent by the store's change feed, over encrypted secrets. */
function fleetStore(backend: SecretStore): SecretStore {
  if (!ENCRYPTION_KEY || !CACHE_TTL) return backend;
  return cachedStore(encryptedStore(backend, ENCRYPTION_KEY), {
    ttl: Number(CACHE_TTL),
    onFeedStatus: (status) => send({ type: 'feed', state: status.state }),
  });
}

const start = await starters[FRAMEWORK ?? '']?.();
if (!start) throw new Error(`unknown FRAMEWORK ${FRAMEWORK}`);
const store = fleetStore(openStore());
const addon = await start({
  port: 0,
  host: '127.0.0.1',
  store,
  ...(BASE_URL && { baseUrl: BASE_URL }),
  ...(KEY_SERVER_URL && { keyServerUrl: KEY_SERVER_URL }),
});

function heapAfterGc(): number {
  // Two passes: the first can leave objects whose finalisation frees more on the second.
  globalThis.gc?.();
  globalThis.gc?.();
  return process.memoryUsage().heapUsed;
}

let stopping: Promise<void> | undefined;
function stop(): Promise<void> {
  stopping ??= addon
    .close()
    .then(() => store.close?.())
    .then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  return stopping;
}

process.on('message', (message: { type?: string }) => {
  if (message?.type === 'heap') send({ type: 'heap', heapUsed: heapAfterGc() });
  else if (message?.type === 'stop') void stop();
});
process.once('disconnect', () => void stop());
send({ type: 'listening', url: addon.url, pid: process.pid });
