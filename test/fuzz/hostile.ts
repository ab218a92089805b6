// Generators of hostile input shared by the core and adapter fuzz suites: random requests,
// mutations of a valid token, and validly signed tokens whose header or claims have wrong types.
import { base64url, signToken } from '@connect-jwt/adapter-test-suite';
import { ConnectJwtError } from '@connect-jwt/core';
import fc from 'fast-check';

// Random seeds, so every run explores new input; a failure prints its seed, and FUZZ_SEED=<seed>
// replays that run.
if (process.env.FUZZ_SEED) fc.configureGlobal({ seed: Number(process.env.FUZZ_SEED) });

/** The 401 codes verifyRequest may answer a hostile request with (DESIGN.md). */
export const REFUSAL_CODES = new Set([
  'ERR_TOKEN_MISSING',
  'ERR_TOKEN_MALFORMED',
  'ERR_ALG_UNSUPPORTED',
  'ERR_INVALID_ISSUER',
  'ERR_INVALID_SIGNATURE',
  'ERR_TOKEN_EXPIRED',
  'ERR_TOKEN_NOT_YET_VALID',
  'ERR_QSH_MISMATCH',
  'ERR_INVALID_AUDIENCE',
]);

/** Why `error` is not a typed 401 refusal, or undefined when it is one. */
export function typedRefusalProblem(error: unknown): string | undefined {
  if (!(error instanceof ConnectJwtError)) return `not a ConnectJwtError: ${String(error)}`;
  if (!REFUSAL_CODES.has(error.code)) return `unexpected code ${error.code}`;
  if (error.status !== 401) return `${error.code} with status ${error.status}`;
  return undefined;
}

/** Percent-encodes the UTF-8 bytes of `text` (a lone surrogate becomes U+FFFD, where encodeURIComponent throws). */
export function percentEncode(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const char = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-._~]/.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Strings with the characters that break parsers: escapes, separators, non-ASCII, lone surrogates. */
export const nastyString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    '%',
    '%zz',
    '%E0%A4%A',
    '%FF%FE',
    '%00',
    '+',
    '&&',
    '==',
    '\uD800',
    '\uDFFF',
    '\u0000',
    '😀',
    'a\u0301',
    'jwt=',
    '?',
    '#',
    '..',
    '%2e%2e',
    ';',
    '[]',
    'a[b]=c',
    '__proto__',
    'constructor',
  ),
);

/** A random query string, sometimes with `jwt` parameters. */
export const queryString = fc
  .array(fc.tuple(fc.oneof(nastyString, fc.constant('jwt')), fc.option(nastyString, { nil: undefined })), {
    maxLength: 6,
  })
  .map((pairs) => pairs.map(([name, value]) => (value === undefined ? name : `${name}=${value}`)).join('&'));

/** A random JSON-ish or random-character token segment. */
const segment = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }).map((value) => base64url(JSON.stringify(value) ?? 'null')),
  fc.base64String({ maxLength: 60 }),
  fc.string({ maxLength: 30 }),
  fc.uint8Array({ maxLength: 40 }).map((bytes) => base64url(Buffer.from(bytes))),
  fc.constantFrom('', 'e30', 'eyJhbGciOiJIUzI1NiJ9', 'eyJhbGciOiJub25lIn0', 'bnVsbA', 'W10'),
);

/** Something in the shape of a token (1 to 5 segments). */
export const tokenLike = fc.array(segment, { minLength: 1, maxLength: 5 }).map((parts) => parts.join('.'));

/** Authorization header values: JWT with a token-like value, other schemes, junk, several values. */
export const authorizationValue = fc.oneof(
  tokenLike.map((token) => `JWT ${token}`),
  fc.tuple(fc.constantFrom('jwt', 'Jwt', 'JWT', 'Bearer', 'Basic', ''), tokenLike).map(([s, t]) => `${s} ${t}`),
  nastyString,
  fc.array(
    tokenLike.map((token) => `JWT ${token}`),
    { minLength: 2, maxLength: 3 },
  ),
);

/** How a valid token can be damaged. */
export type Mutation =
  | { op: 'replace'; at: number; char: string }
  | { op: 'delete'; at: number }
  | { op: 'insert'; at: number; char: string }
  | { op: 'swap-segments'; a: number; b: number }
  | { op: 'drop-segment'; index: number }
  | { op: 'duplicate-segment'; index: number }
  | { op: 'replace-segment'; index: number; with: string }
  | { op: 'truncate'; length: number }
  | { op: 'case'; at: number };

const tokenChar = fc.oneof(
  fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'),
  fc.constantFrom('.', '=', '+', '/', ' ', '%', '\u00e9', '\uD800', '\u0000'),
);

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('replace' as const), at: fc.nat(), char: tokenChar }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), char: tokenChar }),
  fc.record({ op: fc.constant('swap-segments' as const), a: fc.nat(2), b: fc.nat(2) }),
  fc.record({ op: fc.constant('drop-segment' as const), index: fc.nat(2) }),
  fc.record({ op: fc.constant('duplicate-segment' as const), index: fc.nat(2) }),
  fc.record({ op: fc.constant('replace-segment' as const), index: fc.nat(2), with: segment }),
  fc.record({ op: fc.constant('truncate' as const), length: fc.nat() }),
  fc.record({ op: fc.constant('case' as const), at: fc.nat() }),
);

