import { MalformedTokenError, MissingTokenError } from '../errors.js';
import { decodeQueryComponent } from '../lib/percent.js';
import type { ConnectRequest } from '../types/request.js';

const WHITESPACE = /\s/;
const HAS_JWT_PARAM = /[?&]jwt=/;

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

  const authorization = request.headers.authorization;
  const values =
    typeof authorization === 'string' ? [authorization] : Array.isArray(authorization) ? authorization : [];
  for (const value of values) {
    if (typeof value !== 'string') continue;
    // Bound the header before anything scans it.
    if (value.length > options.maxTokenLength + 64) {
      throw new MalformedTokenError(`the token is longer than ${options.maxTokenLength} characters`);
    }
    if (isPlainJwtHeader(value)) {
      found.consider(value.slice(4));
      continue;
    }
    const token = jwtSchemeToken(value);
    if (token !== undefined) found.consider(token);
    else if (value.trim() !== '') otherScheme = true;
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
