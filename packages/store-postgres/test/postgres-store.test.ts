import { randomBytes, randomUUID } from 'node:crypto';
import { cachedStore, encryptedStore, StoreUnavailableError } from '@connect-jwt/core';
import { SecretDecryptionError } from '@connect-jwt/core/errors';
import { PostgresStore } from '@connect-jwt/store-postgres';
import {
  changeFeedSuite,
  closedPort,
  installationsSuite,
  linkFaultSuite,
  sampleInstallation,
  storeSuite,
  TcpProxy,
  uniqueClientKey,
} from '@connect-jwt/store-test-suite';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';

// A real server: the tests fail (they do not skip) when it is not running.
const url = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const target = new URL(url);
const targetPort = Number(target.port || 5432);
const schema = `connect_jwt_test_${randomBytes(5).toString('hex')}`;
const admin = new pg.Pool({ connectionString: url, max: 2 });

/** The same database reached through `address` (a proxy) instead of the real port. */
function urlThrough(address: string): string {
  const through = new URL(url);
  through.host = address;
  return through.toString();
}

afterAll(async () => {
  await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await admin.end();
});

storeSuite('PostgresStore', () => new PostgresStore({ url, schema }));
storeSuite('cachedStore(encryptedStore(PostgresStore))', () =>
  cachedStore(encryptedStore(new PostgresStore({ url, schema, table: 'encrypted' }), Buffer.alloc(32, 9))),
);
installationsSuite('PostgresStore', () => new PostgresStore({ url, schema, table: 'listed' }), {
  linkFault: {
    targetHost: target.hostname,
    targetPort,
    createStore: (address) =>
      new PostgresStore({
        url: urlThrough(address),
        schema,
        table: 'listed',
        connectTimeout: 500,
        commandTimeout: 1000,
      }),
  },
});
installationsSuite(
  'cachedStore(encryptedStore(PostgresStore))',
  () => cachedStore(encryptedStore(new PostgresStore({ url, schema, table: 'encrypted' }), Buffer.alloc(32, 9))),
  { count: 2000 },
);
linkFaultSuite('PostgresStore', {
  targetHost: target.hostname,
  targetPort,
  createStore: (address, fault) =>
    new PostgresStore({
      url: urlThrough(address),
      schema,
      connectTimeout: 500,
      commandTimeout: fault === 'cut' ? 1000 : 500,
    }),
});

changeFeedSuite('PostgresStore', () => new PostgresStore({ url, schema, table: 'feed' }), {
  linkFault: {
    targetHost: target.hostname,
    targetPort,
    // Only the listener goes through the proxy (listenUrl): the cut is the feed's alone.
    createStore: (address) =>
      new PostgresStore({
        url,
        listenUrl: urlThrough(address),
        schema,
        table: 'feed',
        connectTimeout: 500,
        commandTimeout: 500,
      }),
    halfOpen: true,
  },
});
changeFeedSuite('PostgresStore (a pool passed in lends the listener connection)', () => {
  const pool = new pg.Pool({ connectionString: url, max: 3 });
  const store = new PostgresStore({ client: pool, schema, table: 'feed' });
  const close = store.close.bind(store);
  return Object.assign(store, {
    close: async () => {
      await close();
      await pool.end();
    },
  });
});

