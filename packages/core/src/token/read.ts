// The one place a request's tokens are read: the Connect JWT (header, query, form field), the
// install token (header and query) and the Forge Bearer token. The Authorization header is split
// by scheme once per request, so a route that takes both kinds does not parse it twice.
import { MalformedTokenError, MissingTokenError } from '../errors.js';
import { decodeQueryComponent } from '../lib/percent.js';
import type { ConnectRequest } from '../types/request.js';

const WHITESPACE = /\s/;
const HAS_JWT_PARAM = /[?&]jwt=/;
const BEARER = /^\s*bearer\s/i;
const JWT_SCHEME = /^\s*jwt\s/i;

/** One Authorization header value, read by scheme. */
interface AuthorizationValue {
  /** The raw value's length: each reader bounds it by its own limit before using the value. */
  length: number;
  /** `jwt` and `bearer` as any spelling of the scheme; `other` a non-blank value of another scheme. */
  scheme: 'jwt' | 'bearer' | 'other' | 'blank';
  /** `jwt`: the token, undefined when more than one word follows the scheme. */
  jwt?: string | undefined;
  /** `bearer`: what follows the scheme, trimmed (it may still hold whitespace: refused as malformed). */
  bearer?: string;
}

// Each request's header read once: the Forge check and the Connect fallback of one route (and
// their hasBearerToken test) find it here. Kept with the request's headers object, so it goes with
// the request; the value is compared too, so a headers object reused with another value is read anew.
const read = new WeakMap<object, { header: string; values: AuthorizationValue[] }>();

/** The request's Authorization header values, each read by scheme. */
function readAuthorization(request: ConnectRequest): AuthorizationValue[] {
  const headers = request.headers;
  const header = headers?.authorization;
  if (typeof header === 'string') {
    const known = read.get(headers);
    if (known !== undefined && known.header === header) return known.values;
    const values = [readValue(header)];
    read.set(headers, { header, values });
    return values;
  }
  return Array.isArray(header) ? header.filter((item): item is string => typeof item === 'string').map(readValue) : [];
}

function readValue(value: string): AuthorizationValue {
  if (isPlainJwtHeader(value)) return { length: value.length, scheme: 'jwt', jwt: value.slice(4) };
  if (JWT_SCHEME.test(value)) return { length: value.length, scheme: 'jwt', jwt: jwtSchemeToken(value) };
  if (BEARER.test(value)) return { length: value.length, scheme: 'bearer', bearer: value.trim().slice(6).trim() };
  return { length: value.length, scheme: value.trim() === '' ? 'blank' : 'other' };
}

export interface ExtractOptions {
  /** Tokens longer than this are refused before any parsing. */
  maxTokenLength: number;
}

/**
 * The token of a request: `Authorization: JWT <token>`, then `?jwt=`, then a `jwt` form field.
 * The same token in two places is fine; two different ones are refused, since we could not
 * tell which one the qsh and the caller meant.
 */
export function extractToken(request: ConnectRequest, options: ExtractOptions): string {
  // One candidate list rather than a closure per call: this runs on every request.
  const found = new TokenCandidates(options.maxTokenLength);
  let otherScheme = false;

  for (const value of readAuthorization(request)) {
    // Bound the header before its token is used.
    if (value.length > options.maxTokenLength + 64) {
      throw new MalformedTokenError(`the token is longer than ${options.maxTokenLength} characters`);
    }
    if (value.jwt !== undefined) found.consider(value.jwt);
    else if (value.scheme !== 'blank') otherScheme = true;
  }

  const url = typeof request.url === 'string' ? request.url : '';
  if (url.includes('jwt=') && HAS_JWT_PARAM.test(url)) {
    for (const candidate of queryTokens(url)) found.consider(candidate);
  }

  const body = request.body;
  if (body !== null && typeof body === 'object' && !Buffer.isBuffer(body)) {
    const field = (body as Record<string, unknown>).jwt;
    if (typeof field === 'string') found.consider(field);
    else if (Array.isArray(field)) for (const item of field) if (typeof item === 'string') found.consider(item);
  }

  const token = found.token;
  if (token === undefined || token === '') {
    throw new MissingTokenError(
      otherScheme
        ? 'the Authorization header does not use the JWT scheme and the request carries no other token'
        : 'the request carries no JWT (Authorization: JWT …, ?jwt= or a jwt form field)',
    );
  }
  return token;
}

