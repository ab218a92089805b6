import type { Installation, SecretStore, StoreChange, StoreChangeListener } from '@connect-jwt/core';
import {
  assertInstallation,
  assertRememberArguments,
  assertRememberKey,
  assertReplaceArguments,
  ChangeFeed,
  type FeedLink,
  identifierOption,
  installationIdSpellings,
  numberOption,
  StoreGate,
  StoreUnavailableError,
  storeFailure,
  storeOptions,
} from '@connect-jwt/core/store-kit';
import Database from 'better-sqlite3';

type Db = Database.Database;

export interface SqliteStoreOptions {
  /** Database file, created if missing; `:memory:` for a throw-away database. Default `connect-jwt.sqlite`. */
  filename?: string;
  /** An open better-sqlite3 database the caller owns: `close()` leaves it open. */
  client?: Db;
  /** Table name (letters, digits, `_`); default `connect_jwt_installations`. */
  table?: string;
  /** How long (ms) a write waits for another process's lock before failing; default 2000. */
  busyTimeout?: number;
  /** How often (ms) `watch()` looks for writes by any process sharing the file; default 100. */
  pollInterval?: number;
}

const DEFAULT_FILENAME = 'connect-jwt.sqlite';
const DEFAULT_TABLE = 'connect_jwt_installations';
const OWNER = 'SqliteStore';
const OPTIONS = {
  fromString: 'filename',
  known: { filename: true, client: true, table: true, busyTimeout: true, pollInterval: true },
} as const;
/** Rows per page of installations(). */
const PAGE_SIZE = 500;
// The same expression in the index and the query, so SQLite uses the index.
const INSTALLATION_ID = "(CASE WHEN json_valid(installation) THEN json_extract(installation, '$.installationId') END)";

interface Statements {
  get: Database.Statement<[string], { installation: string }>;
  byInstallationId: Database.Statement<[string, string, string], { installation: string }>;
  upsert: Database.Statement<[string, string, number]>;
  replace: Database.Statement<[{ next: string; now: number; clientKey: string; expected: string }]>;
  delete: Database.Statement<[string]>;
  firstPage: Database.Statement<[], { client_key: string; installation: string }>;
  nextPage: Database.Statement<[string], { client_key: string; installation: string }>;
  remember: Database.Statement<[string, string, number, number], { value: string }>;
  remembered: Database.Statement<[string, number], { value: string }>;
  replaceRemembered: Database.Statement<[string, string, number]>;
  forget: Database.Statement<[string]>;
  sweep: Database.Statement<[number]>;
  lastChange: Database.Statement<[], { last: number | null; first: number | null }>;
  changesSince: Database.Statement<[number], ChangeRow>;
}

interface ChangeRow {
  seq: number;
  client_key: string;
  installation_id: string | null;
}

// Rows kept in the changes table: a watcher that falls further behind than this (a process
// paused for a long time) sees the gap and resubscribes, which makes its cache start afresh.
const CHANGES_KEPT = 1000;

/**
 * Installations in a SQLite file (WAL mode): the embedded, persistent store for an add-on on one
 * machine, shared by every process that opens the same file. One row per installation, the record
 * as JSON. better-sqlite3 is synchronous: each call runs to completion inside the async method.
 */
export class SqliteStore implements SecretStore {
  readonly filename: string;
  readonly table: string;
  readonly #busyTimeout: number;
  readonly #ownsDatabase: boolean;
  #database: Db | undefined;
  #statements: Statements | undefined;
  readonly #gate = new StoreGate('the SQLite store');
  #rememberCalls = 0;
  readonly #pollInterval: number;
  #feed: ChangeFeed | undefined;

