import { InvalidIssuerError, MalformedTokenError, TokenExpiredError, TokenNotYetValidError } from '../errors.js';
import { hasClientKeyCharacters, MAX_CLIENT_KEY_LENGTH } from './client-key.js';

/** Seconds of leeway for exp/nbf/iat unless an option says otherwise: clocks of hosts and add-ons drift. */
export const DEFAULT_CLOCK_TOLERANCE = 30;

export interface TimeClaimOptions {
  /** Seconds of leeway for exp, nbf and iat. */
  clockTolerance: number;
  /** Reject tokens whose `exp - iat` exceeds this many seconds. */
  maxTokenAge?: number | undefined;
  /** Require `exp` and `iat` (host tokens do; a generic decode does not). */
  requireTimes: boolean;
  /** Current time in seconds. */
  now: number;
}

function numericDate(payload: Record<string, unknown>, claim: string, required: boolean): number | undefined {
  const value = payload[claim];
  if (value === undefined) {
    if (required) throw new MalformedTokenError(`the token has no "${claim}" claim`);
    return undefined;
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new MalformedTokenError(`the token "${claim}" claim is not a number`);
  }
  return value;
}

/**
 * The `iss` claim, the only claim read before the signature is checked (to find the secret).
 * Anyone can put anything there, so it is refused unless it could be a clientKey, before any store
 * sees it: a store error would be a 503, a "store down" alarm anyone could raise at will.
 */
export function readIssuer(payload: Record<string, unknown>): string {
  const iss = payload.iss;
  if (typeof iss !== 'string' || iss === '') {
    throw new InvalidIssuerError('the token has no "iss" claim naming the installation');
  }
  if (iss.length > MAX_CLIENT_KEY_LENGTH) {
    throw new InvalidIssuerError(`the token "iss" claim is longer than ${MAX_CLIENT_KEY_LENGTH} characters`);
  }
  if (!hasClientKeyCharacters(iss)) {
    throw new InvalidIssuerError('the token "iss" claim holds characters a clientKey cannot have');
  }
  return iss;
}

/** Validates exp, nbf, iat and the token's lifetime; call only after the signature is verified. */
export function validateTimeClaims(payload: Record<string, unknown>, options: TimeClaimOptions): void {
  const { clockTolerance, now } = options;
  const exp = numericDate(payload, 'exp', options.requireTimes);
  const iat = numericDate(payload, 'iat', options.requireTimes);
  const nbf = numericDate(payload, 'nbf', false);
  if (exp !== undefined && now - clockTolerance >= exp) {
    throw new TokenExpiredError('the token has expired');
  }
  if (nbf !== undefined && nbf > now + clockTolerance) {
    throw new TokenNotYetValidError('the token is not valid yet ("nbf" is in the future)');
  }
  if (iat !== undefined && iat > now + clockTolerance) {
    throw new TokenNotYetValidError('the token was issued in the future ("iat")');
  }
  if (options.maxTokenAge !== undefined && exp !== undefined && iat !== undefined && exp - iat > options.maxTokenAge) {
    throw new TokenExpiredError(`the token lifetime exceeds maxTokenAge (${options.maxTokenAge} s)`);
  }
}

export function nowInSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
