// The one fuzzer of verifyRequest: it shares its hostile generators with the adapters' fuzzer
// (./adapters.test.ts) and reports to the reliability run. Whatever comes in, what comes out is
// an accepted token that really is valid for this request, or a typed ConnectJwtError (401, a
// code from DESIGN.md). Never another kind of exception, never a crash.
import { signToken } from '@connect-jwt/adapter-test-suite';
import { computeQsh, createJwt, MemoryStore, verifyRequest } from '@connect-jwt/core';
import fc from 'fast-check';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { recordRow } from '../support/reliability/report.ts';
import { settings } from '../support/reliability/settings.ts';
import {
  acceptedProblem,
  authorizationValue,
  claimDamage,
  damagedToken,
  mutate,
  mutation,
  nastyString,
  percentEncode,
  queryString,
  typedRefusalProblem,
} from './hostile.ts';

const clientKey = 'fuzz-client-key';
const sharedSecret = 'fuzz-shared-secret-with-enough-entropy-0123456789';
const store = new MemoryStore();
await store.set({ clientKey, sharedSecret, baseUrl: 'https://fuzz.atlassian.net' });
const options = { store };
const runs = settings.fuzzRuns;
interface Tally {
  property: string;
  runs: number;
  accepted: number;
  refused: Record<string, number>;
  failure?: string;
}
const tally: Tally[] = [];

afterAll(() => {
  const total = tally.reduce((sum, entry) => sum + entry.runs, 0);
  const codes = new Set(tally.flatMap((entry) => Object.keys(entry.refused)));
  const failures = tally.filter((entry) => entry.failure);
  recordRow(inject('reliabilityResultsDir'), {
    suite: 'fuzz',
    tried: `verifyRequest (core, in process): ${tally.map((entry) => entry.property).join('; ')}`,
    amount: `${total} requests over ${tally.length} properties (up to ${runs} runs each; fast-check, random seed)`,
    result: failures.length
      ? failures.map((entry) => `${entry.property}: ${entry.failure}`).join('; ')
      : `only typed ConnectJwtErrors (401) came out, ${codes.size} distinct codes (${[...codes].sort().join(', ')}); accepted only tokens valid for the request (${tally.reduce((sum, entry) => sum + entry.accepted, 0)} accepted, all checked); no other exception`,
    ok: failures.length === 0,
  });
});

/** Runs verifyRequest and checks its outcome; returns what happened for the tally. */
async function outcome(
  request: Parameters<typeof verifyRequest>[0],
  accept: (payload: Record<string, unknown>) => string | undefined,
): Promise<string> {
  let payload: Record<string, unknown>;
  try {
    payload = (await verifyRequest(request, options)).payload as Record<string, unknown>;
  } catch (error) {
    const problem = typedRefusalProblem(error);
    if (problem) throw new Error(problem, { cause: error });
    return (error as { code: string }).code;
  }
  const problem = accept(payload);
  if (problem) throw new Error(problem);
  return 'accepted';
}

/** Runs one property, counting outcomes by code for the report (and noting a failure in it). */
async function property(name: string, body: (count: (result: string) => void) => Promise<void>): Promise<void> {
  const entry: Tally = { property: name, runs: 0, accepted: 0, refused: {} };
  tally.push(entry);
  try {
    await body((result) => {
      entry.runs++;
      if (result === 'accepted') entry.accepted++;
      else entry.refused[result] = (entry.refused[result] ?? 0) + 1;
    });
  } catch (error) {
    entry.failure = String(error).split('\n')[0];
    throw error;
  }
  expect(entry.runs).toBeGreaterThan(0);
}

const never = () => 'accepted a request that carries no valid token';

