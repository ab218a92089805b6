import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createJwt, encryptedStore, type Installation, verifyRequest } from '@connect-jwt/core';
import { SecretDecryptionError } from '@connect-jwt/core/errors';
import { SqliteStore } from '@connect-jwt/store-sqlite';
import { changeFeedSuite, installationsSuite, sampleInstallation, storeSuite } from '@connect-jwt/store-test-suite';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';

const directory = mkdtempSync(join(tmpdir(), 'connect-jwt-sqlite-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

const file = join(directory, 'suite.sqlite');
storeSuite('SqliteStore (file)', () => new SqliteStore(file));
storeSuite('SqliteStore (:memory:)', () => new SqliteStore(':memory:'), { sharedStorage: false });
// Two instances on one real file: two connections, as two processes would have.
changeFeedSuite('SqliteStore (file)', () => new SqliteStore(join(directory, 'feed.sqlite')));
installationsSuite('SqliteStore (file)', () => new SqliteStore(join(directory, 'listed.sqlite')));

describe('SqliteStore', () => {
  it('persists across a close and a reopen of the file, in WAL mode', async () => {
    const path = join(directory, 'persist.sqlite');
    const first = new SqliteStore({ filename: path });
    const installation = sampleInstallation('persisted');
    await first.set(installation);
    await first.close();
    const reopened = new SqliteStore(path);
    expect(await reopened.get('persisted')).toEqual(installation);
    await reopened.close();
    const raw = new Database(path, { readonly: true });
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(raw.prepare('SELECT count(*) AS n FROM connect_jwt_installations').get()).toEqual({ n: 1 });
    raw.close();
  });

  it('keeps one row per clientKey after many upserts', async () => {
    const path = join(directory, 'upsert.sqlite');
    const store = new SqliteStore({ filename: path, table: 'installs' });
    await Promise.all(Array.from({ length: 50 }, (_, i) => store.set(sampleInstallation('one', { n: i }))));
    await store.close();
    const raw = new Database(path, { readonly: true });
    expect(raw.prepare('SELECT count(*) AS n FROM installs').get()).toEqual({ n: 1 });
    raw.close();
  });

  it('uses a database it does not own and leaves it open on close()', async () => {
    const database = new Database(':memory:');
    const store = new SqliteStore({ client: database });
    await store.set(sampleInstallation('borrowed'));
    await store.close();
    expect(database.open).toBe(true);
    expect(database.prepare('SELECT client_key FROM connect_jwt_installations').all()).toEqual([
      { client_key: 'borrowed' },
    ]);
    database.close();
  });

  it('a file that cannot be opened is ERR_STORE_UNAVAILABLE at use, not a crash at setup', async () => {
    const store = new SqliteStore(join(directory, 'missing-dir', 'x.sqlite'));
    const failure = await store.get('k').catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 'ERR_STORE_UNAVAILABLE', status: 503 });
    expect((failure as Error).cause).toBeInstanceOf(Error);
  });

  it('a file that is not a database is ERR_STORE_UNAVAILABLE', async () => {
    const path = join(directory, 'garbage.sqlite');
    writeFileSync(path, 'this is not a sqlite database, just some text that is long enough'.repeat(100));
    const store = new SqliteStore(path);
    await expect(store.set(sampleInstallation('k'))).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
    await store.close();
  });

  it('a corrupted record is ERR_STORE_UNAVAILABLE, not a crash', async () => {
    const database = new Database(':memory:');
    const store = new SqliteStore({ client: database });
    await store.set(sampleInstallation('k'));
    database.prepare("UPDATE connect_jwt_installations SET installation = '{not json'").run();
    await expect(store.get('k')).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
    database.close();
  });

  it('rejects bad options at setup with a TypeError naming the option', () => {
    expect(() => new SqliteStore({ table: 'x; DROP TABLE y' })).toThrow(/options\.table/);
    expect(() => new SqliteStore({ filename: '' })).toThrow(/options\.filename/);
    expect(() => new SqliteStore({ busyTimeout: -1 })).toThrow(/options\.busyTimeout/);
    expect(() => new SqliteStore({ client: {} as Database.Database })).toThrow(/options\.client/);
    expect(() => new SqliteStore({ busyTimeout: 1.5 })).toThrow(/options\.busyTimeout/);
  });

  it('refuses an unknown option (database) instead of opening connect-jwt.sqlite', () => {
    const call = () => new SqliteStore({ database: join(directory, 'meant.sqlite') } as never);
    expect(call).toThrow(TypeError);
    expect(call).toThrow(
      'SqliteStore: unknown option "database"; the options are filename, client, table, busyTimeout',
    );
  });
});

