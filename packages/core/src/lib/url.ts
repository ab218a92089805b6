import { Cache } from './cache.js';

// Core's URL rules, each written once: schemes, absolute or not, trailing slashes, joins, request
// targets and base paths. Nothing else in core reads a scheme or trims a slash by hand.

/** RFC 3986 `scheme`: a letter, then letters, digits, `+`, `.` or `-`. */
const SCHEME = '[A-Za-z][A-Za-z0-9+.-]*';

/** `scheme://…`: an absolute URL, as opposed to a request target (path and query). */
export const ABSOLUTE_URL = new RegExp(`^${SCHEME}:\\/\\/`);

/** The scheme of `url` (as written) and whether `//` follows it; undefined when it has none. */
export function schemeOf(url: string): { scheme: string; slashes: boolean } | undefined {
  const match = new RegExp(`^(${SCHEME}):(\\/\\/)?`).exec(url);
  if (!match) return undefined;
  return { scheme: match[1] as string, slashes: match[2] !== undefined };
}

export function isAbsoluteUrl(value: string): boolean {
  return ABSOLUTE_URL.test(value);
}

/** An absolute http(s) URL with a host: where a token, a key or a signed call may be sent. */
export function isHttpUrl(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  return (url.protocol === 'https:' || url.protocol === 'http:') && url.hostname !== '';
}

/** A loopback host name as WHATWG URL spells it: `localhost`, `[::1]` or 127.x.x.x. */
export function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(hostname);
}

/** https, or plain http to a loopback host (a local product or fake during development and tests). */
export function isHttpsOrLoopback(url: URL): boolean {
  return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname));
}

/** One trailing `/` is not significant in a base URL (descriptors and tokens differ on it). */
export function trimTrailingSlash(url: string): string {
  return url.endsWith('/') ? url.slice(0, -1) : url;
}

/**
 * Every trailing `/`, before a path is appended. A loop, not `/\/+$/`: that regex retries from
 * every slash and is quadratic on a run of them.
 */
export function trimTrailingSlashes(url: string): string {
  let end = url.length;
  while (end > 0 && url.charCodeAt(end - 1) === 47 /* / */) end--;
  return url.slice(0, end);
}

/** `path` appended below `base` (no trailing `/`) with exactly the one `/` between them. */
export function joinPath(base: string, path: string): string {
  return `${base}${path.startsWith('/') ? '' : '/'}${path}`;
}

/** The path and query of `uri`, without scheme, authority or fragment. */
export function requestTarget(uri: string): string {
  let target = uri;
  // Adapters pass the origin-form target (`/path?query`), which cannot be an absolute URL.
  if (target.charCodeAt(0) !== 47 /* / */ && ABSOLUTE_URL.test(target)) {
    const authorityStart = target.indexOf('//') + 2;
    const pathStart = target.slice(authorityStart).search(/[/?#]/);
    target = pathStart === -1 ? '' : target.slice(authorityStart + pathStart);
  }
  const hash = target.indexOf('#');
  return hash === -1 ? target : target.slice(0, hash);
}

// A request target as RFC 3986 allows it on the wire: an optional `scheme://authority`, then path
// and query characters or `%XX` escapes only (a fragment never leaves the client). No alternative
// overlaps another, so the match is linear.
const VALID_TARGET = new RegExp(
  `^(?:${SCHEME}:\\/\\/[^\\s/?#\\\\]*)?(?:[A-Za-z0-9\\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2})*(?:\\?(?:[A-Za-z0-9\\-._~!$&'()*+,;=:@/?]|%[0-9A-Fa-f]{2})*)?(?:#.*)?$`,
  's',
);
const WIRE_BASE = 'http://wire.invalid';

/**
 * `uri` as it goes on the wire, for hashing an outgoing request: a valid request target exactly
 * as given; anything else (a space, a non-ASCII character, a backslash, a stray `%`) serialised
 * as WHATWG URL and so `fetch` do it (`%20`, `%C3%A9`, `/`), since that is what the host
 * receives and hashes. Never applied to a target received: that one is hashed as it came.
 */
export function wireRequestTarget(uri: string): string {
  if (VALID_TARGET.test(uri)) return uri;
  try {
    if (uri.charCodeAt(0) !== 47 /* / */ && ABSOLUTE_URL.test(uri)) return new URL(uri).href;
    const url = new URL(uri, WIRE_BASE);
    // `//host/...` would name an authority: such a string is not a path fetch could send as one.
    if (url.origin !== WIRE_BASE) return uri;
    return url.pathname + url.search;
  } catch {
    return uri;
  }
}

/** `scheme://authority` of an absolute URL; '' for a request target. */
export function originOf(uri: string): string {
  if (uri.charCodeAt(0) === 47 /* / */ || !ABSOLUTE_URL.test(uri)) return '';
  const authorityStart = uri.indexOf('//') + 2;
  const authorityLength = uri.slice(authorityStart).search(/[/?#]/);
  return authorityLength === -1 ? uri : uri.slice(0, authorityStart + authorityLength);
}

// A route checks every request against the same baseUrl: remember the ones parsed.
const basePaths = new Cache<string, string>({ max: 64 });

/** The path component of a base URL (absolute or a bare path), without one trailing `/`. */
export function basePathOf(baseUrl: string | undefined): string {
  if (!baseUrl) return '';
  let basePath = basePaths.get(baseUrl);
  if (basePath === undefined) {
    basePath = parseBasePath(baseUrl);
    basePaths.set(baseUrl, basePath);
  }
  return basePath;
}

function parseBasePath(baseUrl: string): string {
  const target = requestTarget(baseUrl);
  const queryStart = target.indexOf('?');
  const path = queryStart === -1 ? target : target.slice(0, queryStart);
  return trimTrailingSlash(path);
}

/**
 * `url` made absolute against `base` (a relative path is appended below it); an absolute `url`
 * must lie inside `base` (same origin, path at or below base's path). Outbound helpers attach a
 * credential to the call, so a URL elsewhere would hand that credential to someone else.
 */
export function resolveWithin(base: string, url: string, names: { where: string; base: string }): string {
  const trimmed = trimTrailingSlashes(base);
  if (!isAbsoluteUrl(trimmed)) throw new TypeError(`${names.where}: ${names.base} is not an absolute URL`);
  if (typeof url !== 'string') throw new TypeError(`${names.where}: the url must be a string`);
  const absolute = isAbsoluteUrl(url) ? url : joinPath(trimmed, url);
  let target: URL;
  try {
    target = new URL(absolute);
  } catch {
    throw new TypeError(`${names.where}: url is not a valid URL`);
  }
  // The parsed path has `..` segments resolved, as the request will: `/../other` cannot climb out.
  const basePath = basePathOf(trimmed);
  const path = target.pathname;
  if (
    target.origin !== new URL(trimmed).origin ||
    !(basePath === '' || path === basePath || path.startsWith(`${basePath}/`))
  ) {
    throw new TypeError(`${names.where}: url is outside ${names.base}`);
  }
  return absolute;
}
