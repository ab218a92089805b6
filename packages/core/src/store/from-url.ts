import { importOptionalPackage } from '../lib/optional-package.js';
import type { SecretStore } from './types.js';
import { parseStoreUrl, type StoreLocation } from './url.js';

export interface StoreFromUrlOptions {
  /**
   * Where else to look for the store package (directories or module URLs, e.g. your own
   * `import.meta.url`) when core cannot see it; default: the working directory.
   */
  resolveFrom?: string | URL | readonly (string | URL)[];
}

type StoreClass = new (options: string) => SecretStore;

// One package per backend; each takes its URL (or, for SQLite, the file name) as a string.
const PACKAGES: Record<StoreLocation['backend'], { name: string; exportName: string }> = {
  sqlite: { name: '@connect-jwt/store-sqlite', exportName: 'SqliteStore' },
  postgres: { name: '@connect-jwt/store-postgres', exportName: 'PostgresStore' },
  redis: { name: '@connect-jwt/store-redis', exportName: 'RedisStore' },
};

/**
 * The store a URL names (`sqlite:<path>`, `postgres://…`, `redis://…`), from the store package for
 * its scheme, which is loaded only when needed: core does not depend on any database driver. A
 * package that is not installed is a MissingPackageError naming it. The store connects (or opens
 * its file) on first use.
 */
export async function storeFromUrl(url: string, options: StoreFromUrlOptions = {}): Promise<SecretStore> {
  const location = parseStoreUrl(url);
  const { name, exportName } = PACKAGES[location.backend];
  const resolveFrom = options.resolveFrom ?? process.cwd();
  const bases = typeof resolveFrom === 'string' || resolveFrom instanceof URL ? [resolveFrom] : resolveFrom;
  const module = await importOptionalPackage(name, `the store URL ${location.display}`, bases);
  const Store = module[exportName] as StoreClass | undefined;
  if (typeof Store !== 'function') throw new TypeError(`storeFromUrl: ${name} does not export ${exportName}`);
  return new Store(location.backend === 'sqlite' ? location.filename : location.url);
}