  constructor(options: string | SqliteStoreOptions = {}) {
    const settings = storeOptions<SqliteStoreOptions>(OWNER, options, OPTIONS);
    if (settings.filename !== undefined && (typeof settings.filename !== 'string' || settings.filename === '')) {
      throw new TypeError('SqliteStore: options.filename must be a non-empty string');
    }
    if (settings.client !== undefined && typeof settings.client?.prepare !== 'function') {
      throw new TypeError('SqliteStore: options.client must be a better-sqlite3 Database');
    }
    this.table = identifierOption(OWNER, 'table', settings.table, DEFAULT_TABLE);
    // better-sqlite3 takes whole milliseconds; 0 fails at once on a lock.
    this.#busyTimeout = numberOption(OWNER, 'busyTimeout', settings.busyTimeout, 2000, {
      min: 0,
      integer: true,
      unit: 'milliseconds',
    });
    this.#pollInterval = numberOption(OWNER, 'pollInterval', settings.pollInterval, 100, {
      min: 1,
      unit: 'milliseconds',
    });
    this.#database = settings.client;
    this.#ownsDatabase = settings.client === undefined;
    this.filename = settings.client?.name ?? settings.filename ?? DEFAULT_FILENAME;
  }

  async get(clientKey: string): Promise<Installation | undefined> {
    const row = this.#run('read', (statements) => statements.get.get(clientKey));
    return row === undefined ? undefined : parseRecord(row.installation);
  }

  /** The record whose `installationId` is this one (ARI or bare uuid); the latest written wins. */
  async getByInstallationId(installationId: string): Promise<Installation | undefined> {
    const spellings = installationIdSpellings(String(installationId));
    const [a = '', b = a, c = a] = spellings;
    const row = this.#run('read', (statements) => statements.byInstallationId.get(a, b, c));
    return row === undefined ? undefined : parseRecord(row.installation);
  }

  async set(installation: Installation): Promise<void> {
    assertInstallation(installation);
    const json = JSON.stringify(installation);
    this.#run('write', (statements) => statements.upsert.run(installation.clientKey, json, Date.now()));
  }

  /**
   * One UPDATE that writes only over the record stored as `expected` (its JSON text as `set` wrote
   * it, or the same once minified, for a row another tool wrote): one statement, so atomic whichever process holds the file, and recorded for the
   * change feed by the same trigger as any update.
   */
  async replace(expected: Installation, next: Installation): Promise<boolean> {
    assertReplaceArguments(expected, next);
    const json = JSON.stringify(next);
    const { changes } = this.#run('write', (statements) =>
      statements.replace.run({
        next: json,
        now: Date.now(),
        clientKey: next.clientKey,
        expected: JSON.stringify(expected),
      }),
    );
    return changes === 1;
  }

  /**
   * Keyset pages in `client_key` order (never OFFSET): a row written or deleted meanwhile can
   * neither repeat another nor hide it, and no read holds the file between pages.
   */
  async *installations(): AsyncIterable<Installation> {
    let after: string | undefined;
    for (;;) {
      const rows = this.#run('read', (statements) =>
        after === undefined ? statements.firstPage.all() : statements.nextPage.all(after),
      );
      for (const row of rows) yield { ...parseRecord(row.installation), clientKey: row.client_key };
      if (rows.length < PAGE_SIZE) return;
      after = rows[rows.length - 1]?.client_key;
    }
  }

  async delete(clientKey: string): Promise<void> {
    this.#run('delete', (statements) => statements.delete.run(clientKey));
  }

  /**
   * One upsert that takes the key only when it is free or expired (atomic: SQLite writes one
   * statement at a time, whichever process holds the file), then the value that won. Rows live in
   * `<table>_remembered`; expired ones are swept now and then.
   */
  async rememberOnce(key: string, value: string, ttlMs: number): Promise<string> {
    assertRememberArguments(key, value, ttlMs);
    return this.#run('remember', (statements) => {
      const now = Date.now();
      this.#sweepNowAndThen(statements, now);
      const stored = statements.remember.get(key, value, now + Math.ceil(ttlMs), now);
      if (stored !== undefined) return stored.value;
      const held = statements.remembered.get(key, now);
      if (held === undefined) throw new Error('a remembered value is neither set nor readable');
      return held.value;
    });
  }

  /** An upsert into `<table>_remembered`: replaces whatever is held there, expired or not. */
  async remember(key: string, value: string, ttlMs: number): Promise<void> {
    assertRememberArguments(key, value, ttlMs, 'remember');
    this.#run('remember', (statements) => {
      const now = Date.now();
      this.#sweepNowAndThen(statements, now);
      statements.replaceRemembered.run(key, value, now + Math.ceil(ttlMs));
    });
  }

  /** The value remembered under `key` (by remember or rememberOnce) while it has not expired. */
  async recall(key: string): Promise<string | undefined> {
    assertRememberKey(key, 'recall');
    return this.#run('read', (statements) => statements.remembered.get(key, Date.now())?.value);
  }

  async forget(key: string): Promise<void> {
    assertRememberKey(key, 'forget');
    this.#run('forget', (statements) => statements.forget.run(key));
  }

  // Expired rows are only ever skipped by reads: every hundredth write clears them out.
  #sweepNowAndThen(statements: Statements, now: number): void {
    if (++this.#rememberCalls % 100 === 0) statements.sweep.run(now);
  }

  /**
   * Polls `<table>_changes`, which triggers on the table fill in the same transaction as each
   * write, whichever process made it: every `pollInterval` ms, one indexed read of the rows after
   * the last one seen (measured at about 8 µs when there is none, so 100 ms costs ~0.01% of a core).
   */
  async watch(listener: StoreChangeListener): Promise<() => Promise<void>> {
    this.#gate.assertOpen();
    this.#feed ??= new ChangeFeed({ open: async (deliver, lost) => this.#poll(deliver, lost) });
    return this.#feed.subscribe(listener);
  }

  /** Closes the database file (unless it was passed in) and the change feed; the store cannot be used afterwards. */
  async close(): Promise<void> {
    if (!this.#gate.close()) return;
    await this.#feed?.close();
    this.#statements = undefined;
    if (this.#ownsDatabase) this.#database?.close();
    this.#database = undefined;
  }

  #poll(deliver: (change: StoreChange) => void, lost: (error: unknown) => void): FeedLink {
    let last = this.#run('watch', (statements) => statements.lastChange.get()?.last ?? 0);
    const timer = setInterval(() => {
      try {
        this.#run('watch', (statements) => {
          for (;;) {
            const rows = statements.changesSince.all(last);
            const first = rows[0];
            if (first === undefined) return;
            if (first.seq > last + 1 && (statements.lastChange.get()?.first ?? 0) > last + 1) {
              throw new Error(`more than ${CHANGES_KEPT} writes happened since the last poll`);
            }
            for (const row of rows) {
              last = row.seq;
              deliver(
                row.installation_id === null
                  ? { clientKey: row.client_key }
                  : { clientKey: row.client_key, installationId: row.installation_id },
              );
            }
            if (rows.length < CHANGES_KEPT) return;
          }
        });
      } catch (error) {
        clearInterval(timer);
        lost(error);
      }
    }, this.#pollInterval);
    // The file is local: nothing to keep the process alive for.
    timer.unref();
    return { end: () => clearInterval(timer) };
  }

  #run<T>(operation: string, action: (statements: Statements) => T): T {
    this.#gate.assertOpen();
    try {
      return action(this.#prepare());
    } catch (cause) {
      throw storeFailure(cause, `the SQLite store could not ${operation} ${this.#describe()}`);
    }
  }

  // Opening is deferred to first use so that an unreadable file is a 503 at request time, like a
  // server that is down, rather than a crash while the app starts.
  #prepare(): Statements {
    if (this.#statements) return this.#statements;
    if (!this.#database) {
      const database = new Database(this.filename, { timeout: this.#busyTimeout });
      try {
        if (this.filename !== ':memory:') database.pragma('journal_mode = WAL');
      } catch (error) {
        database.close();
        throw error;
      }
      this.#database = database;
    }
    const database = this.#database;
    const table = `"${this.table}"`;
    database.exec(
      `CREATE TABLE IF NOT EXISTS ${table} (
        client_key TEXT PRIMARY KEY NOT NULL,
        installation TEXT NOT NULL,
        updated_at INTEGER NOT NULL
      )`,
    );
    // Forge calls find their Connect installation by installationId, a field inside the record.
    // Guarded by json_valid: one corrupted row must not fail the index, and with it every write.
    database.exec(`CREATE INDEX IF NOT EXISTS "${this.table}_installation_id" ON ${table} (${INSTALLATION_ID})`);
    // Beside the installations, within the 63 characters of an identifier.
    const remembered = `"${this.table.slice(0, 52)}_remembered"`;
    database.exec(
      `CREATE TABLE IF NOT EXISTS ${remembered} (
        key TEXT PRIMARY KEY NOT NULL,
        value TEXT NOT NULL,
        expires_at INTEGER NOT NULL
      )`,
    );
    // Every write, by any process (or tool) on the file, leaves a row here in its own transaction:
    // what watch() polls. Only the newest rows are kept.
    const changes = `"${this.table.slice(0, 52)}_changes"`;
    database.exec(
      `CREATE TABLE IF NOT EXISTS ${changes} (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        client_key TEXT NOT NULL,
        installation_id TEXT
      )`,
    );
    const record = (row: 'NEW' | 'OLD') =>
      `INSERT INTO ${changes} (client_key, installation_id) VALUES (${row}.client_key,
         CASE WHEN json_valid(${row}.installation) THEN json_extract(${row}.installation, '$.installationId') END);
       DELETE FROM ${changes} WHERE seq <= (SELECT max(seq) FROM ${changes}) - ${CHANGES_KEPT};`;
    for (const [event, row, name] of [
      ['INSERT', 'NEW', 'inserted'],
      ['UPDATE', 'NEW', 'updated'],
      ['DELETE', 'OLD', 'deleted'],
    ] as const) {
      database.exec(
        `CREATE TRIGGER IF NOT EXISTS "${this.table.slice(0, 48)}_${name}" AFTER ${event} ON ${table}
         BEGIN ${record(row)} END`,
      );
    }
    this.#statements = {
      get: database.prepare(`SELECT installation FROM ${table} WHERE client_key = ?`),
      byInstallationId: database.prepare(
        `SELECT installation FROM ${table} WHERE ${INSTALLATION_ID} IN (?, ?, ?)
         ORDER BY updated_at DESC LIMIT 1`,
      ),
      upsert: database.prepare(
        `INSERT INTO ${table} (client_key, installation, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (client_key) DO UPDATE SET installation = excluded.installation, updated_at = excluded.updated_at`,
      ),
      replace: database.prepare(
        `UPDATE ${table} SET installation = @next, updated_at = @now WHERE client_key = @clientKey AND (installation = @expected
         OR (json_valid(installation) AND json_valid(@expected) AND json(installation) = json(@expected)))`,
      ),
      delete: database.prepare(`DELETE FROM ${table} WHERE client_key = ?`),
      firstPage: database.prepare(
        `SELECT client_key, installation FROM ${table} ORDER BY client_key LIMIT ${PAGE_SIZE}`,
      ),
      nextPage: database.prepare(
        `SELECT client_key, installation FROM ${table} WHERE client_key > ? ORDER BY client_key LIMIT ${PAGE_SIZE}`,
      ),
      remember: database.prepare(
        `INSERT INTO ${remembered} AS r (key, value, expires_at) VALUES (?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at
         WHERE r.expires_at <= ?
         RETURNING value`,
      ),
      remembered: database.prepare(`SELECT value FROM ${remembered} WHERE key = ? AND expires_at > ?`),
      replaceRemembered: database.prepare(
        `INSERT INTO ${remembered} (key, value, expires_at) VALUES (?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at`,
      ),
      forget: database.prepare(`DELETE FROM ${remembered} WHERE key = ?`),
      sweep: database.prepare(`DELETE FROM ${remembered} WHERE expires_at <= ?`),
      lastChange: database.prepare(`SELECT max(seq) AS last, min(seq) AS first FROM ${changes}`),
      changesSince: database.prepare(
        `SELECT seq, client_key, installation_id FROM ${changes} WHERE seq > ? ORDER BY seq LIMIT ${CHANGES_KEPT}`,
      ),
    };
    return this.#statements;
  }

  #describe(): string {
    return this.filename === ':memory:' ? '(in memory)' : `(file ${this.filename})`;
  }
}

function parseRecord(json: string): Installation {
  try {
    return JSON.parse(json) as Installation;
  } catch (cause) {
    throw new StoreUnavailableError('a stored installation is not valid JSON', { cause });
  }
}
