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

describe("parseStoreUrl: the store's own query parameters", () => {
  it("takes ?schema=&table= (PostgreSQL), ?table= (SQLite), ?prefix= (Redis) out of the driver's URL", () => {
    expect(parseStoreUrl('postgres://u:pw@h:5433/db?schema=app&table=installs')).toEqual({
      backend: 'postgres',
      url: 'postgres://u:pw@h:5433/db',
      schema: 'app',
      table: 'installs',
      display: 'postgres://u:***@h:5433/db?schema=app&table=installs',
    });
    // pg's own parameters stay where pg reads them, as written.
    expect(parseStoreUrl('postgres://h/db?sslmode=require&table=t&application_name=a%20b')).toMatchObject({
      url: 'postgres://h/db?sslmode=require&application_name=a%20b',
      table: 't',
    });
    expect(parseStoreUrl('sqlite:data/a.sqlite?table=installs')).toEqual({
      backend: 'sqlite',
      filename: 'data/a.sqlite',
      table: 'installs',
      display: 'sqlite:data/a.sqlite?table=installs',
    });
    expect(parseStoreUrl('sqlite:///var/my%20a.sqlite?table=t')).toMatchObject({ filename: '/var/my a.sqlite' });
    expect(parseStoreUrl('redis://h:6379/2?prefix=app%3Ainstall%3A')).toMatchObject({
      url: 'redis://h:6379/2',
      prefix: 'app:install:',
    });
    expect(parseStoreUrl('rediss+cluster://:pw@a:7000,b:7000/0?prefix=p:')).toMatchObject({
      url: 'rediss+cluster://:pw@a:7000,b:7000/0',
      prefix: 'p:',
    });
    // Without the parameters, the URL goes to the driver exactly as written and no name is set.
    expect(parseStoreUrl('postgres://h/db?sslmode=require')).toEqual({
      backend: 'postgres',
      url: 'postgres://h/db?sslmode=require',
      display: 'postgres://h/db?sslmode=require',
    });
  });

  it('refuses a parameter the store does not read, a repeated or an unsafe one, naming what it takes', () => {
    const cases = [
      ['redis://h/0?table=t', /^STORE_URL: a redis store URL takes \?prefix= only, not \?table=/],
      ['redis://h/0?prefix=a&db=1', /takes \?prefix= only, not \?db=/],
      ['redis+cluster://a:7000,b:7000?schema=s', /takes \?prefix= only, not \?schema=/],
      ['sqlite:a.sqlite?schema=s', /a sqlite store URL takes \?table= only, not \?schema=/],
      ['postgres://h/db?prefix=p', /a postgres store URL takes \?schema= and \?table= only, not \?prefix=/],
      ['postgres://h/db?table=a&table=b', /\?table= is given twice/],
      ['postgres://h/db?schema=x%22%3Bdrop', /\?schema= must be an SQL identifier/],
      ['sqlite:a.sqlite?table=', /\?table= must be an SQL identifier/],
      ['redis://h/0?prefix=', /\?prefix= must not be empty/],
      ['redis://h/0?prefix=%E0%A4%A', /malformed %-escape/],
    ] as const;
    for (const [url, message] of cases) {
      expect(() => parseStoreUrl(url, 'STORE_URL'), url).toThrow(TypeError);
      expect(() => parseStoreUrl(url, 'STORE_URL'), url).toThrow(message);
    }
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

  // What storeFromUrl wrote, the store an app builds from options reads: the URL means the same.
  it('opens each store on the schema, table or prefix its URL names', async () => {
    // One schema for every run (a random clientKey keeps runs apart), so none is left behind per run.
    const unique = randomBytes(4).toString('hex');
    const cases: [SecretStore, SecretStore][] = [
      [
        storeFromUrl(`${DATABASE_URL}?schema=store_url_test&table=installs`),
        new PostgresStore({ url: DATABASE_URL, schema: 'store_url_test', table: 'installs' }),
      ],
      [
        storeFromUrl(`sqlite:${join(dir, 'named.sqlite')}?table=installs_${unique}`),
        new SqliteStore({ filename: join(dir, 'named.sqlite'), table: `installs_${unique}` }),
      ],
      [
        storeFromUrl(`${REDIS_URL.replace(/\/\d*$/, '')}/3?prefix=url-${unique}:`),
        new RedisStore({ url: `${REDIS_URL.replace(/\/\d*$/, '')}/3`, prefix: `url-${unique}:` }),
      ],
    ];
    const clientKey = `named-${unique}`;
    for (const [written, reader] of cases) {
      try {
        await written.set({ clientKey, sharedSecret: 'secret', baseUrl: 'https://x.atlassian.net' });
        expect(await reader.get(clientKey)).toMatchObject({ clientKey, sharedSecret: 'secret' });
        await reader.delete(clientKey);
      } finally {
        await written.close?.();
        await reader.close?.();
      }
    }
  });

  it('refuses a URL of no store, and an upper-case scheme, before opening anything', () => {
    expect(() => storeFromUrl('mysql://h/db')).toThrow(/^storeFromUrl: "mysql:\/\/h\/db" is not a store URL/);
    expect(() => storeFromUrl('REDIS://127.0.0.1:6379/0')).toThrow(/^storeFromUrl: write the URL scheme in lower case/);
  });
});
