import { createHash } from 'node:crypto';
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
import pg from 'pg';

export interface PostgresStoreOptions {
  /** `postgres://user:password@host:port/database`; default `postgres://postgres@127.0.0.1:5432/postgres`. */
  url?: string;
  /** A pg Pool the caller owns: `close()` leaves it open, and the caller handles its 'error' events. */
  client?: pg.Pool;
  /** Schema of the table, created if missing; default `public`. */
  schema?: string;
  /** Table name; default `connect_jwt_installations`. */
  table?: string;
  /** Create the schema and table on first use; default true (set false when the role may not create). */
  migrate?: boolean;
  /** How long (ms) to wait for a connection, new or from the pool; default 2000. */
  connectTimeout?: number;
  /** How long (ms) one command (a query) may take; default 2000. */
  commandTimeout?: number;
  /** Most connections the pool this store creates opens; default 10. */
  max?: number;
  /**
   * Where `watch()` opens its LISTEN connection, when that must differ from `url`: a
   * transaction-mode PgBouncer does not pass LISTEN, so point this straight at the server. Default:
   * `url`; with `client`, one connection of that pool, held while someone watches.
   */
  listenUrl?: string;
}

const DEFAULT_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
const OWNER = 'PostgresStore';
const OPTIONS = {
  fromString: 'url',
  known: {
    url: true,
    client: true,
    schema: true,
    table: true,
    migrate: true,
    connectTimeout: true,
    commandTimeout: true,
    max: true,
    listenUrl: true,
  },
} as const;
const POSTGRES_URL = /^postgres(ql)?:\/\//;
// A LISTEN connection that stops answering (a half-open link) is found by this probe.
const HEARTBEAT_MS = 5000;
// pg_notify refuses a payload of 8000 bytes or more; a larger one (a clientKey of kilobytes, which
// no product issues) is left unannounced rather than failing the write.
const MAX_PAYLOAD = 7999;
const MILLISECONDS = { min: 1, unit: 'milliseconds' };
/** Rows per page of installations(). */
const PAGE_SIZE = 500;

/**
 * Installations in a PostgreSQL table, one row per installation keyed by `client_key`, the record
 * in a `jsonb` column; shared by every add-on process that points at the database. Uses a pool;
 * the table is created on first use (serialised by an advisory lock, so processes starting
 * together do not race); a reinstall is an upsert on `client_key`.
 */
export class PostgresStore implements SecretStore {
  readonly schema: string;
  readonly table: string;
  readonly #pool: pg.Pool;
  readonly #ownsPool: boolean;
  readonly #migrate: boolean;
  readonly #queryTimeout: number;
  readonly #qualified: string;
  readonly #remembered: string;
  #rememberCalls = 0;
  #migrated: Promise<void> | undefined;
  readonly #gate = new StoreGate('the PostgreSQL store');
  readonly #connectTimeout: number;
  readonly #listenUrl: string | undefined;
  /** The NOTIFY channel of this table's writes (schema and table, within 63 characters). */
  readonly #channel: string;
  #feed: ChangeFeed | undefined;