describe('verifyRequest under hostile input', () => {
  it('refuses random requests (method, URL, headers, body) with typed errors only', async () => {
    await property('random method, URL, headers and body', async (count) => {
      const header = fc.oneof(nastyString, fc.array(nastyString, { maxLength: 3 }), fc.constant(undefined));
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(fc.constantFrom('GET', 'POST', 'get', 'PUT', 'DELETE', 'HEAD', ''), nastyString),
          fc.tuple(nastyString, queryString, fc.boolean()),
          fc.dictionary(fc.string({ maxLength: 12 }), header, { maxKeys: 4 }),
          fc.option(authorizationValue, { nil: undefined }),
          fc.oneof(
            fc.constant(undefined),
            fc.jsonValue({ maxDepth: 2 }),
            fc.dictionary(fc.constantFrom('jwt', 'a'), nastyString),
          ),
          async (method, [path, query, absolute], headers, authorization, body) => {
            const url = `${absolute ? 'https://addon.example.com' : ''}/${path}${query ? `?${query}` : ''}`;
            const request = { method, url, headers: { ...headers, authorization }, body };
            count(await outcome(request, never));
          },
        ),
        { numRuns: runs },
      );
    });
  });

  it('refuses every mutation of a valid token', async () => {
    await property('one or two mutations of a valid token (characters, segments, truncation, case)', async (count) => {
      const url = '/hello?xdm_e=https%3A%2F%2Ffuzz.atlassian.net&lic=none';
      const token = await createJwt(clientKey, sharedSecret, { uri: url, expiresIn: 3600 });
      // The unmutated token passes: the refusals below are the mutations' doing.
      await verifyRequest({ method: 'GET', url, headers: { authorization: `JWT ${token}` } }, options);
      await fc.assert(
        fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 2 }), fc.boolean(), async (changes, inQuery) => {
          const mutated = changes.reduce(mutate, token);
          const request = inQuery
            ? { method: 'GET', url: `${url}&jwt=${percentEncode(mutated)}`, headers: {} }
            : { method: 'GET', url, headers: { authorization: `JWT ${mutated}` } };
          // Header whitespace around the token is no change to it.
          const same = (inQuery ? mutated : mutated.trim()) === token;
          count(await outcome(request, () => (same ? undefined : `accepted the mutated token ${mutated}`)));
        }),
        { numRuns: runs },
      );
    });
  });

  it('refuses validly signed tokens whose claims or header have wrong types, unless they are still valid', async () => {
    await property(
      'validly signed tokens with 1–3 claims (iss, iat, exp, nbf, qsh, sub, aud, context) of wrong types, huge or unparsable numbers, and odd header fields',
      async (count) => {
        const url = '/hello?n=1';
        const qsh = computeQsh('GET', url);
        await fc.assert(
          fc.asyncProperty(claimDamage, async (damage) => {
            const iat = Math.floor(Date.now() / 1000);
            const claims = { iss: clientKey, iat, exp: iat + 600, qsh, sub: 'account-1' };
            const token = damagedToken(claims, damage, sharedSecret);
            const request = { method: 'GET', url, headers: { authorization: `JWT ${token}` } };
            count(await outcome(request, (payload) => acceptedProblem(payload, { clientKey, qsh: [qsh] })));
          }),
          { numRuns: runs },
        );
      },
    );
  });

  it('refuses tokens whose payload is not UTF-8 or not JSON, signed with the right secret', async () => {
    await property('validly signed tokens with non-UTF-8 bytes or random bytes as the payload', async (count) => {
      const url = '/hello';
      const qsh = computeQsh('GET', url);
      await fc.assert(
        fc.asyncProperty(fc.uint8Array({ maxLength: 40 }), fc.boolean(), async (bytes, embed) => {
          const iat = Math.floor(Date.now() / 1000);
          // Either raw bytes, or bytes ≥ 0x80 inside a JSON string of an otherwise valid payload.
          const payload = embed
            ? Buffer.concat([
                Buffer.from(`{"iss":"${clientKey}","iat":${iat},"exp":${iat + 600},"qsh":"${qsh}","sub":"`),
                Buffer.from(bytes.map((byte) => byte | 0x80)),
                Buffer.from('"}'),
              ])
            : Buffer.from(bytes);
          const token = signToken('{"alg":"HS256","typ":"JWT"}', payload, sharedSecret);
          const request = { method: 'GET', url, headers: { authorization: `JWT ${token}` } };
          count(await outcome(request, (accepted) => acceptedProblem(accepted, { clientKey, qsh: [qsh] })));
        }),
        { numRuns: runs },
      );
    });
  });

  it('refuses very long URLs, headers and tokens with typed errors', async () => {
    await property('URLs, query strings, headers and tokens of 1 KiB to 1 MiB', async (count) => {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 10, max: 20 }),
          fc.constantFrom('path', 'query', 'header', 'token', 'jwt-param'),
          nastyString,
          async (log2, where, filler) => {
            const long = (filler || 'a').repeat(Math.ceil(2 ** log2 / Math.max(1, filler.length)));
            const base = { method: 'GET', url: '/hello', headers: {} as Record<string, string> };
            if (where === 'path') base.url = `/${long}`;
            else if (where === 'query') base.url = `/hello?q=${long}`;
            else if (where === 'header') base.headers.authorization = long;
            else if (where === 'token') base.headers.authorization = `JWT ${long}.${long}.${long}`;
            else base.url = `/hello?jwt=${long}`;
            count(await outcome(base, never));
          },
        ),
        { numRuns: Math.min(runs, 200) },
      );
    });
  });
});
