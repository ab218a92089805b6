import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encryptedStore } from '@connect-jwt/core';
import { SqliteStore } from '@connect-jwt/store-sqlite';
import { storeFromUrl } from '@connect-jwt/store-url';
import { afterAll, describe, expect, it } from 'vitest';
import { storeCommand } from '../src/re-encrypt.js';

/** Runs the bin's command in-process, collecting what it prints. */
async function runCli(argv: string[], options: { env?: Record<string, string | undefined> } = {}) {
  let stdout = '';
  let stderr = '';
  const code = await storeCommand(argv, {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    env: options.env ?? {},
  });
  return { code, stdout, stderr };
}

const dir = mkdtempSync(join(tmpdir(), 'connect-jwt-re-encrypt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const oldKey = randomBytes(32).toString('hex');
const newKey = randomBytes(32).toString('base64');
const env = { SECRET_KEY: newKey, OLD_KEY: oldKey };

let files = 0;
/** A SQLite store URL holding `count` installations under `key`. */
async function storeWith(key: string, count: number): Promise<string> {
  const url = `sqlite:${join(dir, `store-${++files}.sqlite`)}`;
  const store = encryptedStore(storeFromUrl(url), key);
  for (let i = 0; i < count; i++) {
    await store.set({ clientKey: `site-${i}`, sharedSecret: `shared-secret-${i}`, baseUrl: 'https://x.atlassian.net' });
  }
  await store.close();
  return url;
}

function expectNoSecrets(text: string): void {
  for (const key of [oldKey, newKey]) expect(text).not.toContain(key);
  expect(text).not.toMatch(/shared-secret-/);
}

describe('connect-jwt-store re-encrypt', () => {
  it('dry run, then the rewrite, then nothing left to do; keys from the environment, never printed', async () => {
    const url = await storeWith(oldKey, 3);
    const args = ['re-encrypt', '--store', url, '--previous-key-env', 'OLD_KEY'];
    const dry = await runCli([...args, '--dry-run'], { env });
    expect(dry).toMatchObject({ code: 0, stderr: '' });
    expect(dry.stdout).toMatch(
      /listed 3, would rewrite 3, already under the current key 0,.*\(dry run: nothing written\)/,
    );
    const run = await runCli(args, { env });
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(
      /listed 3, rewrote 3, already under the current key 0, written by the add-on meanwhile 0, unreadable 0/,
    );
    const again = await runCli(args, { env });
    expect(again.stdout).toMatch(/listed 3, rewrote 0, already under the current key 3/);
    for (const result of [dry, run, again]) expectNoSecrets(result.stdout + result.stderr);
    const store = encryptedStore(storeFromUrl(url), newKey);
    expect((await store.get('site-2'))?.sharedSecret).toBe('shared-secret-2');
    await store.close();
  });

  it("rewrites the table the URL names, where the app's store reads it", async () => {
    const filename = join(dir, 'named.sqlite');
    const url = `sqlite:${filename}?table=app_installations`;
    const before = encryptedStore(storeFromUrl(url), oldKey);
    await before.set({ clientKey: 'named-site', sharedSecret: 'shared-secret-n', baseUrl: 'https://x.atlassian.net' });
    await before.close();
    const run = await runCli(['re-encrypt', '--store', url, '--previous-key-env', 'OLD_KEY'], { env });
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(/listed 1, rewrote 1/);
    const app = encryptedStore(new SqliteStore({ filename, table: 'app_installations' }), newKey);
    expect((await app.get('named-site'))?.sharedSecret).toBe('shared-secret-n');
    await app.close();
  });

  it('reads keys from files (text or 32 raw bytes)', async () => {
    const url = await storeWith(oldKey, 2);
    const current = join(dir, 'current.key');
    const previous = join(dir, 'previous.key');
    writeFileSync(current, Buffer.from(newKey, 'base64'));
    writeFileSync(previous, `${oldKey}\n`);
    const run = await runCli(['re-encrypt', '--store', url, '--key-file', current, '--previous-key-file', previous]);
    expect(run).toMatchObject({ code: 0 });
    expect(run.stdout).toMatch(/rewrote 2/);
  });

  it('exits 1 naming the clientKeys no listed key opens', async () => {
    const url = await storeWith(randomBytes(32).toString('hex'), 2);
    const run = await runCli(['re-encrypt', '--store', url, '--previous-key-env', 'OLD_KEY'], { env });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/no listed key opens the secret of: "site-0", "site-1"/);
    expectNoSecrets(run.stdout + run.stderr);
  });

  it('refuses a key on the command line, a missing variable or store, naming what is wrong but not the key', async () => {
    const url = await storeWith(oldKey, 1);
    expect((await runCli(['re-encrypt', '--store', url, '--key', newKey], { env })).code).toBe(2);
    const unset = await runCli(['re-encrypt', '--store', url, '--key-env', 'NOT_SET'], { env });
    expect(unset).toMatchObject({ code: 2 });
    expect(unset.stderr).toMatch(/NOT_SET is not set/);
    expect((await runCli(['re-encrypt'], { env })).stderr).toMatch(/--store URL is required/);
    const same = await runCli(['re-encrypt', '--store', url, '--previous-key-env', 'SECRET_KEY'], { env });
    expect(same).toMatchObject({ code: 2 });
    expect(same.stderr).toMatch(/previousKeys\[0\] is the current key/);
    for (const result of [unset, same]) expectNoSecrets(result.stdout + result.stderr);
  });
});
