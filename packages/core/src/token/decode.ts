import type { JWTPayload } from 'jose';
import { MalformedTokenError } from '../errors.js';
import { DEFAULT_CLOCK_TOLERANCE, nowInSeconds, validateTimeClaims } from '../lib/claims.js';
import { parseCompactToken, verifyHs256 } from '../lib/compact-jws.js';

export interface DecodeOptions {
  /** Seconds of leeway for exp/nbf/iat; default 30. */
  clockTolerance?: number;
}

/** Verifies an HS256 token with `secret` (signature, then exp/nbf/iat when present) and returns its claims. */
export async function decode(token: string, secret: string, options: DecodeOptions = {}): Promise<JWTPayload> {
  if (typeof token !== 'string') throw new MalformedTokenError('the token is not a string');
  const parsed = parseCompactToken(token);
  verifyHs256(parsed, secret);
  validateTimeClaims(parsed.payload, {
    clockTolerance: options.clockTolerance ?? DEFAULT_CLOCK_TOLERANCE,
    requireTimes: false,
    now: nowInSeconds(),
  });
  return parsed.payload as JWTPayload;
}

/** The claims of a token WITHOUT any check: for logging and debugging only, never for a decision. */
export function decodeUnverified(token: string): JWTPayload {
  if (typeof token !== 'string') throw new MalformedTokenError('the token is not a string');
  const parts = token.split('.');
  if (parts.length !== 3) throw new MalformedTokenError('the token is not a compact JWS (three dot-separated parts)');
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(parts[1] as string, 'base64url').toString('utf8'));
  } catch (cause) {
    throw new MalformedTokenError('the token payload is not JSON', { cause });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new MalformedTokenError('the token payload is not a JSON object');
  }
  return value as JWTPayload;
}
