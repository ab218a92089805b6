import { fileURLToPath } from 'node:url';
import { schemeOf } from '../lib/url.js';

/**
 * Where a store URL points, by backend; `display` is safe to print (no password). `url` is what the
 * driver connects to: the URL without the store's own query parameters (`schema`, `table`, `prefix`),
 * which are given here instead, and only where the URL names them.
 */
export type StoreLocation =
  | { backend: 'sqlite'; filename: string; table?: string; display: string }
  | { backend: 'postgres'; url: string; schema?: string; table?: string; display: string }
  | { backend: 'redis'; url: string; prefix?: string; display: string };

// The query parameters each backend's store reads from its URL; the rest of a postgres:// query
// (sslmode, application_name…) is pg's. The Redis client and SQLite read no query, so anything
// else there is refused rather than silently ignored.
const STORE_PARAMETERS = { sqlite: ['table'], postgres: ['schema', 'table'], redis: ['prefix'] } as const;
const ALL_PARAMETERS = new Set<string>(['schema', 'table', 'prefix']);
// Quoted into SQL by the stores: letters, digits and `_`, within PostgreSQL's 63 characters.
const SQL_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** `url` with its password (and any `password` query parameter) replaced by `***`. */
export function redactUrl(url: string): string {
  if (!URL.canParse(url)) return url.replace(/\/\/[^/@]*@/, '//***@');
  const parsed = new URL(url);
  if (parsed.password !== '') parsed.password = '***';
  if (parsed.searchParams.has('password')) parsed.searchParams.set('password', '***');
  return parsed.toString();
}

/**
 * The backend and address a store URL names:
 * - `sqlite:<path>` (relative or absolute), `sqlite:///abs/path`, `sqlite::memory:`
 * - `postgres://…` or `postgresql://…`
 * - `redis://…` or `rediss://…` (the path is the database index)
 * - `redis+cluster://host:port,host:port` or `rediss+cluster://…` (a Redis Cluster's seed nodes)
 * Schemes are lower case, as every store takes them: `REDIS://` is a TypeError here rather than a
 * store that refuses it later. Anything else is a TypeError naming the accepted schemes.
 */
export function parseStoreUrl(url: string, where = 'parseStoreUrl'): StoreLocation {
  if (typeof url !== 'string' || url === '') throw new TypeError(`${where}: a store URL is required`);
  const { scheme, slashes } = schemeOf(url) ?? {};
  if (scheme !== undefined && scheme !== scheme.toLowerCase()) {
    throw new TypeError(`${where}: write the URL scheme in lower case: ${scheme.toLowerCase()}:, not ${scheme}:`);
  }
  if (scheme === 'sqlite') {
    const { base, found } = storeParameters(url, 'sqlite', where);
    const rest = base.slice('sqlite:'.length);
    const filename = rest.startsWith('//') ? fileURLToPath(`file:${rest}`) : rest;
    if (filename === '')
      throw new TypeError(`${where}: sqlite: needs a file path, e.g. sqlite:data/installations.sqlite`);
    const query = found.table === undefined ? '' : `?table=${found.table}`;
    return { backend: 'sqlite', filename, ...found, display: `sqlite:${filename}${query}` };
  }
  if (slashes === true && (scheme === 'postgres' || scheme === 'postgresql') && URL.canParse(url)) {
    const { base, found } = storeParameters(url, 'postgres', where);
    return { backend: 'postgres', url: base, ...found, display: redactUrl(url) };
  }
  if (slashes === true && (scheme === 'redis' || scheme === 'rediss') && URL.canParse(url)) {
    const { base, found } = storeParameters(url, 'redis', where);
    return { backend: 'redis', url: base, ...found, display: redactUrl(url) };
  }
  // A Redis Cluster's seed nodes (`host:port,host:port`) are no WHATWG URL: RedisStore reads them.
  if (
    slashes === true &&
    (scheme === 'redis+cluster' || scheme === 'rediss+cluster') &&
    url.length > scheme.length + 3
  ) {
    const { base, found } = storeParameters(url, 'redis', where);
    return { backend: 'redis', url: base, ...found, display: redactUrl(url) };
  }
  throw new TypeError(
    `${where}: ${JSON.stringify(redactUrl(url))} is not a store URL: use sqlite:<path>, postgres://… or redis://…`,
  );
}

/**
 * The store's own query parameters (`?schema=…&table=…` for PostgreSQL, `?table=…` for SQLite,
 * `?prefix=…` for Redis) taken out of `url`: one rule for every backend, split by hand because a
 * cluster URL and a sqlite: path are no WHATWG URLs. Other parameters stay in `base` as written
 * (PostgreSQL's are pg's); where the driver reads none, they are refused.
 */
function storeParameters<Backend extends keyof typeof STORE_PARAMETERS>(
  url: string,
  backend: Backend,
  where: string,
): { base: string; found: Partial<Record<(typeof STORE_PARAMETERS)[Backend][number], string>> } {
  const mark = url.indexOf('?');
  if (mark === -1) return { base: url, found: {} };
  const own: readonly string[] = STORE_PARAMETERS[backend];
  const found: Record<string, string> = {};
  const kept: string[] = [];
  for (const pair of url.slice(mark + 1).split('&')) {
    if (pair === '') continue;
    const equals = pair.indexOf('=');
    const name = decodeParameter(equals === -1 ? pair : pair.slice(0, equals), where);
    const value = equals === -1 ? '' : decodeParameter(pair.slice(equals + 1).replaceAll('+', ' '), where);
    if (!own.includes(name)) {
      if (backend === 'postgres' && !ALL_PARAMETERS.has(name)) {
        kept.push(pair);
        continue;
      }
      throw new TypeError(
        `${where}: a ${backend} store URL takes ${own.map((known) => `?${known}=`).join(' and ')} only, not ?${name}=`,
      );
    }
    if (Object.hasOwn(found, name)) throw new TypeError(`${where}: ?${name}= is given twice`);
    if (name === 'prefix' ? value === '' : !SQL_IDENTIFIER.test(value)) {
      throw new TypeError(
        name === 'prefix'
          ? `${where}: ?prefix= must not be empty`
          : `${where}: ?${name}= must be an SQL identifier (letters, digits, _)`,
      );
    }
    found[name] = value;
  }
  const base = kept.length === 0 ? url.slice(0, mark) : `${url.slice(0, mark)}?${kept.join('&')}`;
  return { base, found: found as Partial<Record<(typeof STORE_PARAMETERS)[Backend][number], string>> };
}

function decodeParameter(text: string, where: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new TypeError(`${where}: the store URL has a malformed %-escape in its query`);
  }
}
