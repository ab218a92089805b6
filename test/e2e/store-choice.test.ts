import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '@connect-jwt/example-shared';
import { PostgresStore } from '@connect-jwt/store-postgres';
import { RedisStore } from '@connect-jwt/store-redis';
import { SqliteStore } from '@connect-jwt/store-sqlite';
import { createFakeProduct } from '@connect-jwt/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { startAddon as startExpressAddon } from '../../examples/express-addon/src/app.js';
import { startAddon as startFastifyAddon } from '../../examples/fastify-addon/src/app.js';
import { startAddon as startKoaAddon } from '../../examples/koa-addon/src/app.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const cleanUps: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanUp of cleanUps.splice(0).reverse()) await cleanUp();
});

// The examples run on whatever store the environment names; each store is driven through an
// install, a signed page load and an uninstall by a different example, over the real server.
const choices = [
  ['SQLite file when no URL is given', {}, SqliteStore, startExpressAddon],
  ['Redis when REDIS_URL is set', { REDIS_URL }, RedisStore, startKoaAddon],
  ['Postgres when DATABASE_URL is set', { DATABASE_URL }, PostgresStore, startFastifyAddon],
] as const;

describe('the examples choose their store from the environment', () => {
  it.each(choices)('%s', async (_label, env, StoreClass, startAddon) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'connect-jwt-store-choice-'));
    cleanUps.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const { store, description } = await openStore({ env, dataDir });
    cleanUps.push(() => store.close?.());
    expect(store).toBeInstanceOf(StoreClass);
    expect(description).toMatch(/SQLite|REDIS_URL|DATABASE_URL/);

    const product = await createFakeProduct();
    cleanUps.push(() => product.close());
    const addon = await startAddon({ port: 0, host: '127.0.0.1', store, keyServerUrl: product.keyServerUrl });
    cleanUps.push(() => addon.close());

    expect((await product.install(addon.baseUrl)).status).toBe(204);
    expect((await store.get(product.clientKey))?.sharedSecret).toBe(product.sharedSecret);
    expect((await product.loadIframe('/hello')).status).toBe(200);
    expect((await product.uninstall()).status).toBe(204);
    expect(await store.get(product.clientKey)).toBeUndefined();
    if (StoreClass === SqliteStore) expect(existsSync(join(dataDir, 'installations.sqlite'))).toBe(true);
  });
});