describe('SqliteStore.replace', () => {
  it('takes a row another tool spaced differently as the one expected, and refuses a different one', async () => {
    const path = join(directory, 'spaced.sqlite');
    const store = new SqliteStore(path);
    const written = sampleInstallation('spaced', { nested: { list: [1, 'two', null] } });
    await store.set(sampleInstallation('spaced'));
    const raw = new Database(path);
    raw
      .prepare('UPDATE connect_jwt_installations SET installation = ? WHERE client_key = ?')
      .run(JSON.stringify(written, null, 2), 'spaced');
    raw.close();
    const expected = (await store.get('spaced')) as Installation;
    expect(await store.replace({ ...expected, extra: 'x' }, written)).toBe(false);
    const next = sampleInstallation('spaced', { sharedSecret: 'rewritten' });
    expect(await store.replace(expected, next)).toBe(true);
    expect(await store.get('spaced')).toEqual(next);
    await store.close();
  });
});

// Someone who can write the table but has no encryption key copies their own row onto the
// victim's clientKey: they must not then be accepted as the victim.
describe('encryptedStore(SqliteStore) against a copied row', () => {
  const key = randomBytes(32);
  const victim = sampleInstallation('victim', { sharedSecret: 'the-victims-shared-secret-0000000000' });
  const attacker = sampleInstallation('attacker', { sharedSecret: 'the-attackers-own-shared-secret-0000' });

  async function copiedOnto(path: string) {
    const store = encryptedStore(new SqliteStore(path), key);
    await store.set(victim);
    await store.set(attacker);
    const raw = new Database(path);
    const row = raw.prepare('SELECT installation FROM connect_jwt_installations WHERE client_key = ?').get('attacker');
    raw
      .prepare('UPDATE connect_jwt_installations SET installation = ? WHERE client_key = ?')
      .run((row as { installation: string }).installation, 'victim');
    raw.close();
    return store;
  }

  it('does not decrypt a ciphertext under another key than the one it was written for', async () => {
    const store = await copiedOnto(join(directory, 'copied.sqlite'));
    await expect(store.get('victim')).rejects.toBeInstanceOf(SecretDecryptionError);
    expect((await store.get('attacker'))?.sharedSecret).toBe(attacker.sharedSecret);
    await store.close();
  });

  it("refuses a token for the victim signed with the attacker's secret", async () => {
    const store = await copiedOnto(join(directory, 'copied-verify.sqlite'));
    const token = await createJwt('victim', attacker.sharedSecret, { uri: '/data' });
    const request = { method: 'GET', url: '/data', headers: { authorization: `JWT ${token}` } };
    // A 503 (tampering the operator must see), never the victim's identity.
    await expect(verifyRequest(request, { store })).rejects.toBeInstanceOf(SecretDecryptionError);
    await store.close();
  });

  it('with requireEncryption, refuses a plaintext row (one planted, or left over after a migration)', async () => {
    const path = join(directory, 'plaintext.sqlite');
    const plain = new SqliteStore(path);
    await plain.set(victim);
    await plain.close();
    const lenient = encryptedStore(new SqliteStore(path), key);
    expect((await lenient.get('victim'))?.sharedSecret).toBe(victim.sharedSecret);
    await lenient.close();
    const strict = encryptedStore(new SqliteStore(path), key, { requireEncryption: true });
    await expect(strict.get('victim')).rejects.toBeInstanceOf(SecretDecryptionError);
    await strict.set(victim);
    expect((await strict.get('victim'))?.sharedSecret).toBe(victim.sharedSecret);
    await strict.close();
  });
});

// Someone who can write the table but has no key points their own row's (plaintext) installationId
// at the victim's installation: a Forge call for the victim must not resolve to them.
describe('encryptedStore(SqliteStore) against a rewritten installationId', () => {
  it('never answers the lookup with the row whose installationId was rewritten', async () => {
    const path = join(directory, 'rebound.sqlite');
    const key = randomBytes(32);
    const victimId = 'ari:cloud:ecosystem::installation/6a1c0e8e-2b1f-4c59-9c2d-0d5b0e4f7a11';
    const store = encryptedStore(new SqliteStore(path), key);
    await store.set(sampleInstallation('victim', { installationId: victimId }));
    await store.set(sampleInstallation('attacker', { installationId: '0b8f3c1d-7e2a-4f6b-8c9d-1e2f3a4b5c6d' }));
    expect((await store.getByInstallationId?.(victimId))?.clientKey).toBe('victim');
    const raw = new Database(path);
    const row = raw.prepare('SELECT installation FROM connect_jwt_installations WHERE client_key = ?').get('attacker');
    const rebound = { ...JSON.parse((row as { installation: string }).installation), installationId: victimId };
    // Written as the newest row, so the backend's lookup picks it over the victim's.
    raw
      .prepare('UPDATE connect_jwt_installations SET installation = ?, updated_at = ? WHERE client_key = ?')
      .run(JSON.stringify(rebound), Date.now() + 60_000, 'attacker');
    raw.close();
    const lookup = await store.getByInstallationId?.(victimId).catch((error: unknown) => error);
    expect(lookup).not.toMatchObject({ clientKey: 'attacker' });
    expect(lookup === undefined || lookup instanceof SecretDecryptionError).toBe(true);
    expect((await store.get('victim'))?.sharedSecret).toBe(sampleInstallation('victim').sharedSecret);
    await store.close();
  });
});
