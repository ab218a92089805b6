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
  /** The connect-jwt store: `sqlite:<path>`, `postgres://…` or `redis://…`. */
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

// The table a store opened from a URL keeps installations in (SqliteStore's and PostgresStore's default).
const TARGET_TABLE = 'connect_jwt_installations';

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
 * Whether ACE's records and ours would be the same table. One database for both is the common
 * in-place switch and fine: ACE's table (AddonSettings) is not ours, and ACE's Redis keys
 * (`<clientKey>:clientInfo`) never meet RedisStore's (`connect-jwt:installation:…`). Only a
 * `--table` naming our own table in the same database reads what the import writes.
 */
function sameTable(options: ImportAceOptions): boolean {
  const source = parseStoreUrl(options.from, '--from');
  const target = parseStoreUrl(options.to, '--to');
  if (source.backend !== target.backend || source.backend === 'redis') return false;
  if (databaseOf(source) !== databaseOf(target)) return false;
  return tableCandidates(options.table).includes(TARGET_TABLE);
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
      return new SqliteStore(location.filename);
    }
    case 'postgres': {
      const { PostgresStore } = await importDriver(
        () => import('@connect-jwt/store-postgres'),
        '@connect-jwt/store-postgres',
        location.display,
        `writing to ${location.display}`,
      );
      return new PostgresStore(location.url);
    }
    case 'redis': {
      const { RedisStore } = await importDriver(
        () => import('@connect-jwt/store-redis'),
        '@connect-jwt/store-redis',
        location.display,
        `writing to ${location.display}`,
      );
      return new RedisStore(location.url);
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
  if (sameTable(options)) {
    throw new TypeError(
      `--from and --table name the table connect-jwt writes to (${TARGET_TABLE} in the --to database): the ACE store is never written to`,
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