/**
 * `JWT <token>` exactly as products send it, checked without scanning the token. Any other
 * spelling (lower case, extra spaces) takes jwtSchemeToken; a token with other whitespace inside is
 * refused later as malformed, as it could never verify anyway.
 */
function isPlainJwtHeader(value: string): boolean {
  const last = value.charCodeAt(value.length - 1);
  // A trailing character beyond printable ASCII may be Unicode whitespace that jwtSchemeToken trims.
  return value.startsWith('JWT ') && value.indexOf(' ', 4) === -1 && last > 32 && last < 127;
}

/**
 * The token of `JWT <token>` with any whitespace around and between (the scheme in any case), or
 * undefined for another scheme or a value with more than one word after it. Written out because the
 * regex `^\s*JWT\s+(\S*)\s*$` backtracks quadratically on a header of many spaces.
 */
function jwtSchemeToken(value: string): string | undefined {
  const start = value.trimStart();
  if (start.length < 4 || start.slice(0, 3).toLowerCase() !== 'jwt' || !WHITESPACE.test(start.charAt(3))) {
    return undefined;
  }
  const token = start.slice(4).trim();
  return WHITESPACE.test(token) ? undefined : token;
}

class TokenCandidates {
  token: string | undefined;

  constructor(readonly maxTokenLength: number) {}

  consider(candidate: string): void {
    if (candidate.length > this.maxTokenLength) {
      throw new MalformedTokenError(`the token is longer than ${this.maxTokenLength} characters`);
    }
    if (this.token === undefined) this.token = candidate;
    else if (this.token !== candidate) throw new MalformedTokenError('the request carries two different tokens');
  }
}

function* queryTokens(url: string): Generator<string> {
  const queryStart = url.indexOf('?');
  if (queryStart === -1) return;
  const hash = url.indexOf('#', queryStart);
  const query = url.slice(queryStart + 1, hash === -1 ? undefined : hash);
  for (const pair of query.split('&')) {
    if (pair.startsWith('jwt=')) yield decodeQueryComponent(pair.slice(4));
  }
}

/** True when the request authenticates with `Authorization: Bearer …`, the scheme Forge uses. */
export function hasBearerToken(request: ConnectRequest): boolean {
  return readAuthorization(request).some((value) => value.scheme === 'bearer');
}

/**
 * The Forge Invocation Token of `Authorization: Bearer <token>`. A request that also carries a
 * Connect token (`Authorization: JWT`, `?jwt=`) is refused: one request, one identity, or the
 * handler could be told apart from the check.
 */
export function extractBearerToken(request: ConnectRequest, maxTokenLength: number): string {
  // The shape Forge sends, checked without a regex: one `Bearer <token>` header and no `jwt=`.
  const header = request.headers?.authorization;
  if (
    typeof header === 'string' &&
    header.startsWith('Bearer ') &&
    header.length > 7 &&
    header.length <= maxTokenLength + 7 &&
    header.indexOf(' ', 7) === -1 &&
    header.charCodeAt(header.length - 1) > 32 &&
    header.charCodeAt(header.length - 1) < 127 &&
    !(typeof request.url === 'string' && request.url.includes('jwt='))
  ) {
    return header.slice(7);
  }
  let token: string | undefined;
  let connectToken = false;
  for (const value of readAuthorization(request)) {
    // Bound the header before its token is used.
    if (value.length > maxTokenLength + 64) {
      throw new MalformedTokenError(`the token is longer than ${maxTokenLength} characters`);
    }
    if (value.scheme === 'jwt') {
      connectToken = true;
      continue;
    }
    if (value.bearer === undefined) continue;
    const candidate = value.bearer;
    if (WHITESPACE.test(candidate)) throw new MalformedTokenError('the Bearer token contains whitespace');
    if (token !== undefined && token !== candidate) {
      throw new MalformedTokenError('the request carries two different Bearer tokens');
    }
    token = candidate;
  }
  if (token === undefined || token === '') {
    throw new MissingTokenError('the request carries no Forge Invocation Token (Authorization: Bearer …)');
  }
  if (token.length > maxTokenLength) {
    throw new MalformedTokenError(`the token is longer than ${maxTokenLength} characters`);
  }
  const url = typeof request.url === 'string' ? request.url : '';
  if (connectToken || (url.includes('jwt=') && HAS_JWT_PARAM.test(url))) {
    throw new MalformedTokenError('the request carries both a Bearer token and a Connect JWT');
  }
  return token;
}
