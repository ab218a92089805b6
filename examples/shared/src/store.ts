import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { SecretStore } from '@connect-jwt/core';
import { PostgresStore } from '@connect-jwt/store-postgres';
import { RedisStore } from '@connect-jwt/store-redis';
import { SqliteStore } from '@connect-jwt/store-sqlite';

export interface StoreChoice {
  /** `REDIS_URL` wins, then `DATABASE_URL` (Postgres). */
  env?: Record<string, string | undefined>;
  /** Where the SQLite file goes when no server URL is given; default `./data`. */
  dataDir?: string;
}

/**
 * The store an example runs on: Redis or Postgres when a URL says so (several add-on instances
 * share it), otherwise a SQLite file, which survives restarts on one machine with no server.
 */
export function openStore(choice: StoreChoice = {}): { store: SecretStore; description: string } {
  const env = choice.env ?? process.env;
  if (env.REDIS_URL) return { store: new RedisStore(env.REDIS_URL), description: 'Redis (REDIS_URL)' };
  if (env.DATABASE_URL) return { store: new PostgresStore(env.DATABASE_URL), description: 'Postgres (DATABASE_URL)' };
  const dataDir = choice.dataDir ?? 'data';
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, 'installations.sqlite');
  return { store: new SqliteStore(file), description: `SQLite (${file})` };
}
