import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { MissingPackageError, parseStoreUrl, redactUrl, type SecretStore, storeFromUrl } from '../../src/index.js';
import { importOptionalPackage } from '../../src/lib/optional-package.js';

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
    const store = await storeFromUrl(`sqlite:${join(dir, 'installations.sqlite')}`);
    expect(store.constructor.name).toBe('SqliteStore');
    await roundTrip(store);
  });

  it('opens a PostgresStore', async () => {
    const store = await storeFromUrl(DATABASE_URL);
    expect(store.constructor.name).toBe('PostgresStore');
    await roundTrip(store);
  });

  it('opens a RedisStore on the database index in the URL', async () => {
    const store = await storeFromUrl(`${REDIS_URL.replace(/\/\d*$/, '')}/3`);
    expect(store.constructor.name).toBe('RedisStore');
    await roundTrip(store);
  });
});

describe('a store package that is not installed', () => {
  it('is a MissingPackageError naming the package to install', async () => {
    const error = await importOptionalPackage('@connect-jwt/store-nowhere', 'the store URL x:', [dir]).catch((e) => e);
    expect(error).toBeInstanceOf(MissingPackageError);
    expect(error).toMatchObject({ code: 'ERR_PACKAGE_MISSING', packageName: '@connect-jwt/store-nowhere' });
    expect(error.message).toBe(
      'the store URL x: needs the package @connect-jwt/store-nowhere: install it (npm install @connect-jwt/store-nowhere)',
    );
  });

  // An application with only core installed (core's built output, as npm would lay it out), outside
  // the repository and the test runner's aliases: the store package is not found, then it is,
  // through resolveFrom, from a project that has it.
  it('says so from a real process, and loads it from resolveFrom when that project has it', () => {
    const app = join(dir, 'app');
    const installed = join(app, 'node_modules/@connect-jwt/core');
    const coreDir = fileURLToPath(new URL('../../', import.meta.url));
    cpSync(join(coreDir, 'dist'), join(installed, 'dist'), { recursive: true });
    cpSync(join(coreDir, 'package.json'), join(installed, 'package.json'));
    symlinkSync(realpathSync(join(coreDir, 'node_modules/jose')), join(app, 'node_modules/jose'));
    const examples = fileURLToPath(new URL('../../../../examples/shared/', import.meta.url));
    const script = `
      import { storeFromUrl } from '@connect-jwt/core';
      const from = process.argv[1] === '-' ? undefined : process.argv[1];
      try {
        const store = await storeFromUrl('redis://127.0.0.1:1/0', { resolveFrom: from });
        console.log('loaded', store.constructor.name);
      } catch (error) { console.log(error.code, error.message); }`;
    const run = (from: string) =>
      spawnSync(process.execPath, ['--input-type=module', '-e', script, from], {
        cwd: app,
        // pnpm's script runner sets NODE_PATH to its hidden hoisting directory, where every package is.
        env: { ...process.env, NODE_PATH: '' },
        encoding: 'utf8',
        timeout: 60_000,
      });
    const missing = run('-');
    expect(missing.stdout.trim(), missing.stderr).toBe(
      'ERR_PACKAGE_MISSING the store URL redis://127.0.0.1:1/0 needs the package @connect-jwt/store-redis: install it (npm install @connect-jwt/store-redis)',
    );
    const loaded = run(examples);
    expect(loaded.stdout.trim(), loaded.stderr).toBe('loaded RedisStore');
  });
});
