// One example add-on in its own process, for the load, fault and fleet suites; started by
// launch.ts (harness.ts's startAddonProcess), which runs it from the sources.
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
// It speaks child.ts's protocol; with a cache it also sends `{ type: 'feed', state }` each time the
// cache reports its change feed down or up.
import { cachedStore, encryptedStore, type SecretStore } from '@connect-jwt/core';
import type { RunningAddon, StartOptions } from '@connect-jwt/example-shared';
import { PostgresStore } from '@connect-jwt/store-postgres';
import { RedisStore } from '@connect-jwt/store-redis';
import { SqliteStore } from '@connect-jwt/store-sqlite';
import { serveParent, tellParent } from './child.ts';

const { FRAMEWORK, STORE_KIND, STORE_URL, STORE_NAMESPACE, STORE_TIMEOUT_MS, KEY_SERVER_URL } = process.env;
const { BASE_URL, ENCRYPTION_KEY, CACHE_TTL } = process.env;
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
    onFeedStatus: (status) => tellParent({ type: 'feed', state: status.state }),
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

serveParent(addon.url, () => addon.close().then(() => store.close?.()));