  constructor(options: string | PostgresStoreOptions = {}) {
    const settings = storeOptions<PostgresStoreOptions>(OWNER, options, OPTIONS);
    this.schema = identifierOption(OWNER, 'schema', settings.schema, 'public');
    this.table = identifierOption(OWNER, 'table', settings.table, 'connect_jwt_installations');
    this.#qualified = `"${this.schema}"."${this.table}"`;
    // Beside the installations, within the 63 characters of an identifier.
    this.#remembered = `"${this.schema}"."${this.table.slice(0, 52)}_remembered"`;
    this.#migrate = settings.migrate ?? true;
    if (typeof this.#migrate !== 'boolean') throw new TypeError('PostgresStore: options.migrate must be a boolean');
    const connectTimeout = numberOption(OWNER, 'connectTimeout', settings.connectTimeout, 2000, MILLISECONDS);
    this.#connectTimeout = connectTimeout;
    this.#channel = channelName(this.schema, this.table);
    if (
      settings.listenUrl !== undefined &&
      (typeof settings.listenUrl !== 'string' || !POSTGRES_URL.test(settings.listenUrl))
    ) {
      throw new TypeError('PostgresStore: options.listenUrl must be a postgres:// URL');
    }
    this.#queryTimeout = numberOption(OWNER, 'commandTimeout', settings.commandTimeout, 2000, MILLISECONDS);

    if (settings.client !== undefined) {
      if (typeof settings.client?.query !== 'function' || typeof settings.client?.connect !== 'function') {
        throw new TypeError('PostgresStore: options.client must be a pg Pool');
      }
      if (settings.url !== undefined) {
        throw new TypeError('PostgresStore: give options.url or options.client, not both');
      }
      this.#pool = settings.client;
      this.#ownsPool = false;
      this.#listenUrl = settings.listenUrl;
      return;
    }
    const connectionString = settings.url ?? DEFAULT_URL;
    if (typeof connectionString !== 'string' || !POSTGRES_URL.test(connectionString)) {
      throw new TypeError('PostgresStore: options.url must be a postgres:// URL');
    }
    const max = numberOption(OWNER, 'max', settings.max, 10, { min: 1, integer: true });
    this.#pool = new pg.Pool({
      connectionString,
      max,
      connectionTimeoutMillis: connectTimeout,
      query_timeout: this.#queryTimeout,
      keepAlive: true,
    });
    // An idle connection that breaks (server restart, cut link) is reported here; unheard, it would
    // crash the process. The pool drops that connection and opens a new one on the next query.
    this.#pool.on('error', () => {});
    this.#ownsPool = true;
    this.#listenUrl = settings.listenUrl ?? connectionString;
  }

  async get(clientKey: string): Promise<Installation | undefined> {
    const result = await this.#query<{ installation: Installation }>(
      'read',
      `SELECT installation FROM ${this.#qualified} WHERE client_key = $1`,
      [clientKey],
    );
    return result.rows[0]?.installation;
  }

  /** The record whose `installationId` is this one (ARI or bare uuid); the latest written wins. */
  async getByInstallationId(installationId: string): Promise<Installation | undefined> {
    const result = await this.#query<{ installation: Installation }>(
      'read',
      `SELECT installation FROM ${this.#qualified} WHERE installation->>'installationId' = ANY($1::text[])
       ORDER BY updated_at DESC LIMIT 1`,
      [installationIdSpellings(String(installationId))],
    );
    return result.rows[0]?.installation;
  }

  async set(installation: Installation): Promise<void> {
    assertInstallation(installation);
    // Announced in the same statement, so that a write and its notification commit together.
    await this.#query(
      'write',
      this.#announced(
        `INSERT INTO ${this.#qualified} (client_key, installation, updated_at) VALUES ($1, $2::jsonb, now())
       ON CONFLICT (client_key) DO UPDATE SET installation = EXCLUDED.installation, updated_at = EXCLUDED.updated_at`,
        '$3',
      ),
      [installation.clientKey, JSON.stringify(installation), this.#channel],
    );
  }

  /**
   * One UPDATE that writes only over the record stored as `expected` (jsonb equality: the same
   * fields and values), announced in the same statement like `set`; the row lock makes two
   * concurrent replaces from one record write once.
   */
  async replace(expected: Installation, next: Installation): Promise<boolean> {
    assertReplaceArguments(expected, next);
    // Counted apart from the notifications: one too large to send is skipped, the write still counts.
    const result = await this.#query<{ written: number }>(
      'write',
      `WITH written AS (
         UPDATE ${this.#qualified} SET installation = $2::jsonb, updated_at = now()
         WHERE client_key = $1 AND installation = $3::jsonb
         RETURNING client_key, installation->>'installationId' AS installation_id
       ), announced AS (
         SELECT pg_notify($4, payload) FROM (
           SELECT json_build_object('clientKey', client_key, 'installationId', installation_id)::text AS payload FROM written
         ) changes WHERE octet_length(payload) <= ${MAX_PAYLOAD}
       )
       SELECT (SELECT count(*) FROM written)::int AS written, (SELECT count(*) FROM announced)::int AS announced`,
      [next.clientKey, JSON.stringify(next), JSON.stringify(expected), this.#channel],
    );
    return result.rows[0]?.written === 1;
  }

  /**
   * Keyset pages in `client_key` order (never OFFSET): a row written or deleted meanwhile can
   * neither repeat another nor hide it, and each page is one short query on the primary key.
   */
  async *installations(): AsyncIterable<Installation> {
    let after: string | undefined;
    for (;;) {
      const { rows } = await this.#query<{ client_key: string; installation: Installation }>(
        'read',
        `SELECT client_key, installation FROM ${this.#qualified}
         ${after === undefined ? '' : 'WHERE client_key > $1'} ORDER BY client_key LIMIT ${PAGE_SIZE}`,
        after === undefined ? [] : [after],
      );
      for (const row of rows) yield { ...row.installation, clientKey: row.client_key };
      if (rows.length < PAGE_SIZE) return;
      after = rows[rows.length - 1]?.client_key;
    }
  }

  async delete(clientKey: string): Promise<void> {
    await this.#query('delete', this.#announced(`DELETE FROM ${this.#qualified} WHERE client_key = $1`, '$2'), [
      clientKey,
      this.#channel,
    ]);
  }

  /**
   * An insert that takes the key only when it is free or expired (one atomic statement, so every
   * process sharing the database agrees), then the value that won. Rows live in
   * `<table>_remembered`; expired ones are swept now and then.
   */
  async rememberOnce(key: string, value: string, ttlMs: number): Promise<string> {
    assertRememberArguments(key, value, ttlMs);
    await this.#sweepNowAndThen();
    for (let attempt = 0; attempt < 3; attempt++) {
      const stored = await this.#query<{ value: string }>(
        'remember',
        `INSERT INTO ${this.#remembered} AS r (key, value, expires_at)
         VALUES ($1, $2, now() + $3 * interval '1 millisecond')
         ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, expires_at = EXCLUDED.expires_at
         WHERE r.expires_at <= now()
         RETURNING value`,
        [key, value, Math.ceil(ttlMs)],
      );
      if (stored.rows[0] !== undefined) return stored.rows[0].value;
      const held = await this.#query<{ value: string }>(
        'read',
        `SELECT value FROM ${this.#remembered} WHERE key = $1 AND expires_at > now()`,
        [key],
      );
      if (held.rows[0] !== undefined) return held.rows[0].value;
    }
    throw new StoreUnavailableError('PostgreSQL kept a remembered value neither set nor readable');
  }

  /** An upsert into `<table>_remembered`: replaces whatever is held there, expired or not. */
  async remember(key: string, value: string, ttlMs: number): Promise<void> {
    assertRememberArguments(key, value, ttlMs, 'remember');
    await this.#sweepNowAndThen();
    await this.#query(
      'remember',
      `INSERT INTO ${this.#remembered} (key, value, expires_at)
       VALUES ($1, $2, now() + $3 * interval '1 millisecond')
       ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, expires_at = EXCLUDED.expires_at`,
      [key, value, Math.ceil(ttlMs)],
    );
  }

  /** The value remembered under `key` (by remember or rememberOnce) while it has not expired. */
  async recall(key: string): Promise<string | undefined> {
    assertRememberKey(key, 'recall');
    const held = await this.#query<{ value: string }>(
      'read',
      `SELECT value FROM ${this.#remembered} WHERE key = $1 AND expires_at > now()`,
      [key],
    );
    return held.rows[0]?.value;
  }

  async forget(key: string): Promise<void> {
    assertRememberKey(key, 'forget');
    await this.#query('forget', `DELETE FROM ${this.#remembered} WHERE key = $1`, [key]);
  }

  // Expired rows are only ever skipped by reads: every hundredth write clears them out.
  async #sweepNowAndThen(): Promise<void> {
    if (++this.#rememberCalls % 100 === 0) {
      await this.#query('sweep', `DELETE FROM ${this.#remembered} WHERE expires_at <= now()`, []);
    }
  }

  /**
   * LISTENs on this table's channel on a connection of its own (`listenUrl`), which every
   * instance's set and delete notify in the same statement as the write; reconnects with backoff,
   * calling `up()` on each (re)subscription and `down(error)` on a loss.
   */
  async watch(listener: StoreChangeListener): Promise<() => Promise<void>> {
    this.#gate.assertOpen();
    this.#feed ??= new ChangeFeed({ open: (deliver, lost) => this.#listen(deliver, lost) });
    return this.#feed.subscribe(listener);
  }

  /** Ends the pool this store created (a pool passed in stays open) and the change feed. */
  async close(): Promise<void> {
    if (!this.#gate.close()) return;
    await this.#feed?.close();
    if (!this.#ownsPool) return;
    // Ending a connection waits for the server's goodbye, which a dead link never sends: bounded.
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.#queryTimeout);
    });
    await Promise.race([this.#pool.end().catch(() => {}), bound]);
    clearTimeout(timer);
  }

  /** `write` (which must RETURN nothing yet) and a pg_notify of each row it wrote, on the channel in `channel`. */
  #announced(write: string, channel: string): string {
    return `WITH written AS (${write} RETURNING client_key, installation->>'installationId' AS installation_id)
      SELECT pg_notify(${channel}, payload) FROM (
        SELECT json_build_object('clientKey', client_key, 'installationId', installation_id)::text AS payload FROM written
      ) announced WHERE octet_length(payload) <= ${MAX_PAYLOAD}`;
  }

  async #listen(deliver: (change: StoreChange) => void, lost: (error: unknown) => void): Promise<FeedLink> {
    this.#gate.assertOpen();
    const connection = await this.#listenerConnection();
    const { client } = connection;
    let heartbeat: NodeJS.Timeout | undefined;
    const fail = (error: unknown) => {
      clearInterval(heartbeat);
      lost(error);
    };
    client.on('error', fail);
    client.on('end', () => fail(new Error('the PostgreSQL listener connection ended')));
    client.on('notification', (message) => {
      if (message.channel !== this.#channel || message.payload === undefined) return;
      const change = parseChange(message.payload);
      if (change !== undefined) deliver(change);
    });
    const query = (text: string) => client.query({ text, query_timeout: this.#queryTimeout } as pg.QueryConfig);
    try {
      await query(`LISTEN "${this.#channel}"`);
    } catch (error) {
      await connection.end();
      throw error;
    }
    heartbeat = setInterval(() => {
      query('SELECT 1').catch((error: unknown) => fail(error));
    }, HEARTBEAT_MS);
    heartbeat.unref();
    return {
      end: async () => {
        clearInterval(heartbeat);
        client.removeAllListeners('notification');
        await connection.end();
      },
    };
  }

  // Its own client from listenUrl; a pool passed in without one lends a connection for the feed.
  async #listenerConnection(): Promise<{ client: pg.ClientBase; end(): Promise<void> }> {
    if (this.#listenUrl === undefined) {
      const client = await this.#pool.connect();
      // Not reused by the pool afterwards: it holds a LISTEN.
      return { client, end: async () => client.release(true) };
    }
    const client = new pg.Client({
      connectionString: this.#listenUrl,
      connectionTimeoutMillis: this.#connectTimeout,
      keepAlive: true,
    });
    // Until the feed adds its own: a failed connect is also reported here.
    client.on('error', () => {});
    const end = async () => {
      // Ending waits for the server's goodbye, which a cut link never sends: bounded.
      let timer: NodeJS.Timeout | undefined;
      const bound = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, this.#queryTimeout);
      });
      const ended = await Promise.race([
        client.end().then(
          () => true,
          () => true,
        ),
        bound.then(() => false),
      ]);
      clearTimeout(timer);
      // Not even a goodbye sent: the socket goes, rather than staying open on a dead link.
      if (!ended) client.connection.stream.destroy();
    };
    try {
      await client.connect();
    } catch (error) {
      await end();
      throw error;
    }
    return { client, end };
  }

  async #query<Row extends pg.QueryResultRow>(
    operation: string,
    text: string,
    values: unknown[],
  ): Promise<pg.QueryResult<Row>> {
    this.#gate.assertOpen();
    try {
      await this.#ensureTable();
      return await this.#pool.query<Row>({ text, values, query_timeout: this.#queryTimeout } as pg.QueryConfig);
    } catch (cause) {
      throw storeFailure(cause, `PostgreSQL could not ${operation} the installation`);
    }
  }

  #ensureTable(): Promise<void> {
    if (!this.#migrate) return Promise.resolve();
    this.#migrated ??= this.#createTable().catch((error: unknown) => {
      // Try again on the next call: the server may just have been down.
      this.#migrated = undefined;
      throw error;
    });
    return this.#migrated;
  }

  async #createTable(): Promise<void> {
    const client = await this.#pool.connect();
    const query = (text: string, values?: unknown[]) =>
      client.query({ text, values, query_timeout: this.#queryTimeout } as pg.QueryConfig);
    let broken: Error | undefined;
    try {
      await query('BEGIN');
      // Two processes starting at once would otherwise race in CREATE ... IF NOT EXISTS (which is
      // not atomic against a concurrent create); one transaction-scoped lock for every connect-jwt
      // migration serialises them, schemas included.
      await query('SELECT pg_advisory_xact_lock(hashtext($1))', ['connect-jwt:migration']);
      await query(`CREATE SCHEMA IF NOT EXISTS "${this.schema}"`);
      await query(
        `CREATE TABLE IF NOT EXISTS ${this.#qualified} (
          client_key text PRIMARY KEY,
          installation jsonb NOT NULL,
          updated_at timestamptz NOT NULL DEFAULT now()
        )`,
      );
      // Forge calls find their Connect installation by installationId, a field inside the record.
      await query(
        `CREATE INDEX IF NOT EXISTS "${this.table}_installation_id" ON ${this.#qualified} ((installation->>'installationId'))`,
      );
      await query(
        `CREATE TABLE IF NOT EXISTS ${this.#remembered} (
          key text PRIMARY KEY,
          value text NOT NULL,
          expires_at timestamptz NOT NULL
        )`,
      );
      await query('COMMIT');
    } catch (error) {
      broken = error as Error;
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      // A connection that failed mid-transaction is discarded rather than reused.
      client.release(broken);
    }
  }
}

/** `<schema>.<table>`, or its first 46 characters and a hash where that is longer than an identifier. */
function channelName(schema: string, table: string): string {
  const name = `${schema}.${table}`;
  if (name.length <= 63) return name;
  return `${name.slice(0, 46)}~${createHash('sha256').update(name).digest('hex').slice(0, 16)}`;
}

function parseChange(payload: string): StoreChange | undefined {
  try {
    const parsed = JSON.parse(payload) as { clientKey?: unknown; installationId?: unknown };
    if (typeof parsed.clientKey !== 'string') return undefined;
    return typeof parsed.installationId === 'string'
      ? { clientKey: parsed.clientKey, installationId: parsed.installationId }
      : { clientKey: parsed.clientKey };
  } catch {
    return undefined;
  }
}