export function mutate(token: string, change: Mutation): string {
  const parts = token.split('.');
  switch (change.op) {
    case 'replace': {
      const at = change.at % token.length;
      return token.slice(0, at) + change.char + token.slice(at + 1);
    }
    case 'delete': {
      const at = change.at % token.length;
      return token.slice(0, at) + token.slice(at + 1);
    }
    case 'insert': {
      const at = change.at % (token.length + 1);
      return token.slice(0, at) + change.char + token.slice(at);
    }
    case 'swap-segments': {
      const swapped = [...parts];
      [swapped[change.a], swapped[change.b]] = [parts[change.b] as string, parts[change.a] as string];
      return swapped.join('.');
    }
    case 'drop-segment':
      return parts.filter((_, index) => index !== change.index).join('.');
    case 'duplicate-segment':
      return [...parts.slice(0, change.index + 1), ...parts.slice(change.index)].join('.');
    case 'replace-segment':
      return parts.map((part, index) => (index === change.index ? change.with : part)).join('.');
    case 'truncate':
      return token.slice(0, change.length % token.length);
    case 'case': {
      const at = change.at % token.length;
      const char = token.charAt(at);
      const flipped = char === char.toUpperCase() ? char.toLowerCase() : char.toUpperCase();
      return token.slice(0, at) + flipped + token.slice(at + 1);
    }
  }
}

/** A JSON number literal that JSON.stringify cannot write: overflow, underflow, huge integers. */
const RAW_NUMBERS = [
  '1e400',
  '-1e400',
  '123456789012345678901234567890',
  '4.9e-400',
  '-0',
  '1.0e0',
  '9007199254740993',
];

/** Values of the wrong type (or absurd size) for a claim or header field. */
export const wrongValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(
    '1700000000',
    '',
    { iss: 'nested' },
    [],
    ['HS256'],
    null,
    true,
    0,
    -1,
    1e308,
    -1e308,
    Number.MAX_SAFE_INTEGER,
    2 ** 53 + 2,
    0.5,
  ),
  fc.constantFrom(...RAW_NUMBERS).map((raw) => ({ __raw: raw })),
  fc.string({ unit: 'binary', maxLength: 20 }),
);

/** JSON text with `{ __raw }` placeholders written as the literal number they hold. */
export function rawJson(value: Record<string, unknown>): string {
  const raws: string[] = [];
  const text = JSON.stringify(value, (_key, field) => {
    if (field && typeof field === 'object' && '__raw' in field) {
      raws.push(String((field as { __raw: unknown }).__raw));
      return `__RAW_${raws.length - 1}__`;
    }
    return field;
  });
  return text.replace(/"__RAW_(\d+)__"/g, (_match, index: string) => raws[Number(index)] as string);
}

export const CLAIM_NAMES = ['iss', 'iat', 'exp', 'nbf', 'qsh', 'sub', 'aud', 'context'] as const;

/** 1–3 claims replaced with wrong-typed values (or removed), possibly also a header field. */
export const claimDamage = fc.record({
  claims: fc.dictionary(fc.constantFrom(...CLAIM_NAMES), fc.option(wrongValue, { nil: undefined }), {
    minKeys: 1,
    maxKeys: 3,
  }),
  header: fc.option(
    fc.dictionary(fc.constantFrom('alg', 'typ', 'kid', 'crit', 'b64', 'jku'), wrongValue, { minKeys: 1, maxKeys: 2 }),
    { nil: undefined },
  ),
});

/** The token of `claims` (valid ones) damaged as `damage` says, signed with the right secret. */
export function damagedToken(
  claims: Record<string, unknown>,
  damage: { claims: Record<string, unknown>; header: Record<string, unknown> | undefined },
  secret: string,
): string {
  const payload: Record<string, unknown> = { ...claims };
  for (const [name, value] of Object.entries(damage.claims)) {
    if (value === undefined) delete payload[name];
    else payload[name] = value;
  }
  const header = { alg: 'HS256', typ: 'JWT', ...damage.header };
  return signToken(rawJson(header), rawJson(payload), secret);
}

/**
 * Why a token that was accepted should not have been: the claims a verified host token must
 * have, with the types they must have.
 */
export function acceptedProblem(
  payload: Record<string, unknown>,
  expected: { clientKey: string; qsh: string[] },
): string | undefined {
  const now = Date.now() / 1000;
  if (payload.iss !== expected.clientKey) return `accepted with iss ${JSON.stringify(payload.iss)}`;
  for (const claim of ['iat', 'exp'] as const) {
    const value = payload[claim];
    if (typeof value !== 'number' || !Number.isFinite(value)) return `accepted with ${claim} ${JSON.stringify(value)}`;
  }
  if ((payload.exp as number) <= now - 60) return 'accepted an expired token';
  if (payload.nbf !== undefined && (typeof payload.nbf !== 'number' || payload.nbf > now + 60)) {
    return `accepted with nbf ${JSON.stringify(payload.nbf)}`;
  }
  if (!expected.qsh.includes(payload.qsh as string)) return `accepted with qsh ${JSON.stringify(payload.qsh)}`;
  return undefined;
}
