import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SecretStore } from '@connect-jwt/core';
import { PostgresStore } from '@connect-jwt/store-postgres';
import { RedisStore } from '@connect-jwt/store-redis';
import { SqliteStore } from '@connect-jwt/store-sqlite';
import { afterAll, describe, expect, it } from 'vitest';
import { parseStoreUrl, redactUrl, storeFromUrl } from '../src/index.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const dir = mkdtempSync(join(tmpdir(), 'connect-jwt-store-url-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function roundTrip(store: SecretStore): Promise<void> {
  const clientKey = `from-url-${randomBytes(6).toString('hex')}`;
  try {
    await store.set({ clientKey, sharedSecret: 'secret', baseUrl: 'https://x.atlassian.net' });
    expect(await store.get(clientKey)).toMatchObject({ clientKey, sharedSecret: 'secret' });
    await store.delete(clientKey);
    expect(await store.get(clientKey)).toBeUndefined();
  } finally {
    await store.close?.();
  }
}

describe('parseStoreUrl', () => {
  it('reads the three schemes and forms of sqlite paths', () => {
    expect(parseStoreUrl('sqlite:data/a.sqlite')).toMatchObject({ backend: 'sqlite', filename: 'data/a.sqlite' });
    expect(parseStoreUrl('sqlite:/var/a.sqlite')).toMatchObject({ filename: '/var/a.sqlite' });
    expect(parseStoreUrl('sqlite:///var/my%20a.sqlite')).toMatchObject({ filename: '/var/my a.sqlite' });
    expect(parseStoreUrl('sqlite::memory:')).toMatchObject({ filename: ':memory:' });
    expect(parseStoreUrl('postgresql://u@h/db')).toMatchObject({ backend: 'postgres' });
    expect(parseStoreUrl('rediss://h:6380/2')).toMatchObject({ backend: 'redis' });
    // A Redis Cluster's seed nodes go to RedisStore exactly as written (no WHATWG URL holds two hosts).
    for (const url of ['redis+cluster://10.0.0.1:7000,10.0.0.2:7001', 'rediss+cluster://:pw@a:7000,b:7000/0']) {
      expect(parseStoreUrl(url)).toMatchObject({ backend: 'redis', url });
    }
    expect(parseStoreUrl('redis+cluster://:hunter2@a:7000,b:7000').display).not.toContain('hunter2');
    expect(() => parseStoreUrl('redis+cluster://')).toThrow(TypeError);
  });

  it('never shows a password, and names the accepted schemes', () => {
    expect(parseStoreUrl('postgres://user:hunter2@h/db').display).toBe('postgres://user:***@h/db');
    expect(parseStoreUrl('redis://:hunter2@h:6379/1').display).toBe('redis://:***@h:6379/1');
    expect(redactUrl('postgres://h/db?password=hunter2')).not.toContain('hunter2');
    expect(() => parseStoreUrl('mysql://user:hunter2@h/db')).toThrow(TypeError);
    expect(() => parseStoreUrl('mysql://user:hunter2@h/db')).toThrow(
      /use sqlite:<path>, postgres:\/\/… or redis:\/\/…/,
    );
    expect(() => parseStoreUrl('mysql://user:hunter2@h/db')).not.toThrow(/hunter2/);
    expect(() => parseStoreUrl('sqlite:')).toThrow(/needs a file path/);
  });

  it('takes lower-case schemes only, as the stores do, and says so at parse time', () => {
    for (const url of [
      'REDIS://h:6379/0',
      'Postgres://u@h/db',
      'PostgreSQL://u@h/db',
      'SQLite:a.sqlite',
      'Rediss://h',
    ]) {
      expect(() => parseStoreUrl(url, 'STORE_URL')).toThrow(TypeError);
      expect(() => parseStoreUrl(url, 'STORE_URL')).toThrow(/^STORE_URL: write the URL scheme in lower case/);
    }
    expect(() => parseStoreUrl('REDIS://:hunter2@h:6379/0')).not.toThrow(/hunter2/);
  });
});

describe('storeFromUrl', () => {
  it('opens a SqliteStore on a real file', async () => {
    const store = storeFromUrl(`sqlite:${join(dir, 'installations.sqlite')}`);
    expect(store).toBeInstanceOf(SqliteStore);
    await roundTrip(store);
  });

  it('opens a PostgresStore', async () => {
    const store = storeFromUrl(DATABASE_URL);
    expect(store).toBeInstanceOf(PostgresStore);
    await roundTrip(store);
  });

  it('opens a RedisStore on the database index in the URL', async () => {
    const store = storeFromUrl(`${REDIS_URL.replace(/\/\d*$/, '')}/3`);
    expect(store).toBeInstanceOf(RedisStore);
    await roundTrip(store);
  });

  it('hands a Redis Cluster URL to RedisStore as written', async () => {
    const store = storeFromUrl('redis+cluster://127.0.0.1:7101,127.0.0.1:7102');
    expect(store).toBeInstanceOf(RedisStore);
    await store.close();
  });

  it('refuses a URL of no store, and an upper-case scheme, before opening anything', () => {
    expect(() => storeFromUrl('mysql://h/db')).toThrow(/^storeFromUrl: "mysql:\/\/h\/db" is not a store URL/);
    expect(() => storeFromUrl('REDIS://127.0.0.1:6379/0')).toThrow(/^storeFromUrl: write the URL scheme in lower case/);
  });
});
