import BetterSqlite3 from 'better-sqlite3';

// ACE's sequelize store needs the `sqlite3` driver, which compiles from source for minutes here.
// Sequelize takes any driver with sqlite3's callback API (its `dialectModule` option), so ACE's
// own adapter and sequelize's own SQL write the fixture file through better-sqlite3, which the
// SQLite store already builds. Only the transport differs from an ACE deployment.

type Callback = (this: { lastID?: number; changes?: number }, error: Error | null, rows?: unknown[]) => void;

/** sqlite3 binds `{ $1: v }`; better-sqlite3 wants `{ 1: v }` and no booleans. */
function toBindings(parameters: unknown): unknown[] | Record<string, unknown> {
  const convert = (value: unknown) => (typeof value === 'boolean' ? Number(value) : (value ?? null));
  if (Array.isArray(parameters)) return parameters.map(convert);
  const bindings: Record<string, unknown> = {};
  for (const [key, value] of Object.entries((parameters as Record<string, unknown>) ?? {})) {
    bindings[key.replace(/^[$:@]/, '')] = convert(value);
  }
  return bindings;
}

function splitArguments(args: unknown[]): { parameters: unknown; callback: Callback | undefined } {
  const callback = typeof args.at(-1) === 'function' ? (args.pop() as Callback) : undefined;
  return { parameters: args[0] ?? [], callback };
}

class Database {
  readonly filename: string;
  readonly #db: BetterSqlite3.Database;

  constructor(filename: string, _mode: number, callback?: (error: Error | null) => void) {
    this.filename = filename;
    this.#db = new BetterSqlite3(filename, { timeout: 5000 });
    if (callback) queueMicrotask(() => callback(null));
  }

  serialize(callback: () => void): void {
    callback();
  }

  #execute(sql: string, args: unknown[], mode: 'run' | 'all'): void {
    const { parameters, callback } = splitArguments(args);
    let context: { lastID?: number; changes?: number } = {};
    let rows: unknown[] = [];
    try {
      const statement = this.#db.prepare(sql);
      const bindings = toBindings(parameters);
      const hasBindings = Array.isArray(bindings) ? bindings.length > 0 : Object.keys(bindings).length > 0;
      if (mode === 'all' && statement.reader) {
        rows = hasBindings ? statement.all(bindings) : statement.all();
      } else {
        const result = hasBindings ? statement.run(bindings) : statement.run();
        context = { lastID: Number(result.lastInsertRowid), changes: result.changes };
      }
    } catch (error) {
      queueMicrotask(() => callback?.call({}, error as Error));
      return;
    }
    queueMicrotask(() => callback?.call(context, null, rows));
  }

  run(sql: string, ...args: unknown[]): this {
    this.#execute(sql, args, 'run');
    return this;
  }

  all(sql: string, ...args: unknown[]): this {
    this.#execute(sql, args, 'all');
    return this;
  }

  close(callback?: (error: Error | null) => void): void {
    this.#db.close();
    if (callback) queueMicrotask(() => callback(null));
  }
}

/** What sequelize reads from a `sqlite3` module. */
export const sqlite3Driver = { Database, OPEN_READONLY: 1, OPEN_READWRITE: 2, OPEN_CREATE: 4 };
