import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { redactUrl, type SecretStore, storeFromUrl } from '@connect-jwt/core';

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
  // This package depends on every store package, so they load from here whatever the layout.
  const open = (url: string) => storeFromUrl(url, { resolveFrom: import.meta.url });
  for (const name of ['STORE_URL', 'REDIS_URL', 'DATABASE_URL']) {
    const url = env[name];
    if (url) return { store: await open(url), description: `${redactUrl(url)} (${name})` };
  }
  const dataDir = choice.dataDir ?? 'data';
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, 'installations.sqlite');
  return { store: await open(`sqlite:${file}`), description: `SQLite (${file})` };
}
