// The URL rules core applies in more than one place, each written once.

/** `scheme://…`: an absolute URL, as opposed to a request target (path and query). */
export const ABSOLUTE_URL = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;

export function isAbsoluteUrl(value: string): boolean {
  return ABSOLUTE_URL.test(value);
}

/** An absolute http(s) URL with a host: where a token, a key or a signed call may be sent. */
export function isHttpUrl(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  return (url.protocol === 'https:' || url.protocol === 'http:') && url.hostname !== '';
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
