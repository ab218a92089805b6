import { parseStoreUrl } from '@connect-jwt/core/store-kit';
import { PostgresStore } from '@connect-jwt/store-postgres';
import { RedisStore } from '@connect-jwt/store-redis';
import { SqliteStore } from '@connect-jwt/store-sqlite';

/**
 * The store a URL names, for an application that picks its store in configuration:
 * `sqlite:<path>` a SqliteStore, `postgres://…` a PostgresStore, `redis://…` (or a Redis
 * Cluster's `redis+cluster://host:port,host:port`) a RedisStore. The store's own query parameters
 * name where it keeps installations: `?table=` (SQLite), `?schema=&table=` (PostgreSQL),
 * `?prefix=` (Redis); the rest of the URL goes to the driver as written. The store connects (or
 * opens its file) on first use. A URL of no store is a TypeError.
 */
export function storeFromUrl(url: string): SqliteStore | PostgresStore | RedisStore {
  const location = parseStoreUrl(url, 'storeFromUrl');
  switch (location.backend) {
    case 'sqlite':
      return new SqliteStore({ filename: location.filename, table: location.table });
    case 'postgres':
      return new PostgresStore({ url: location.url, schema: location.schema, table: location.table });
    case 'redis':
      return new RedisStore({ url: location.url, prefix: location.prefix });
  }
}
