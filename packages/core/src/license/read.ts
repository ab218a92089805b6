import { decodeQueryComponent } from '../lib/percent.js';
import type { License } from '../types/license.js';

const LIC_VALUES: Readonly<Record<string, boolean>> = { active: true, none: false };

/**
 * The licence a Connect request's `lic` parameter states, or `undefined` without one (free apps
 * and routes the product calls without it get none). Callers only read it from a query the qsh
 * covered, since anyone can append `lic=active` to a URL. Two `lic` values (a `lic` typed into a
 * descriptor URL, then the product's own) give a licence that says nothing, never `active`.
 */
export function licenseFromQuery(url: string): License | undefined {
  const start = url.indexOf('?');
  if (start === -1) return undefined;
  const end = url.indexOf('#', start);
  const query = url.slice(start + 1, end === -1 ? undefined : end);
  const values: string[] = [];
  for (const parameter of query.split('&')) {
    const equals = parameter.indexOf('=');
    const name = decodeQueryComponent(equals === -1 ? parameter : parameter.slice(0, equals));
    if (name === 'lic') values.push(equals === -1 ? '' : decodeQueryComponent(parameter.slice(equals + 1)));
  }
  if (values.length === 0) return undefined;
  const [value] = values;
  const active = values.length === 1 && value !== undefined ? LIC_VALUES[value] : undefined;
  return { active, source: 'lic' };
}

/**
 * The licence a verified Forge Invocation Token states in `app.license` (present for paid apps in
 * production only), or `undefined`. Reads `active`, falling back to the deprecated `isActive`.
 */
export function licenseFromFit(app: Record<string, unknown> | undefined): License | undefined {
  const claim = app?.license;
  if (claim === null || typeof claim !== 'object' || Array.isArray(claim)) return undefined;
  const { active, isActive, isEvaluation } = claim as Record<string, unknown>;
  const license: License = {
    active: typeof active === 'boolean' ? active : typeof isActive === 'boolean' ? isActive : undefined,
    source: 'fit',
  };
  if (typeof isEvaluation === 'boolean') license.evaluation = isEvaluation;
  return license;
}
