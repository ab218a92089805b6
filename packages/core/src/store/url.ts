import { fileURLToPath } from 'node:url';
import { schemeOf } from '../lib/url.js';

/** Where a store URL points, by backend; `display` is safe to print (no password). */
export type StoreLocation =
  | { backend: 'sqlite'; filename: string; display: string }
  | { backend: 'postgres'; url: string; display: string }
  | { backend: 'redis'; url: string; display: string };

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
    const rest = url.slice('sqlite:'.length);
    const filename = rest.startsWith('//') ? fileURLToPath(`file:${rest}`) : rest;
    if (filename === '')
      throw new TypeError(`${where}: sqlite: needs a file path, e.g. sqlite:data/installations.sqlite`);
    return { backend: 'sqlite', filename, display: `sqlite:${filename}` };
  }
  if (slashes === true && (scheme === 'postgres' || scheme === 'postgresql') && URL.canParse(url)) {
    return { backend: 'postgres', url, display: redactUrl(url) };
  }
  if (slashes === true && (scheme === 'redis' || scheme === 'rediss') && URL.canParse(url)) {
    return { backend: 'redis', url, display: redactUrl(url) };
  }
  // A Redis Cluster's seed nodes (`host:port,host:port`) are no WHATWG URL: RedisStore reads them.
  if (
    slashes === true &&
    (scheme === 'redis+cluster' || scheme === 'rediss+cluster') &&
    url.length > scheme.length + 3
  ) {
    return { backend: 'redis', url, display: redactUrl(url) };
  }
  throw new TypeError(
    `${where}: ${JSON.stringify(redactUrl(url))} is not a store URL: use sqlite:<path>, postgres://… or redis://…`,
  );
}
