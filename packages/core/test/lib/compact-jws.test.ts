// Differential test: our node:crypto HS256 path (src/lib/compact-jws.ts + src/lib/claims.ts, reached
// through `decode`) must accept exactly the tokens `jose.jwtVerify(token, key, { algorithms: ['HS256'],
// clockTolerance })` accepts, over valid, tampered and malformed tokens. Intentional differences,
// each stricter than jose:
//  - an `iat` in the future beyond the tolerance is refused (jose checks iat only with maxTokenAge);
//  - a time claim that JSON reads as ±Infinity (e.g. `1e400`) is refused (jose lets exp=Infinity live forever);
//  - a segment with characters outside base64url (`=` padding, whitespace) is refused: RFC 7515 has
//    none, and jose on Node 20 decodes with atob, which forgives both;
//  - a signature whose last character has non-zero spare bits is refused (jose decodes it to the
//    same bytes, so one signature would have several spellings).

import { SHARED_SECRET, signToken } from '@connect-jwt/adapter-test-suite';
import { type ConnectJwtError, decode, isConnectJwtError } from '@connect-jwt/core';
import fc from 'fast-check';
import { jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseCompactToken, verifyHs256 } from '../../src/lib/compact-jws.js';

const NOW = 1_764_000_000;
const key = new TextEncoder().encode(SHARED_SECRET);

beforeAll(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW * 1000);
});
afterAll(() => {
  vi.useRealTimers();
});

const timeValue = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: -400, max: 400 }).map((offset) => NOW + offset) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(undefined, String(NOW + 60), null, true, [NOW], { n: NOW }) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(NOW + 0.5, -1, 0, 1e15, Number.MAX_SAFE_INTEGER * 4) },
);

const validClaims = fc.record({
  iss: fc.constant('client-key'),
  iat: fc.integer({ min: NOW - 300, max: NOW }),
  exp: fc.integer({ min: NOW - 60, max: NOW + 600 }),
  qsh: fc.constant('context-qsh'),
});

const anyClaims = fc.record(
  {
    iss: fc.oneof(fc.constant('client-key'), fc.constantFrom<unknown>(42, { a: 1 }, ['x'], null, '')),
    iat: timeValue,
    exp: timeValue,
    nbf: timeValue,
    qsh: fc.constantFrom<unknown>('context-qsh', 'a'.repeat(64), 7),
    sub: fc.string({ maxLength: 12 }),
    aud: fc.constantFrom<unknown>('https://addon', ['a', 'b'], 5),
  },
  { requiredKeys: ['iss'] },
);

const claimsArbitrary = fc.oneof({ weight: 2, arbitrary: validClaims }, { weight: 1, arbitrary: anyClaims });

const headerArbitrary = fc.oneof(
  { weight: 8, arbitrary: fc.constant<Record<string, unknown>>({ alg: 'HS256', typ: 'JWT' }) },
  { weight: 1, arbitrary: fc.constant<Record<string, unknown>>({ alg: 'HS256' }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom<Record<string, unknown>>(
      { alg: 'none' },
      { alg: 'HS384', typ: 'JWT' },
      { alg: 'HS512' },
      { alg: 'RS256' },
      { alg: 'hs256' },
      { typ: 'JWT' },
      { alg: 'HS256', crit: ['exp'], exp: 1 },
      { alg: 'HS256', b64: false, crit: ['b64'] },
      { alg: 'HS256', kid: '../../etc', typ: 'at+jwt' },
    ),
  },
);

/** Raw segments, so the test also feeds non-object JSON and non-JSON. */
const segmentText = (json: fc.Arbitrary<unknown>) =>
  fc.oneof(
    { weight: 10, arbitrary: json.map((v) => JSON.stringify(v)) },
    {
      weight: 1,
      arbitrary: fc.constantFrom('null', '[1]', '"str"', '{', '', '{"exp":1e400,"iss":"x"}', '{"iat":-1e400}'),
    },
  );

const mutation = fc.oneof(
  { weight: 6, arbitrary: fc.constant((t: string) => t) },
  {
    weight: 6,
    arbitrary: fc
      .tuple(fc.nat(), fc.constantFrom('A', 'B', 'Q', 'g', 'w', '-', '_', '=', '.', '+', '/', ' ', '%', 'é'))
      .map(([at, ch]) => (t: string) => {
        const i = at % t.length;
        return t.slice(0, i) + ch + t.slice(i + 1);
      }),
  },
  {
    weight: 2,
    arbitrary: fc.nat().map((at) => (t: string) => {
      const i = at % t.length;
      return t.slice(0, i) + t.slice(i + 1);
    }),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      (t: string) => t.split('.').reverse().join('.'),
      (t: string) => {
        const [h, p, s] = t.split('.');
        return `${p}.${h}.${s}`;
      },
      (t: string) => `${t}=`,
      (t: string) => t.replace(/\.[^.]*$/, '.'),
      (t: string) => `${t}.`,
      (t: string) => ` ${t}`,
    ),
  },
);

async function outcome<T>(run: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  try {
    return { ok: true, value: await run() };
  } catch (error) {
    return { ok: false, error };
  }
}

