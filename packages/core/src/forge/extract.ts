import { MalformedTokenError, MissingTokenError } from '../errors.js';
import type { ConnectRequest } from '../types/request.js';

const BEARER = /^\s*bearer\s/i;
const JWT_SCHEME = /^\s*jwt\s/i;
const HAS_JWT_PARAM = /[?&]jwt=/;

function authorizationValues(request: ConnectRequest): string[] {
  const value = request.headers?.authorization;
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

/** True when the request authenticates with `Authorization: Bearer …`, the scheme Forge uses. */
export function hasBearerToken(request: ConnectRequest): boolean {
  return authorizationValues(request).some((value) => BEARER.test(value));
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
  for (const value of authorizationValues(request)) {
    // Bound the header before anything scans it.
    if (value.length > maxTokenLength + 64) {
      throw new MalformedTokenError(`the token is longer than ${maxTokenLength} characters`);
    }
    if (JWT_SCHEME.test(value)) {
      connectToken = true;
      continue;
    }
    if (!BEARER.test(value)) continue;
    const candidate = value.trim().slice(6).trim();
    if (/\s/.test(candidate)) throw new MalformedTokenError('the Bearer token contains whitespace');
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
