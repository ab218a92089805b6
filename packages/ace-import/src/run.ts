import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  encryptedStore,
  isConnectJwtError,
  MemoryStore,
  type SecretStore,
  StoreUnavailableError,
} from '@connect-jwt/core';
import { parseStoreUrl, type StoreLocation } from '@connect-jwt/core/store-kit';
import { type ImportPlan, planImport } from './plan.js';
import { importDriver } from './sources/driver.js';
import { openAceSource } from './sources/open.js';
import { tableCandidates } from './sources/sequelize-layout.js';
import { writePlan } from './write.js';

export interface ImportAceOptions {
  /** The ACE store: `sqlite:<path>`, `postgres://…` or `redis://…`. */
  from: string;
  /**
   * The connect-jwt store: `sqlite:<path>`, `postgres://…` or `redis://…`, with the store's own
   * `?table=` (SQLite), `?schema=&table=` (PostgreSQL) or `?prefix=` (Redis), as storeFromUrl reads them.
   */
  to: string;
  /** ACE's `store.table` setting, for sequelize (SQLite, PostgreSQL) sources. */
  table?: string | undefined;
  /** Plan and report, write nothing. */
  dryRun?: boolean | undefined;
  /** Replace target records that differ from ACE's (default: list them as conflicts). */
  overwrite?: boolean | undefined;
  /** Write through `encryptedStore` with this key (64 hex or 44 base64 characters). */
  encryptionKey?: string | undefined;
  /** Milliseconds to wait for a server before giving up; default 5000. */
  connectTimeout?: number | undefined;
}

export interface ImportAceReport {
  /** Source and target, without passwords. */
  from: string;
  to: string;
  dryRun: boolean;
  plan: ImportPlan;
  /** Records written (0 on a dry run). */
  written: number;
}

/** The target store could not be read or written: the records written before are counted. */
export class ImportTargetError extends StoreUnavailableError {
  override readonly code = 'ERR_STORE_UNAVAILABLE';
}

// Where a store keeps installations unless its URL says otherwise (`?schema=`, `?table=`).
const DEFAULT_SCHEMA = 'public';
const DEFAULT_TABLE = 'connect_jwt_installations';

/** The database a URL names: the file, or host, port and database name (pg's defaults filled in). */
function databaseOf(location: StoreLocation): string {
  if (location.backend === 'sqlite') return `sqlite:${resolve(location.filename)}`;
  const url = new URL(location.url);
  const port = url.port || (location.backend === 'postgres' ? '5432' : '6379');
  // pg connects to the database named after the user when the URL names none; Redis to index 0.
  const name = decodeURIComponent(url.pathname.slice(1)) || (location.backend === 'postgres' ? url.username : '0');
  return `${location.backend}://${url.hostname.toLowerCase()}:${port}/${name}`;
}

/**
 * The table the import would write to, when it is the one ACE's records are read from. One
 * database for both is the common in-place switch and fine: ACE's table (AddonSettings) is not
 * ours. ACE reads its table by bare name, which PostgreSQL finds in the user's own schema or
 * `public` (the default search_path); only our table of that name in such a schema is ACE's.
 * Redis is never refused: ACE's keys (`<clientKey>:clientInfo`, `installation:<id>;`) have
 * shapes that RedisStore's (`<prefix><clientKey>`, `<prefix>by-installation-id:<id>`) take
 * only for clientKeys no product issues, whatever the prefix.
 */
function sameTable(options: ImportAceOptions): string | undefined {
  const source = parseStoreUrl(options.from, '--from');
  const target = parseStoreUrl(options.to, '--to');
  if (source.backend === 'redis' || target.backend !== source.backend) return undefined;
  if (databaseOf(source) !== databaseOf(target)) return undefined;
  const table = target.table ?? DEFAULT_TABLE;
  if (!tableCandidates(options.table).includes(table)) return undefined;
  if (target.backend === 'sqlite') return table;
  const schema = target.schema ?? DEFAULT_SCHEMA;
  const user = decodeURIComponent(new URL(target.url).username);
  return schema === DEFAULT_SCHEMA || schema === user ? `${schema}.${table}` : undefined;
}

/**
 * The connect-jwt store at `location`, from its package: the stores are optional peers, so an import
 * into PostgreSQL loads (and needs) only @connect-jwt/store-postgres. Each import is a literal one,
 * so the build sees the types; the stores do not depend on this package.
 */
async function openStore(location: StoreLocation): Promise<SecretStore> {
  switch (location.backend) {
    case 'sqlite': {
      const { SqliteStore } = await importDriver(
        () => import('@connect-jwt/store-sqlite'),
        '@connect-jwt/store-sqlite',
        location.display,
        `writing to ${location.display}`,
      );
      return new SqliteStore({ filename: location.filename, table: location.table });
    }
    case 'postgres': {
      const { PostgresStore } = await importDriver(
        () => import('@connect-jwt/store-postgres'),
        '@connect-jwt/store-postgres',
        location.display,
        `writing to ${location.display}`,
      );
      return new PostgresStore({ url: location.url, schema: location.schema, table: location.table });
    }
    case 'redis': {
      const { RedisStore } = await importDriver(
        () => import('@connect-jwt/store-redis'),
        '@connect-jwt/store-redis',
        location.display,
        `writing to ${location.display}`,
      );
      return new RedisStore({ url: location.url, prefix: location.prefix });
    }
  }
}

async function openTarget(options: ImportAceOptions): Promise<SecretStore> {
  const location = parseStoreUrl(options.to, '--to');
  // Opening a SQLite store creates its file: a dry run against a file that is not there yet
  // compares with nothing instead, and leaves no file behind.
  if (options.dryRun && location.backend === 'sqlite' && !existsSync(location.filename)) return new MemoryStore();
  const store = await openStore(location);
  return options.encryptionKey === undefined ? store : encryptedStore(store, options.encryptionKey);
}

/**
 * Copies the installations an atlassian-connect-express store holds into a connect-jwt store:
 * read the source (never written), plan against the target, then write the planned records.
 */
export async function importAce(options: ImportAceOptions): Promise<ImportAceReport> {
  const shared = sameTable(options);
  if (shared !== undefined) {
    throw new TypeError(
      `--from and --table name the table connect-jwt writes to (${shared} in the --to database): the ACE store is never written to`,
    );
  }
  const source = openAceSource(options.from, { table: options.table, connectTimeout: options.connectTimeout });
  const targetDisplay = parseStoreUrl(options.to, '--to').display;
  let snapshot: Awaited<ReturnType<typeof source.read>>;
  try {
    snapshot = await source.read();
  } finally {
    await source.close();
  }

  const target = await openTarget(options);
  let written = 0;
  try {
    const plan = await planImport(snapshot, target, { overwrite: options.overwrite ?? false });
    const writer = target;
    const counting = {
      set: async (installation: Parameters<SecretStore['set']>[0]) => {
        await writer.set(installation);
        written++;
      },
    };
    if (!options.dryRun) await writePlan(plan, counting);
    return { from: source.display, to: targetDisplay, dryRun: options.dryRun ?? false, plan, written };
  } catch (cause) {
    if (!isConnectJwtError(cause)) throw cause;
    const { message } = cause as Error;
    const progress = written > 0 ? ` (${written} written before that; the import is idempotent: run it again)` : '';
    throw new ImportTargetError(`the target store at ${targetDisplay} failed: ${message}${progress}`, { cause });
  } finally {
    await target.close?.().catch(() => {});
  }
}
