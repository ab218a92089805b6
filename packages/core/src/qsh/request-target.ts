import { Cache } from '../lib/cache.js';
import { ABSOLUTE_URL } from '../lib/url.js';

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
const VALID_TARGET =
  /^(?:[A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s/?#\\]*)?(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2})*(?:\?(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-Fa-f]{2})*)?(?:#.*)?$/s;
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
  return path.endsWith('/') ? path.slice(0, -1) : path;
}
