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
