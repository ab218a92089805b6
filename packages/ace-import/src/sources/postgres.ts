import type pg from 'pg';
import { importDriver } from './driver.js';
import {
  clientInfoQuery,
  clientKeysQuery,
  LINK_TABLE,
  linksQuery,
  missingTableMessage,
  quoteIdentifier,
  tableCandidates,
} from './sequelize-layout.js';
import {
  type AceClientInfo,
  type AceInstallationLink,
  type AceSnapshot,
  type AceSource,
  AceSourceError,
  decodeAceValue,
} from './types.js';

/**
 * ACE's sequelize store in PostgreSQL. Everything is read in one READ ONLY, REPEATABLE READ
 * transaction: a consistent picture even while ACE is still serving, and no way to write.
 */
export class AcePostgresSource implements AceSource {
  readonly display: string;
  readonly #url: string;
  readonly #table: string | undefined;
  readonly #connectTimeout: number;

  constructor(url: string, display: string, options: { table?: string | undefined; connectTimeout?: number } = {}) {
    this.#url = url;
    this.display = display;
    this.#table = options.table;
    this.#connectTimeout = options.connectTimeout ?? 5000;
  }

  async read(): Promise<AceSnapshot> {
    const { default: driver } = await importDriver(() => import('pg'), 'pg', this.display);
    const client = new driver.Client({ connectionString: this.#url, connectionTimeoutMillis: this.#connectTimeout });
    // A connection lost mid-read is reported by the failing query; this keeps it from crashing the process.
    client.on('error', () => {});
    try {
      await client.connect();
      await client.query('BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const table = await this.#findTable(client);
      const keys = await client.query<{ clientKey: string | null; rows: string }>(clientKeysQuery(table));
      const clientInfos: AceClientInfo[] = [];
      for (const { clientKey, rows } of keys.rows) {
        const sql = clientInfoQuery(table, '$1', clientKey === null);
        const result = await client.query<{ val: unknown }>(sql, clientKey === null ? [] : [clientKey]);
        clientInfos.push({ clientKey, value: decodeAceValue(result.rows[0]?.val), rows: Number(rows) });
      }
      const hasLinks = await client.query('SELECT to_regclass($1) AS name', [quoteIdentifier(LINK_TABLE)]);
      const links = hasLinks.rows[0]?.name ? (await client.query<AceInstallationLink>(linksQuery())).rows : [];
      await client.query('COMMIT');
      return { clientInfos, links };
    } catch (cause) {
      if (cause instanceof AceSourceError) throw cause;
      throw new AceSourceError(`cannot read the ACE store at ${this.display}: ${describe(cause)}`, { cause });
    } finally {
      await client.end().catch(() => {});
    }
  }

  async close(): Promise<void> {}

  async #findTable(client: pg.Client): Promise<string> {
    const candidates = tableCandidates(this.#table);
    for (const name of candidates) {
      const { rows } = await client.query('SELECT to_regclass($1) AS name', [quoteIdentifier(name)]);
      if (rows[0]?.name) return name;
    }
    throw new AceSourceError(missingTableMessage(this.display, candidates, this.#table));
  }
}

/** The driver's message, or its code when it has none (an AggregateError from a refused connect). */
function describe(error: unknown): string {
  const { message, code } = error as { message?: string; code?: string };
  return message || code || String(error);
}
