import { timingSafeEqual } from 'node:crypto';
import { compactVerify } from 'jose';
import { ConnectJwtError, InvalidInstallError } from '../errors.js';
import { nowInSeconds, validateTimeClaims } from '../lib/claims.js';
import { parseCompactToken } from '../lib/compact-jws.js';
import { trimTrailingSlash } from '../lib/url.js';
import { computeQsh } from '../qsh/hash.js';
import { DEFAULT_MAX_TOKEN_LENGTH } from '../request/verify.js';
import { extractToken } from '../token/read.js';
import type { ConnectRequest } from '../types/request.js';
import type { InstallKeyProvider } from './key-provider.js';

export interface InstallTokenOptions {
  keys: InstallKeyProvider;
  /** Accepted `aud` values, without a trailing `/`. */
  audiences: readonly string[];
  clockTolerance: number;
}

/** What a verified install token says: who signed the callback, for which of our base URLs. */
export interface VerifiedInstallToken {
  /** The `iss` claim: the clientKey of the installation. */
  clientKey: string;
  /** The configured base URL the token's `aud` matched. */
  audience: string;
  /** The raw token, to remember it as used. */
  token: string;
  payload: Record<string, unknown>;
}

/**
 * Verifies the RS256 token Atlassian signs lifecycle callbacks with. Every refusal is an
 * InvalidInstallError (401) whose cause is the precise failure; a key server that cannot
 * answer is a StoreUnavailableError (503), so an outage is never mistaken for a forgery.
 */
export async function verifyInstallToken(
  request: ConnectRequest,
  options: InstallTokenOptions,
): Promise<VerifiedInstallToken> {
  try {
    return await verify(request, options);
  } catch (error) {
    if (error instanceof ConnectJwtError && error.status === 401 && !(error instanceof InvalidInstallError)) {
      throw new InvalidInstallError(`signed install refused: ${error.message}`, { cause: error });
    }
    throw error;
  }
}

async function verify(request: ConnectRequest, options: InstallTokenOptions): Promise<VerifiedInstallToken> {
  // Only header and query: the JSON body is the install payload, not a place for a token.
  const token = extractToken(
    { method: request.method, url: request.url, headers: request.headers },
    { maxTokenLength: DEFAULT_MAX_TOKEN_LENGTH },
  );
  // RS256 is fixed here, never read from the header: an HS256 token "signed" with a secret the
  // attacker chose (or the stored shared secret) and `alg: none` are refused before any key is used.
  const parsed = parseCompactToken(token, 'RS256');
  const key = await options.keys.getKey(parsed.header.kid);
  try {
    await compactVerify(token, key, { algorithms: ['RS256'] });
  } catch (cause) {
    throw new InvalidInstallError('the install token signature does not match the key server key', { cause });
  }

  const payload = parsed.payload;
  if (payload.exp === undefined) throw new InvalidInstallError('the install token has no "exp" claim');
  validateTimeClaims(payload, { clockTolerance: options.clockTolerance, requireTimes: false, now: nowInSeconds() });

  const clientKey = payload.iss;
  if (typeof clientKey !== 'string' || clientKey === '') {
    throw new InvalidInstallError('the install token has no "iss" claim naming the installation');
  }
  const audience = matchAudience(payload.aud, options.audiences);

  // The qsh binds the token to this callback: an install token cannot be replayed on /uninstalled.
  const qsh = payload.qsh;
  if (qsh === undefined) throw new InvalidInstallError('the install token has no "qsh" claim');
  const expected = computeQsh(request.method, request.url, {
    baseUrl: audience,
    // A received target is hashed as it came.
    requestTarget: 'as-given',
  });
  if (typeof qsh !== 'string' || !sameText(qsh, expected)) {
    throw new InvalidInstallError('the install token qsh does not match this lifecycle request');
  }
  return { clientKey, audience, token, payload };
}

// Exact comparison only: a prefix test would accept `https://addon.example.com.evil.io`
// for `https://addon.example.com`, i.e. a token Atlassian signed for someone else's app.
function matchAudience(aud: unknown, audiences: readonly string[]): string {
  const claimed = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : [];
  for (const value of claimed) {
    if (typeof value !== 'string') continue;
    const match = audiences.find((audience) => audience === trimTrailingSlash(value));
    if (match !== undefined) return match;
  }
  throw new InvalidInstallError(
    aud === undefined
      ? 'the install token has no "aud" claim'
      : 'the install token "aud" is not one of the add-on base URLs',
  );
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}
