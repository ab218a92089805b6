import { basePathOf } from '../qsh/request-target.js';
import { isAbsoluteUrl, trimTrailingSlashes } from './url.js';

/**
 * `url` made absolute against `base` (a relative path is appended below it); an absolute `url`
 * must lie inside `base` (same origin, path at or below base's path). Outbound helpers attach a
 * credential to the call, so a URL elsewhere would hand that credential to someone else.
 */
export function resolveWithin(base: string, url: string, names: { where: string; base: string }): string {
  const trimmed = trimTrailingSlashes(base);
  if (!isAbsoluteUrl(trimmed)) throw new TypeError(`${names.where}: ${names.base} is not an absolute URL`);
  if (typeof url !== 'string') throw new TypeError(`${names.where}: the url must be a string`);
  const absolute = isAbsoluteUrl(url) ? url : `${trimmed}${url.startsWith('/') ? '' : '/'}${url}`;
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
