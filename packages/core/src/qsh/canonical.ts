import { decodeQueryComponent, encodeRfc3986 } from '../lib/percent.js';
import { basePathOf, requestTarget, wireRequestTarget } from './request-target.js';

/** A parsed form body (`application/x-www-form-urlencoded`), as body parsers produce it. */
export type FormBody = Record<string, string | string[] | undefined>;

/** Whether form fields take part in the qsh; see DESIGN.md "Form bodies". */
export type FormParamsPolicy = 'none' | 'fallback' | 'merge';

export interface CanonicalRequestOptions {
  /** Base URL (or bare path) whose path prefix is stripped: Confluence's `/wiki`, an add-on's mount path. */
  baseUrl?: string | undefined;
  /** The parsed form body, used only when `formParams` says so. */
  body?: FormBody | undefined;
  /** `none` (default): ignore the body; `fallback`: a POST/PUT without a query hashes the form; `merge`: both. */
  formParams?: FormParamsPolicy | undefined;
  /**
   * `as-given` (default): the target is hashed exactly as passed, as a received one must be.
   * `wire`: for a request about to be sent, a string that is not a valid request target (a space,
   * a non-ASCII character, a backslash) is first serialised as `fetch` will send it (`%20`,
   * `%C3%A9`, `/`); a valid one is used as given. createJwt, signRequest and productFetch use it.
   */
  requestTarget?: 'as-given' | 'wire' | undefined;
}

/** How parameter names are ordered: the Java host sorts encoded names; the atlassian-jwt npm package raw ones. */
export type ParameterOrder = 'encoded' | 'raw';

const AMPERSAND = /&/g;

/**
 * The canonical request `METHOD&PATH&QUERY` whose SHA-256 is the qsh claim, built exactly
 * as the Atlassian host (Java) builds it, so tokens it issues verify and tokens we sign pass.
 */
export function canonicalRequest(method: string, uri: string, options?: CanonicalRequestOptions): string {
  const target = options?.requestTarget === 'wire' ? wireRequestTarget(uri) : uri;
  return buildCanonicalRequest(method, target, options, 'encoded');
}

/** @internal canonicalRequest with a chosen parameter order. */
export function buildCanonicalRequest(
  method: string,
  uri: string,
  options: CanonicalRequestOptions | undefined,
  order: ParameterOrder,
): string {
  const target = requestTarget(uri);
  const queryStart = target.indexOf('?');
  const rawPath = queryStart === -1 ? target : target.slice(0, queryStart);
  const rawQuery = queryStart === -1 ? '' : target.slice(queryStart + 1);
  const upperMethod = method.toUpperCase();
  const path = canonicalPath(rawPath, options?.baseUrl);
  const params = collectParameters(upperMethod, rawQuery, options);
  return `${upperMethod}&${path}&${canonicalQuery(params, order)}`;
}

function canonicalPath(rawPath: string, baseUrl: string | undefined): string {
  let path = rawPath;
  const basePath = basePathOf(baseUrl);
  // The host strips its context path (or our mount path) as a plain prefix, not per segment.
  if (basePath !== '' && path.startsWith(basePath)) path = path.slice(basePath.length);
  if (path === '') return '/';
  if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  if (path.charCodeAt(0) !== 47 /* / */) path = `/${path}`;
  // `&` separates the three parts of the canonical request, so it cannot stay raw in the path.
  return path.includes('&') ? path.replace(AMPERSAND, '%26') : path;
}

/**
 * The canonical request the Java host signs for a path ending in `//`: it drops one trailing `/`
 * building the URL and another canonicalizing it (`GET /trailing//` is `GET&/trailing&`), where
 * we drop one. Undefined when the path does not end that way. For inbound verification only:
 * outbound, the host builds the canonical request from what we send, as we do.
 */
export function hostDoubleSlashForm(canonical: string): string | undefined {
  const pathStart = canonical.indexOf('&') + 1;
  const pathEnd = canonical.indexOf('&', pathStart);
  if (pathEnd - pathStart < 2 || canonical.charCodeAt(pathEnd - 1) !== 47 /* / */) return undefined;
  return canonical.slice(0, pathEnd - 1) + canonical.slice(pathEnd);
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
 * `name=value` pairs sorted by name (encoded or raw, see ParameterOrder); a repeated name becomes one
 * entry whose raw values are sorted in UTF-16 order, each encoded, joined by a literal comma.
 */
function canonicalQuery(params: Parameters, order: ParameterOrder): string {
  const { names, values } = params;
  const count = names.length;
  if (count === 0) return '';
  const encodedNames = names.map(encodeRfc3986);
  const keys = order === 'encoded' ? encodedNames : names;
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
