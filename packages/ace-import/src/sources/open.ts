import { parseStoreUrl } from '@connect-jwt/core/store-kit';
import { AcePostgresSource } from './postgres.js';
import { AceRedisSource } from './redis.js';
import { AceSqliteSource } from './sqlite.js';
import type { AceSource } from './types.js';

export interface AceSourceOptions {
  /** ACE's `store.table` setting (sequelize stores); default ACE's `AddonSetting` model. */
  table?: string | undefined;
  /** Milliseconds to wait for a server before giving up; default 5000. */
  connectTimeout?: number | undefined;
}

/** The reader for an ACE store URL: `sqlite:<path>`, `postgres://…` or `redis://…`. */
export function openAceSource(url: string, options: AceSourceOptions = {}): AceSource {
  const location = parseStoreUrl(url, '--from');
  // Those parameters name where connect-jwt's stores write; ACE's table is --table's (a model name
  // sequelize pluralises), and ACE's Redis keys have no prefix.
  const named = (['schema', 'table', 'prefix'] as const).find((name) => Object.hasOwn(location, name));
  if (named !== undefined) {
    throw new TypeError(
      `--from: ?${named}= names where a connect-jwt store writes, not ACE's store: pass ACE's store.table setting as --table`,
    );
  }
  const connectTimeout = options.connectTimeout;
  switch (location.backend) {
    case 'sqlite':
      return new AceSqliteSource(location.filename, { table: options.table });
    case 'postgres':
      return new AcePostgresSource(location.url, location.display, { table: options.table, connectTimeout });
    case 'redis':
      if (options.table !== undefined) throw new TypeError('--table applies to sqlite: and postgres:// sources only');
      return new AceRedisSource(location.url, location.display, { connectTimeout });
  }
}
