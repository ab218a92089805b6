import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StoreChange } from '@connect-jwt/core';
import { SqliteStore } from '@connect-jwt/store-sqlite';
import { uniqueClientKey, uniqueInstallationId } from '@connect-jwt/store-test-suite';
import { afterAll, describe, expect, it } from 'vitest';

const directory = mkdtempSync(join(tmpdir(), 'connect-jwt-feed-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
const root = fileURLToPath(new URL('../../', import.meta.url));
const writer = fileURLToPath(new URL('./fixtures/sqlite-writer.ts', import.meta.url));
const tsconfig = fileURLToPath(new URL('./fixtures/tsconfig.json', import.meta.url));

describe('SqliteStore change feed across processes on one file', () => {
  it("another process's set and delete reach this process's listener within 1 s, installationId carried", async () => {
    const file = join(directory, 'shared.sqlite');
    const store = new SqliteStore(file);
    const heard: { change: StoreChange; at: number }[] = [];
    const unsubscribe = await store.watch({
      change: (change) => heard.push({ change, at: Date.now() }),
      up: () => {},
      down: () => {},
    });
    const child = spawn(process.execPath, ['--import', 'tsx', writer], {
      cwd: root,
      env: { ...process.env, SQLITE_FILE: file, TSX_TSCONFIG_PATH: tsconfig },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    /** Sends one command; resolves when the other process has written it. */
    const write = async (line: string) => {
      child.stdin.write(`${line}\n`);
      for (let i = 0; !output.includes(`done ${line}\n`); i++) {
        if (child.exitCode !== null || i > 1200) throw new Error(`the writer process did not write: ${output}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return Date.now();
    };
    /**
     * The change for clientKey heard after the first `skip`, within 1 s of the other process
     * having written it (the bound a fleet relies on: a correctness bound, not a speed claim).
     */
    const heardWithinBound = async (clientKey: string, skip: number, since: number) => {
      for (;;) {
        const found = heard.slice(skip).find((entry) => entry.change.clientKey === clientKey);
        if (found) return found.change;
        if (Date.now() - since > 1000) throw new Error(`no change for ${clientKey} within 1 s`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    };
    try {
      const clientKey = uniqueClientKey('other-process');
      const installationId = uniqueInstallationId();
      let skip = heard.length;
      let since = await write(`set ${clientKey} ${installationId}`);
      expect(await heardWithinBound(clientKey, skip, since)).toEqual({ clientKey, installationId });
      expect((await store.get(clientKey))?.sharedSecret).toBe('from-another-process');
      skip = heard.length;
      since = await write(`delete ${clientKey}`);
      expect(await heardWithinBound(clientKey, skip, since)).toEqual({ clientKey, installationId });
      expect(heard.filter((entry) => entry.change.clientKey === clientKey)).toHaveLength(2);
    } finally {
      child.stdin.end();
      await new Promise((resolve) => child.once('exit', resolve));
      await unsubscribe();
      await store.close();
    }
  }, 90_000);
});