describe('PostgresStore', () => {
  it('keeps one row per installation (client_key, jsonb record), whatever the number of upserts', async () => {
    const store = new PostgresStore({ url, schema, table: 'layout' });
    const clientKey = uniqueClientKey('layout');
    await Promise.all(Array.from({ length: 50 }, (_, i) => store.set(sampleInstallation(clientKey, { n: i }))));
    const { rows } = await admin.query(
      `SELECT client_key, installation->>'clientKey' AS key, updated_at FROM "${schema}".layout WHERE client_key = $1`,
      [clientKey],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ client_key: clientKey, key: clientKey });
    await store.close();
  });

  it('creates its table once when many processes start at once on a new schema', async () => {
    const fresh = `${schema}_race`;
    const stores = Array.from({ length: 6 }, () => new PostgresStore({ url, schema: fresh, max: 1 }));
    try {
      // Separate pools, so separate sessions racing like separate processes.
      await Promise.all(stores.map((store, i) => store.set(sampleInstallation(`race-${i}`))));
      const { rows } = await admin.query(`SELECT count(*)::int AS n FROM "${fresh}".connect_jwt_installations`);
      expect(rows[0].n).toBe(6);
    } finally {
      await Promise.all(stores.map((store) => store.close()));
      await admin.query(`DROP SCHEMA IF EXISTS "${fresh}" CASCADE`);
    }
  });

  it('uses a pool it does not own and leaves it open on close()', async () => {
    const pool = new pg.Pool({ connectionString: url, max: 2 });
    const store = new PostgresStore({ client: pool, schema });
    const clientKey = uniqueClientKey('borrowed');
    await store.set(sampleInstallation(clientKey));
    await store.close();
    const { rows } = await pool.query(
      `SELECT count(*)::int AS n FROM "${schema}".connect_jwt_installations WHERE client_key = $1`,
      [clientKey],
    );
    expect(rows[0].n).toBe(1);
    await pool.end();
  });

  it('with migrate: false, a missing table is ERR_STORE_UNAVAILABLE', async () => {
    const store = new PostgresStore({ url, schema, table: 'never_created', migrate: false });
    await expect(store.get('k')).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE', status: 503 });
    await store.close();
  });

  it('a closed port rejects with ERR_STORE_UNAVAILABLE within its connect timeout', async () => {
    const port = await closedPort();
    const store = new PostgresStore({ url: urlThrough(`127.0.0.1:${port}`), schema, connectTimeout: 300 });
    const failure = await store.get('k').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(StoreUnavailableError);
    expect(failure).toMatchObject({ code: 'ERR_STORE_UNAVAILABLE', status: 503 });
    expect((failure as Error).cause).toBeInstanceOf(Error);
    await store.close();
  });

  it('a server that accepts but never answers rejects with ERR_STORE_UNAVAILABLE (no hang)', async () => {
    const proxy = new TcpProxy({ targetHost: target.hostname, targetPort });
    await proxy.start();
    await proxy.blackhole();
    const store = new PostgresStore({ url: urlThrough(proxy.address), schema, connectTimeout: 300 });
    try {
      await expect(store.get('k')).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
    } finally {
      await store.close();
      await proxy.close();
    }
  });

  it('a query that outlives commandTimeout rejects with ERR_STORE_UNAVAILABLE', async () => {
    const store = new PostgresStore({ url, schema, commandTimeout: 200 });
    const clientKey = uniqueClientKey('locked');
    await store.set(sampleInstallation(clientKey));
    // Hold the row lock in another session so the upsert waits on the server.
    const holder = await admin.connect();
    try {
      await holder.query('BEGIN');
      await holder.query(`SELECT 1 FROM "${schema}".connect_jwt_installations WHERE client_key = $1 FOR UPDATE`, [
        clientKey,
      ]);
      await expect(store.set(sampleInstallation(clientKey))).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
    } finally {
      await holder.query('ROLLBACK');
      holder.release();
      await store.close();
    }
  });

  it('rejects bad options at setup with a TypeError naming the option', () => {
    expect(() => new PostgresStore('mysql://x')).toThrow(/options\.url/);
    expect(() => new PostgresStore({ schema: 'a"; DROP' })).toThrow(/options\.schema/);
    expect(() => new PostgresStore({ table: '' })).toThrow(/options\.table/);
    expect(() => new PostgresStore({ connectTimeout: -5 })).toThrow(/options\.connectTimeout/);
    expect(() => new PostgresStore({ commandTimeout: 0 })).toThrow(/options\.commandTimeout/);
    expect(() => new PostgresStore({ max: 0 })).toThrow(/options\.max/);
    expect(() => new PostgresStore({ migrate: 'yes' as never })).toThrow(/options\.migrate/);
    expect(() => new PostgresStore({ client: {} as never })).toThrow(/options\.client/);
    expect(() => new PostgresStore({ max: 2.5 })).toThrow(/options\.max/);
  });

  it('refuses an unknown option (connectionString, the name before url) instead of using the default database', () => {
    const call = () => new PostgresStore({ connectionString: url } as never);
    expect(call).toThrow(TypeError);
    expect(call).toThrow(/unknown option "connectionString"; the options are url, client, schema, table/);
  });
});

// Someone who can write the table but has no key points their own row's (plaintext) installationId
// at the victim's installation: a Forge call for the victim must not resolve to them.
describe('encryptedStore(PostgresStore) against a rewritten installationId', () => {
  it('never answers the lookup with the row whose installationId was rewritten', async () => {
    const table = 'rebound';
    const store = encryptedStore(new PostgresStore({ url, schema, table }), randomBytes(32));
    const victimId = `ari:cloud:ecosystem::installation/${randomUUID()}`;
    const victim = uniqueClientKey('victim');
    const attacker = uniqueClientKey('attacker');
    await store.set(sampleInstallation(victim, { installationId: victimId }));
    await store.set(sampleInstallation(attacker, { installationId: randomUUID() }));
    expect((await store.getByInstallationId?.(victimId))?.clientKey).toBe(victim);
    // Written as the newest row, so the backend's lookup picks it over the victim's.
    await admin.query(
      `UPDATE "${schema}"."${table}" SET installation = jsonb_set(installation, '{installationId}', to_jsonb($1::text)),
       updated_at = now() + interval '1 hour' WHERE client_key = $2`,
      [victimId, attacker],
    );
    const lookup = await store.getByInstallationId?.(victimId).catch((error: unknown) => error);
    expect(lookup).not.toMatchObject({ clientKey: attacker });
    expect(lookup === undefined || lookup instanceof SecretDecryptionError).toBe(true);
    expect((await store.get(victim))?.sharedSecret).toBe(sampleInstallation(victim).sharedSecret);
    await store.close();
  });
});
