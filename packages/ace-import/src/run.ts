import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  encryptedStore,
  isConnectJwtError,
  MemoryStore,
  parseStoreUrl,
  type SecretStore,
  StoreUnavailableError,
  storeFromUrl,
} from '@connect-jwt/core';
import { type ImportPlan, planImport } from './plan.js';
import { openAceSource } from './sources/open.js';
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

function sameSqliteFile(from: string, to: string): boolean {
  const source = parseStoreUrl(from, '--from');
  const target = parseStoreUrl(to, '--to');
  if (source.backend === 'sqlite' && target.backend === 'sqlite') {
    return resolve(source.filename) === resolve(target.filename);
  }
  return from === to;
}

async function openTarget(options: ImportAceOptions): Promise<SecretStore> {
  const location = parseStoreUrl(options.to, '--to');
  // Opening a SQLite store creates its file: a dry run against a file that is not there yet
  // compares with nothing instead, and leaves no file behind.
  if (options.dryRun && location.backend === 'sqlite' && !existsSync(location.filename)) return new MemoryStore();
  // The store packages are this package's dependencies: load them from here, whatever the layout.
  const store = await storeFromUrl(options.to, { resolveFrom: import.meta.url });
  return options.encryptionKey === undefined ? store : encryptedStore(store, options.encryptionKey);
}

/**
 * Copies the installations an atlassian-connect-express store holds into a connect-jwt store:
 * read the source (never written), plan against the target, then write the planned records.
 */
export async function importAce(options: ImportAceOptions): Promise<ImportAceReport> {
  if (sameSqliteFile(options.from, options.to)) {
    throw new TypeError('--from and --to name the same store: the ACE store is never written to');
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
