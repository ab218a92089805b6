import { decodeQueryComponent, encodeRfc3986 } from '../lib/percent.js';
import { basePathOf, requestTarget, wireRequestTarget } from '../lib/url.js';
import type { FormParamsPolicy } from '../types/request.js';

/** A parsed form body (`application/x-www-form-urlencoded`), as body parsers produce it. */
export type FormBody = Record<string, string | string[] | undefined>;

export type { FormParamsPolicy };

export interface CanonicalRequestOptions {
  /** Base URL (or bare path) whose path prefix is stripped: Confluence's `/wiki`, an add-on's mount path. */
  baseUrl?: string | undefined;
  /** The parsed form body, used only when `formParams` says so. */
  body?: FormBody | undefined;
  /** `none` (default): ignore the body; `fallback`: a POST/PUT without a query hashes the form; `merge`: both. */
  formParams?: FormParamsPolicy | undefined;
  /**
   * `wire` (default): the target as the host receives it. A string that cannot go on the wire as
   * given (a space, a non-ASCII or control character, a backslash) is first serialised as WHATWG
   * URL and `fetch` do (`%20`, `%C3%A9`, `/`); a valid request target is used exactly as given, so a
   * received one is never re-encoded. `as-given`: the string is hashed as passed, even where no
   * host could receive it (to reproduce a signer that hashed before encoding).
   */
  requestTarget?: 'wire' | 'as-given' | undefined;
}

/**
 * Whose canonical form to build. `host`: the Java host's, which sorts encoded parameter names and
 * drops a trailing `/` twice. `atlassian-jwt`: the npm package's (the signer inside
 * atlassian-connect-express), which sorts raw names and drops one.
 */
export type CanonicalDialect = 'host' | 'atlassian-jwt';

const AMPERSAND = /&/g;

/**
 * The canonical request `METHOD&PATH&QUERY` whose SHA-256 is the qsh claim, built exactly
 * as the Atlassian host (Java) builds it, so tokens it issues verify and tokens we sign pass.
 */
export function canonicalRequest(method: string, uri: string, options?: CanonicalRequestOptions): string {
  const target = options?.requestTarget === 'as-given' ? uri : wireRequestTarget(uri);
  return buildCanonicalRequest(method, target, options, 'host');
}

/** @internal The canonical request of a target hashed as given (as received), in a chosen dialect. */
export function buildCanonicalRequest(
  method: string,
  uri: string,
  options: CanonicalRequestOptions | undefined,
  dialect: CanonicalDialect,
): string {
  const target = requestTarget(uri);
  const queryStart = target.indexOf('?');
  const rawPath = queryStart === -1 ? target : target.slice(0, queryStart);
  const rawQuery = queryStart === -1 ? '' : target.slice(queryStart + 1);
  const upperMethod = method.toUpperCase();
  const path = canonicalPath(rawPath, options?.baseUrl, dialect);
  const params = collectParameters(upperMethod, rawQuery, options);
  return `${upperMethod}&${path}&${canonicalQuery(params, dialect)}`;
}

