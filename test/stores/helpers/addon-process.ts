// Helpers for the cross-process store tests: real add-on processes (test/support/addon-process's
// stores-addon.ts, through the one launcher) and a load balancer in front of them. Not a test file itself.
import { TcpProxy } from '@connect-jwt/store-test-suite';
import pg from 'pg';
import { createClient } from 'redis';
import { type AddonProcess, launchAddonProcess, stopAllAddonProcesses } from '../../support/addon-process/launch.ts';

export type { AddonProcess };
/** Stops every add-on process started so far (call it in `afterAll`). */
export const stopAllAddons = stopAllAddonProcesses;

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

/** Starts stores-addon.ts with `env`; resolves once it listens. */
export function startAddon(env: Record<string, string>): Promise<AddonProcess> {
  return launchAddonProcess('stores-addon', env, 'stores add-on');
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
