// Fuzz: whatever arrives — random bytes, random strings, valid tokens mutated or re-signed with
// ill-typed claims — verifyRequest ends in a ConnectJwtError, never another error, and never
// accepts a token other than the one that was signed.

import {
  ConnectJwtError,
  type ConnectRequest,
  computeQsh,
  createJwt,
  MemoryStore,
  verifyRequest,
} from '@connect-jwt/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CLIENT_KEY, HS256_HEADER, nowSeconds, SHARED_SECRET, signToken } from '../support/tokens.js';

const URL_PATH = '/rest/api/3/search?jql=project%3DABC&maxResults=50';
const store = new MemoryStore();
await store.set({ clientKey: CLIENT_KEY, sharedSecret: SHARED_SECRET, baseUrl: 'https://example.atlassian.net' });

async function mustRejectTyped(request: ConnectRequest): Promise<void> {
  try {
    await verifyRequest(request, { store });
  } catch (error) {
    expect(error).toBeInstanceOf(ConnectJwtError);
    const { code, status } = error as ConnectJwtError;
    expect(code).toMatch(/^ERR_/);
    expect([401, 503]).toContain(status);
    return;
  }
  throw new Error(`accepted a request it should not have: ${JSON.stringify(request).slice(0, 200)}`);
}

const anyText = fc.oneof(
  fc.string({ maxLength: 400 }),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.uint8Array({ maxLength: 400 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
  fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes).toString('base64url')),
  fc
    .array(fc.uint8Array({ maxLength: 120 }), { minLength: 1, maxLength: 5 })
    .map((parts) => parts.map((p) => Buffer.from(p).toString('base64url')).join('.')),
);

describe('verifyRequest fuzz', () => {
  it('random headers, URLs, methods and bodies end in typed errors', async () => {
    await fc.assert(
      fc.asyncProperty(
        anyText,
        anyText,
        fc.oneof(fc.constantFrom('GET', 'POST'), fc.string({ maxLength: 10 })),
        fc.option(
          fc.oneof(
            anyText,
            fc.constant('JWT ').chain((p) => anyText.map((t) => p + t)),
          ),
        ),
        fc.option(fc.oneof(fc.dictionary(fc.string({ maxLength: 5 }), fc.anything()), fc.anything())),
        async (token, url, method, authorization, body) => {
          await mustRejectTyped({
            method,
            url: `/${url}?jwt=${encodeURIComponent(token)}`,
            headers: { authorization: authorization ?? `JWT ${token}` },
            body,
          });
          await mustRejectTyped({ method, url, headers: { authorization: `JWT ${token}` } });
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('a mutated valid token is refused unless it is still the exact signed token', async () => {
    const token = await createJwt(CLIENT_KEY, SHARED_SECRET, { uri: URL_PATH, expiresIn: 3600 });
    const oneChar = fc.oneof(
      fc.constantFrom('A', 'a', '0', '-', '_', '.', '=', '+', '/', ' ', '\t', '%', '\u0000'),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
    );
    const flip = fc.tuple(fc.nat(), oneChar).map(([at, ch]) => (t: string) => {
      const i = at % t.length;
      return t.slice(0, i) + ch + t.slice(i + 1);
    });
    const drop = fc.nat().map((at) => (t: string) => t.slice(0, at % t.length) + t.slice((at % t.length) + 1));
    const insert = fc.tuple(fc.nat(), fc.string({ minLength: 1, maxLength: 3 })).map(([at, s]) => (t: string) => {
      const i = at % (t.length + 1);
      return t.slice(0, i) + s + t.slice(i);
    });
    const swap = fc.constantFrom(
      (t: string) => t.split('.').reverse().join('.'),
      (t: string) => {
        const [h, p, s] = t.split('.');
        return `${p}.${h}.${s}`;
      },
      (t: string) => {
        const [h, p] = t.split('.');
        return `${h}.${p}.${p}`;
      },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(flip, drop, insert, swap), { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        async (edits, inHeader) => {
          const mutated = edits.reduce((t, edit) => edit(t), token);
          const request: ConnectRequest = inHeader
            ? { method: 'GET', url: URL_PATH, headers: { authorization: `JWT ${mutated}` } }
            : // Raw, as a hostile client may send it; the query parser must cope with anything.
              { method: 'GET', url: `${URL_PATH}&jwt=${mutated}`, headers: {} };
          try {
            const auth = await verifyRequest(request, { store });
            // Accepted only if the verifier saw the original (e.g. a mutation that was only surrounding whitespace).
            expect(auth.token).toBe(token);
          } catch (error) {
            expect(error).toBeInstanceOf(ConnectJwtError);
          }
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('tokens re-signed with claims of the wrong types end in typed errors, never acceptance', async () => {
    // JSON text spliced in as is, for numbers no JS literal can carry (1e400 parses to Infinity).
    const rawJson = fc.constantFrom('1e400', '-1e400', '1e308', '-0', '123456789012345678901234567890');
    const wrongTyped = fc.oneof(
      fc.constantFrom<unknown>(String(nowSeconds() + 60), { $gt: 0 }, [nowSeconds() + 60], null, true, '', []),
      fc.anything(),
      rawJson.map((raw) => ({ raw })),
    );
    const claim = fc.constantFrom('iss', 'iat', 'exp', 'nbf', 'qsh');
    await fc.assert(
      fc.asyncProperty(claim, wrongTyped, async (name, value) => {
        const now = nowSeconds();
        const claims: Record<string, unknown> = {
          iss: CLIENT_KEY,
          iat: now,
          exp: now + 60,
          qsh: computeQsh('GET', URL_PATH),
        };
        // A value that happens to be valid for the claim (e.g. a generated string for qsh) is not a wrong type.
        const raw = value !== null && typeof value === 'object' && 'raw' in value ? String(value.raw) : undefined;
        claims[name] = raw === undefined ? value : '__RAW__';
        const payload = JSON.stringify(claims).replace('"__RAW__"', raw ?? '"__RAW__"');
        const token = signToken(HS256_HEADER, payload);
        try {
          await verifyRequest({ method: 'GET', url: URL_PATH, headers: { authorization: `JWT ${token}` } }, { store });
        } catch (error) {
          expect(error).toBeInstanceOf(ConnectJwtError);
          return;
        }
        // Acceptance is only right if the replaced claim is still valid for its kind.
        const parsed = (JSON.parse(payload) as Record<string, unknown>)[name];
        const stillValid =
          (name === 'nbf' && parsed === undefined) ||
          (name === 'nbf' && typeof parsed === 'number' && Number.isFinite(parsed) && parsed <= now + 30) ||
          (name === 'iat' && typeof parsed === 'number' && Number.isFinite(parsed) && parsed <= now + 30) ||
          (name === 'exp' && typeof parsed === 'number' && Number.isFinite(parsed) && parsed > now - 30);
        expect(stillValid).toBe(true);
      }),
      { numRuns: 1500 },
    );
  });
});