function canonicalPath(rawPath: string, baseUrl: string | undefined, dialect: CanonicalDialect): string {
  let path = rawPath;
  const basePath = basePathOf(baseUrl);
  // The host strips its context path (or our mount path) as a plain prefix, not per segment.
  if (basePath !== '' && path.startsWith(basePath)) path = path.slice(basePath.length);
  if (path === '') return '/';
  if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  // The Java host drops one trailing `/` building the request and another canonicalising it, so
  // `/a//` is `/a`; atlassian-jwt drops only one.
  if (dialect === 'host' && path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  if (path.charCodeAt(0) !== 47 /* / */) path = `/${path}`;
  // `&` separates the three parts of the canonical request, so it cannot stay raw in the path.
  return path.includes('&') ? path.replace(AMPERSAND, '%26') : path;
}

/** Decoded parameters in arrival order, as parallel arrays (no per-parameter objects on the hot path). */
class Parameters {
  readonly names: string[] = [];
  readonly values: string[] = [];

  add(name: string, value: string): void {
    // The token itself cannot be part of what it signs.
    if (name === 'jwt') return;
    this.names.push(name);
    this.values.push(value);
  }
}

function collectParameters(method: string, rawQuery: string, options: CanonicalRequestOptions | undefined): Parameters {
  const params = new Parameters();
  const queryCount = addQueryParameters(params, rawQuery);
  const policy = options?.formParams ?? 'none';
  const body = options?.body;
  if (body && policy !== 'none') {
    // `fallback` mirrors atlassian-connect-express: a POST/PUT whose query is empty hashes its form fields.
    const useBody = policy === 'merge' || (queryCount === 0 && (method === 'POST' || method === 'PUT'));
    if (useBody) addBodyParameters(params, body);
  }
  return params;
}

/** Adds each `name=value` of the raw query; returns how many parameters (including `jwt`) it held. */
function addQueryParameters(params: Parameters, rawQuery: string): number {
  if (rawQuery === '') return 0;
  // Most queries hold nothing to decode: one scan here spares one per name and value.
  const plain = rawQuery.indexOf('%') === -1 && rawQuery.indexOf('+') === -1;
  let count = 0;
  let start = 0;
  // The next `=` at or after `start`, kept across pairs: searching afresh from each pair would
  // rescan the rest of the query for every valueless key (quadratic in a hostile URL).
  let eq = -2;
  while (start <= rawQuery.length) {
    let end = rawQuery.indexOf('&', start);
    if (end === -1) end = rawQuery.length;
    if (end > start) {
      if (eq !== -1 && eq < start) eq = rawQuery.indexOf('=', start);
      const hasValue = eq !== -1 && eq < end;
      const rawName = rawQuery.slice(start, hasValue ? eq : end);
      const rawValue = hasValue ? rawQuery.slice(eq + 1, end) : '';
      const name = plain ? rawName : decodeQueryComponent(rawName);
      const value = plain ? rawValue : decodeQueryComponent(rawValue);
      params.add(name, value);
      count++;
    }
    start = end + 1;
  }
  return count;
}

function addBodyParameters(params: Parameters, body: FormBody): void {
  for (const name of Object.keys(body)) {
    const value = body[name];
    if (typeof value === 'string') params.add(name, value);
    else if (Array.isArray(value) && value.every((item) => typeof item === 'string')) {
      for (const item of value) params.add(name, item);
    } else if (value !== undefined) {
      // Left out, the value would go unsigned; a nested form cannot be hashed the way the host does.
      throw new TypeError(`the form field "${name}" is not a string or a list of strings`);
    }
  }
}

/**
 * `name=value` pairs sorted by name (encoded or raw, see CanonicalDialect); a repeated name becomes
 * one entry whose raw values are sorted in UTF-16 order, each encoded, joined by a literal comma.
 */
function canonicalQuery(params: Parameters, dialect: CanonicalDialect): string {
  const { names, values } = params;
  const count = names.length;
  if (count === 0) return '';
  const encodedNames = names.map(encodeRfc3986);
  const keys = dialect === 'host' ? encodedNames : names;
  const sorted = sortPositions(keys, names, values);
  let out = '';
  let previous = -1;
  for (const i of sorted) {
    const value = encodeRfc3986(values[i] as string);
    if (previous !== -1 && names[i] === names[previous]) out += `,${value}`;
    else out += `${previous === -1 ? '' : '&'}${encodedNames[i]}=${value}`;
    previous = i;
  }
  return out;
}

/**
 * Positions 0..n-1 ordered by (key, name, value), which puts each name's values together and in
 * order: insertion sort for the usual handful (no comparator closure per request), built-in beyond.
 */
function sortPositions(keys: string[], names: string[], values: string[]): number[] {
  const count = keys.length;
  const positions = new Array<number>(count);
  for (let i = 0; i < count; i++) positions[i] = i;
  if (count > 16) return positions.sort((a, b) => comparePositions(keys, names, values, a, b));
  for (let i = 1; i < count; i++) {
    const current = positions[i] as number;
    let j = i - 1;
    while (j >= 0 && comparePositions(keys, names, values, positions[j] as number, current) > 0) {
      positions[j + 1] = positions[j] as number;
      j--;
    }
    positions[j + 1] = current;
  }
  return positions;
}

function comparePositions(keys: string[], names: string[], values: string[], a: number, b: number): number {
  return (
    compareCodeUnits(keys[a] as string, keys[b] as string) ||
    compareCodeUnits(names[a] as string, names[b] as string) ||
    compareCodeUnits(values[a] as string, values[b] as string)
  );
}

function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
