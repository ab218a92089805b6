// Helpers for the cross-process store tests: real add-on processes (fixtures/express-addon.ts)
// and a load balancer in front of them. Not a test file itself.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { TcpProxy } from '@connect-jwt/store-test-suite';
import pg from 'pg';
import { createClient } from 'redis';

export { createClient, pg };

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Deletes every Redis key under `prefix` (what a test's add-ons wrote there). */
export async function removeRedisKeys(prefix: string): Promise<void> {
  const client = createClient({ url: REDIS_URL });
  await client.connect();
  for await (const keys of client.scanIterator({ MATCH: `${prefix}*` })) if (keys.length) await client.del(keys);
  await client.close();
}

/** Drops a PostgreSQL schema (what a test's add-ons wrote there) and all it holds. */
export async function dropPostgresSchema(schema: string): Promise<void> {
  const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 1 });
  await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await pool.end();
}

const fixture = fileURLToPath(new URL('../fixtures/express-addon.ts', import.meta.url));
const fixtureTsconfig = fileURLToPath(new URL('../fixtures/tsconfig.json', import.meta.url));
const root = fileURLToPath(new URL('../../../', import.meta.url));
export interface AddonProcess {
  child: ChildProcess;
  port: number;
}

const children: ChildProcess[] = [];

/** Stops every add-on process started so far (call it in `afterAll`). */
export async function stopAllAddons(): Promise<void> {
  await Promise.all(children.map(stopChild));
}

/** Closes the process's stdin (it exits on that), then kills it if it has not gone in 5 s. */
export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.stdin?.end();
  });
}

/** Starts fixtures/express-addon.ts under tsx with `env`; resolves once it listens. */
export function startAddon(env: Record<string, string>): Promise<AddonProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
    cwd: root,
    env: { ...process.env, ...env, TSX_TSCONFIG_PATH: fixtureTsconfig },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`add-on process did not start:\n${output}`)), 60_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /LISTENING (\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ child, port: Number(match[1]) });
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`add-on process exited with ${code}:\n${output}`));
    });
  });
}

/** The add-on's one public address, forwarded to whichever instance the test picks (a load balancer). */
export class LoadBalancer {
  #proxy: TcpProxy | undefined;
  constructor(readonly port: number) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async routeTo(addon: AddonProcess): Promise<void> {
    await this.#proxy?.close();
    this.#proxy = new TcpProxy({ targetPort: addon.port, port: this.port });
    await this.#proxy.start();
  }

  async close(): Promise<void> {
    await this.#proxy?.close();
  }
}
