import type Database from 'better-sqlite3';
import { importDriver } from './driver.js';
import {
  clientInfoQuery,
  clientKeysQuery,
  LINK_TABLE,
  linksQuery,
  missingTableMessage,
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

/** ACE's sequelize store in a SQLite file, opened read-only: the import cannot change it. */
export class AceSqliteSource implements AceSource {
  readonly display: string;
  readonly #filename: string;
  readonly #table: string | undefined;
  #database: Database.Database | undefined;

  constructor(filename: string, options: { table?: string | undefined } = {}) {
    this.#filename = filename;
    this.#table = options.table;
    this.display = `sqlite:${filename}`;
  }

  async read(): Promise<AceSnapshot> {
    const database = await this.#open();
    try {
      const exists = database.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?");
      const candidates = tableCandidates(this.#table);
      const table = candidates.find((name) => exists.get(name) !== undefined);
      if (table === undefined) throw new AceSourceError(missingTableMessage(this.display, candidates, this.#table));
      const keys = database.prepare(clientKeysQuery(table)).all() as { clientKey: string | null; rows: number }[];
      const byKey = database.prepare(clientInfoQuery(table, '?', false));
      const byNullKey = database.prepare(clientInfoQuery(table, '?', true));
      const clientInfos: AceClientInfo[] = keys.map(({ clientKey, rows }) => {
        const row = (clientKey === null ? byNullKey.get() : byKey.get(clientKey)) as { val: unknown } | undefined;
        return { clientKey, value: decodeAceValue(row?.val), rows };
      });
      const links =
        exists.get(LINK_TABLE) === undefined ? [] : (database.prepare(linksQuery()).all() as AceInstallationLink[]);
      return { clientInfos, links };
    } catch (cause) {
      if (cause instanceof AceSourceError) throw cause;
      throw new AceSourceError(`cannot read the ACE store at ${this.display}: ${(cause as Error).message}`, { cause });
    }
  }

  async close(): Promise<void> {
    this.#database?.close();
    this.#database = undefined;
  }

  async #open(): Promise<Database.Database> {
    if (this.#database) return this.#database;
    const { default: BetterSqlite3 } = await importDriver(
      () => import('better-sqlite3'),
      'better-sqlite3',
      this.display,
    );
    try {
      this.#database = new BetterSqlite3(this.#filename, { readonly: true, fileMustExist: true });
      return this.#database;
    } catch (cause) {
      throw new AceSourceError(`cannot open the ACE store at ${this.display}: ${(cause as Error).message}`, { cause });
    }
  }
}
