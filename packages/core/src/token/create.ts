import { type JWTPayload, SignJWT } from 'jose';
import { secretKeyBytes } from '../lib/secret-key.js';
import { CONTEXT_QSH, computeQsh } from '../qsh/hash.js';

export type { JWTPayload };

export interface CreateJwtOptions {
  /** HTTP method of the request the token is for; default `GET`. */
  method?: string;
  /** Path + query, or absolute URL, of that request; default `/`. */
  uri?: string;
  /** Base URL whose path prefix is stripped before hashing (e.g. Confluence's `/wiki`). */
  baseUrl?: string;
  /** Lifetime in seconds; default 180, as Atlassian's own tokens. */
  expiresIn?: number;
  /** `sub`: the Atlassian accountId the call is made for. */
  subject?: string;
  audience?: string | string[];
  /** `true`: a context token (`qsh: "context-qsh"`), as `AP.context.getToken()` returns. */
  context?: boolean;
  /** Extra claims; `iss`, `iat`, `exp` and `qsh` computed here take precedence. */
  claims?: Record<string, unknown>;
  /** Issue time as a Date or epoch milliseconds; for tests. */
  now?: Date | number;
}

export const DEFAULT_EXPIRES_IN = 180;

/** A compact HS256 token for one request: `iss`, `iat`, `exp` and the request's `qsh`. */
export async function createJwt(issuer: string, secret: string, options: CreateJwtOptions = {}): Promise<string> {
  if (typeof issuer !== 'string' || issuer === '') throw new TypeError('createJwt: issuer must be a non-empty string');
  const nowMs =
    options.now === undefined ? Date.now() : typeof options.now === 'number' ? options.now : options.now.getTime();
  if (!Number.isFinite(nowMs)) throw new TypeError('createJwt: now must be a valid Date or epoch milliseconds');
  const expiresIn = options.expiresIn ?? DEFAULT_EXPIRES_IN;
  if (!Number.isFinite(expiresIn)) throw new TypeError('createJwt: expiresIn must be a number of seconds');
  const iat = Math.floor(nowMs / 1000);
  const qsh = options.context
    ? CONTEXT_QSH
    : // The token is for a request about to be sent: hashed as the target will go on the wire (the default).
      computeQsh(options.method ?? 'GET', options.uri ?? '/', { baseUrl: options.baseUrl });
  const payload: JWTPayload = { ...options.claims, iss: issuer, iat, exp: iat + expiresIn, qsh };
  if (options.subject !== undefined) payload.sub = options.subject;
  if (options.audience !== undefined) payload.aud = options.audience;
  return encode(payload, secret);
}

/** Signs `payload` exactly as given with HS256 (header `{"alg":"HS256","typ":"JWT"}`). */
export async function encode(payload: JWTPayload, secret: string): Promise<string> {
  if (typeof secret !== 'string' || secret === '') throw new TypeError('encode: secret must be a non-empty string');
  return new SignJWT(payload).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(secretKeyBytes(secret));
}