const STRICT_COMPACT = /^[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/;

function isIntentionalDifference(token: string, tolerance: number): boolean {
  if (!STRICT_COMPACT.test(token)) return true;
  const signature = token.slice(token.lastIndexOf('.') + 1);
  if (Buffer.from(signature, 'base64url').toString('base64url') !== signature) return true;
  let payload: Record<string, unknown>;
  try {
    payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
  } catch {
    return false;
  }
  if (payload === null || typeof payload !== 'object') return false;
  const { iat, exp, nbf } = payload;
  if (typeof iat === 'number' && iat > NOW + tolerance) return true;
  return [iat, exp, nbf].some((v) => typeof v === 'number' && !Number.isFinite(v));
}

describe('compact-jws + claims against jose.jwtVerify', () => {
  it('accepts and rejects the same tokens, and returns the same claims', async () => {
    const counts = { accepted: 0, rejected: 0, intentional: 0 };
    await fc.assert(
      fc.asyncProperty(
        segmentText(headerArbitrary),
        segmentText(claimsArbitrary),
        fc.constantFrom(SHARED_SECRET, SHARED_SECRET, SHARED_SECRET, 'wrong-secret'),
        mutation,
        fc.constantFrom(0, 30, 120),
        async (header, payload, secret, mutate, clockTolerance) => {
          const token = mutate(signToken(header, payload, secret));
          const ours = await outcome(() => decode(token, SHARED_SECRET, { clockTolerance }));
          const theirs = await outcome(
            async () => (await jwtVerify(token, key, { algorithms: ['HS256'], clockTolerance })).payload,
          );
          if (!ours.ok) {
            // Whatever jose thinks, our rejection is always one of our typed errors.
            expect(isConnectJwtError(ours.error)).toBe(true);
          }
          if (ours.ok !== theirs.ok && isIntentionalDifference(token, clockTolerance)) {
            expect(ours.ok).toBe(false);
            counts.intentional++;
            return;
          }
          expect(ours.ok).toBe(theirs.ok);
          if (ours.ok && theirs.ok) {
            expect(ours.value).toEqual(theirs.value);
            counts.accepted++;
          } else counts.rejected++;
        },
      ),
      { numRuns: 3000 },
    );
    // Both outcomes must be well represented, or the comparison proves little.
    expect(counts.accepted).toBeGreaterThan(300);
    expect(counts.rejected).toBeGreaterThan(300);
    expect(counts.intentional).toBeGreaterThan(0);
  });

  it('refuses a future iat that jose accepts (intentional)', async () => {
    const token = signToken(
      '{"alg":"HS256"}',
      JSON.stringify({ iss: 'x', iat: NOW + 3600, exp: NOW + 3700 }),
      SHARED_SECRET,
    );
    await expect(jwtVerify(token, key, { algorithms: ['HS256'] })).resolves.toBeDefined();
    const error = (await outcome(() => decode(token, SHARED_SECRET))) as { ok: false; error: ConnectJwtError };
    expect(error.ok).toBe(false);
    expect(error.error.code).toBe('ERR_TOKEN_NOT_YET_VALID');
  });

  it('refuses exp = 1e400 (Infinity) that jose accepts as never expiring (intentional)', async () => {
    const token = signToken('{"alg":"HS256"}', '{"iss":"x","exp":1e400}', SHARED_SECRET);
    await expect(jwtVerify(token, key, { algorithms: ['HS256'] })).resolves.toBeDefined();
    await expect(decode(token, SHARED_SECRET)).rejects.toMatchObject({ code: 'ERR_TOKEN_MALFORMED' });
  });

  it('refuses base64 padding in the signature that jose forgives (intentional)', async () => {
    const token = `${signToken('{"alg":"HS256"}', '{"iss":"x"}', SHARED_SECRET)}=`;
    await expect(jwtVerify(token, key, { algorithms: ['HS256'] })).resolves.toBeDefined();
    await expect(decode(token, SHARED_SECRET)).rejects.toMatchObject({ code: 'ERR_TOKEN_MALFORMED' });
  });

  it('refuses a second spelling of the same signature that jose accepts (intentional)', async () => {
    const token = signToken('{"alg":"HS256"}', '{"iss":"x"}', SHARED_SECRET);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    // 43 characters carry 32 bytes: the last one has 2 spare bits, so these decode alike.
    const twin = token.slice(0, -1) + alphabet[alphabet.indexOf(token.at(-1) as string) + 1];
    expect(Buffer.from(twin.split('.')[2] as string, 'base64url')).toEqual(
      Buffer.from(token.split('.')[2] as string, 'base64url'),
    );
    await expect(jwtVerify(twin, key, { algorithms: ['HS256'] })).resolves.toBeDefined();
    await expect(decode(twin, SHARED_SECRET)).rejects.toMatchObject({ code: 'ERR_TOKEN_MALFORMED' });
    await expect(decode(token, SHARED_SECRET)).resolves.toMatchObject({ iss: 'x' });
  });

  it('checks the signature over the exact bytes and in constant time on equal lengths', () => {
    const token = signToken('{"alg":"HS256"}', '{"iss":"x"}', SHARED_SECRET);
    const parsed = parseCompactToken(token);
    expect(() => verifyHs256(parsed, SHARED_SECRET)).not.toThrow();
    expect(() => verifyHs256(parsed, `${SHARED_SECRET}x`)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_SIGNATURE' }),
    );
    const short = parseCompactToken(`${token.split('.').slice(0, 2).join('.')}.AAAA`);
    expect(() => verifyHs256(short, SHARED_SECRET)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_SIGNATURE' }));
  });
});
