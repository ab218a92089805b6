// Random mutations of a Forge Invocation Token: it must verify exactly when `aud`, `iss`, `alg`,
// the signature and the time claims all hold, whatever else (unknown claims, principal) changes.
import { randomUUID } from 'node:crypto';
import { createFakeForge, type FakeForge } from '@connect-jwt/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyForgeInvocation } from '../../src/index.js';

let forge: FakeForge;
beforeAll(async () => {
  forge = await createFakeForge();
});
afterAll(() => forge.close());

const RESERVED = new Set(['iss', 'aud', 'exp', 'nbf', 'iat', 'app', 'context', 'principal', '__proto__']);
const otherApp = `ari:cloud:ecosystem::app/${randomUUID()}`;

const mutation = fc.record({
  aud: fc.option(fc.constantFrom<unknown>(otherApp, undefined, [otherApp], '', 42, 'our-bare-uuid')),
  iss: fc.option(fc.oneof(fc.string(), fc.constantFrom<unknown>('forge/context-token', undefined, null))),
  alg: fc.option(fc.constantFrom('none', 'HS256', 'RS384', 'RS512', 'ES256', 'PS256', 'rs256', 'RS256 ')),
  signature: fc.option(fc.constantFrom('flip', 'truncate', 'foreign', 'empty')),
  time: fc.option(fc.constantFrom('expired', 'nbf-future', 'iat-future', 'no-exp')),
  // Changes that must not matter.
  noise: fc.dictionary(
    fc.string().filter((key) => !RESERVED.has(key)),
    fc.jsonValue(),
    { maxKeys: 4 },
  ),
  principal: fc.option(fc.string({ minLength: 1 }), { nil: null }),
  audAsList: fc.boolean(),
});

function breaks(value: unknown): boolean {
  return value !== null;
}

describe('Forge claims property', () => {
  it('a token verifies if and only if aud, iss, alg, signature and time all hold', async () => {
    const options = { appId: forge.appId, jwksUrl: forge.jwksUrl };
    await fc.assert(
      fc.asyncProperty(mutation, async (m) => {
        const now = Math.floor(Date.now() / 1000);
        const claims: Record<string, unknown> = { ...m.noise };
        if (m.audAsList) claims.aud = [otherApp, forge.appId];
        if (breaks(m.aud)) {
          // The bare uuid of our own app id is the same app (compared as an ARI): not a break.
          if (m.aud === 'our-bare-uuid') m.aud = forge.appId.split('/').pop();
          claims.aud = m.aud;
          // app.id follows aud so only the audience check is exercised.
          claims.app = { id: typeof m.aud === 'string' ? m.aud : undefined };
        }
        if (breaks(m.iss)) claims.iss = m.iss;
        if (m.time === 'expired') claims.exp = now - 120;
        if (m.time === 'nbf-future') claims.nbf = now + 120;
        if (m.time === 'iat-future') claims.iat = now + 120;
        if (m.time === 'no-exp') claims.exp = undefined;
        let token = forge.mintFit({
          claims,
          principal: m.principal,
          ...(m.signature === 'foreign' && { forgery: 'foreign-key' as const }),
        });
        if (breaks(m.alg)) {
          const [header, payload, signature] = token.split('.') as [string, string, string];
          const decoded = JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
          token = `${Buffer.from(JSON.stringify({ ...decoded, alg: m.alg })).toString('base64url')}.${payload}.${signature}`;
        }
        if (m.signature === 'flip') {
          const at = token.length - 10;
          token = `${token.slice(0, at)}${token[at] === 'A' ? 'B' : 'A'}${token.slice(at + 1)}`;
        }
        if (m.signature === 'truncate') token = token.slice(0, -8);
        if (m.signature === 'empty') token = token.slice(0, token.lastIndexOf('.') + 1);

        const audBroken = breaks(m.aud) && !(typeof m.aud === 'string' && forge.appId.endsWith(`/${m.aud}`));
        const issBroken = breaks(m.iss) && m.iss !== 'forge/invocation-token';
        const shouldPass = !audBroken && !issBroken && !breaks(m.alg) && !breaks(m.signature) && !breaks(m.time);
        const outcome = await verifyForgeInvocation(
          { method: 'POST', url: '/forge', headers: { authorization: `Bearer ${token}` } },
          options,
        ).then(
          () => 'accepted',
          (error: { status?: number; code?: string }) => {
            expect(error.status).toBe(401);
            expect(error.code).toMatch(/^ERR_/);
            return 'refused';
          },
        );
        expect(outcome).toBe(shouldPass ? 'accepted' : 'refused');
      }),
      { numRuns: 300 },
    );
  });
});
