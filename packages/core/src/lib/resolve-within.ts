import { basePathOf } from '../qsh/canonical.js';

const ABSOLUTE_URL = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;

/**
 * `url` made absolute against `base` (a relative path is appended below it); an absolute `url`
 * must lie inside `base` (same origin, path at or below base's path). Outbound helpers attach a
 * credential to the call, so a URL elsewhere would hand that credential to someone else.
 */
export function resolveWithin(base: string, url: string, names: { where: string; base: string }): string {
  const trimmed = withoutTrailingSlashes(base);
  if (!ABSOLUTE_URL.test(trimmed)) throw new TypeError(`${names.where}: ${names.base} is not an absolute URL`);
  if (typeof url !== 'string') throw new TypeError(`${names.where}: the url must be a string`);
  const absolute = ABSOLUTE_URL.test(url) ? url : `${trimmed}${url.startsWith('/') ? '' : '/'}${url}`;
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

// A loop, not `/\/+$/`: that regex retries from every slash and is quadratic on a run of them.
function withoutTrailingSlashes(url: string): string {
  let end = url.length;
  while (end > 0 && url.charCodeAt(end - 1) === 47 /* / */) end--;
  return url.slice(0, end);
}
