import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { SecretStore } from '@connect-jwt/core';
import { redactUrl, storeFromUrl } from '@connect-jwt/store-url';

export interface StoreChoice {
  /** `STORE_URL` wins, then `REDIS_URL`, then `DATABASE_URL` (Postgres). */
  env?: Record<string, string | undefined>;
  /** Where the SQLite file goes when no server URL is given; default `./data`. */
  dataDir?: string;
}

/**
 * The store an example runs on: the one a URL names (several add-on instances share a Redis or
 * Postgres server), otherwise a SQLite file, which survives restarts on one machine with no server.
 */
export async function openStore(choice: StoreChoice = {}): Promise<{ store: SecretStore; description: string }> {
  const env = choice.env ?? process.env;
  for (const name of ['STORE_URL', 'REDIS_URL', 'DATABASE_URL']) {
    const url = env[name];
    if (url) return { store: storeFromUrl(url), description: `${redactUrl(url)} (${name})` };
  }
  const dataDir = choice.dataDir ?? 'data';
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, 'installations.sqlite');
  return { store: storeFromUrl(`sqlite:${file}`), description: `SQLite (${file})` };
}
