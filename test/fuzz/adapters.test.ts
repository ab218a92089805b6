// Property tests of the three adapters over real HTTP (each example add-on in its own process,
// bytes written on a bare socket): random and mutated requests are answered with a 4xx, a 401
// carries a known `code` and never the token, nothing gets a 5xx, no socket is dropped without an
// answer, and the process is still there at the end.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { computeQsh, createJwt } from '@connect-jwt/core';
import { type KeyServer, startKeyServer } from '@connect-jwt/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  type AddonProcess,
  FRAMEWORKS,
  type Installation,
  installInstallations,
  startAddonProcess,
} from '../support/reliability/harness.ts';
import { recordRow } from '../support/reliability/report.ts';
import { settings } from '../support/reliability/settings.ts';
import {
  acceptedProblem,
  claimDamage,
  damagedToken,
  mutate,
  mutation,
  percentEncode,
  REFUSAL_CODES,
  rawJson,
} from './hostile.ts';
import { type RawAnswer, rawRequest, requestBytes } from './raw-http.ts';

const runs = settings.fuzzHttpRuns;
/** Every authenticated route of the examples (public: only the descriptor). */
const ROUTES = ['/hello', '/api/context', '/api/myself', '/webhooks/issue-created', '/installed', '/uninstalled'];

/** Why an answer to a request that carries no valid token is wrong; undefined when it is right. */
function refusalProblem(answer: RawAnswer, method: string, secrets: string[]): string | undefined {
  // Express and Koa answer OPTIONS themselves with the allowed methods (a CORS preflight carries
  // no credentials, so it cannot be authenticated); nothing of the route runs.
  if (method === 'OPTIONS' && (answer.status === 200 || answer.status === 204) && answer.body.length <= 64) {
    return undefined;
  }
  if (answer.status < 400 || answer.status > 499) return `status ${answer.status}: ${answer.body.slice(0, 200)}`;
  for (const secret of secrets)
    if (secret.length >= 16 && answer.body.includes(secret)) return 'the body echoes a secret or token';
  if (answer.status === 401 && method !== 'HEAD') {
    let code: unknown;
    try {
      code = (JSON.parse(answer.body) as { code?: unknown }).code;
    } catch {
      return `401 without a JSON body: ${answer.body.slice(0, 200)}`;
    }
    if (!REFUSAL_CODES.has(String(code))) return `401 with code ${String(code)}`;
  }
  return undefined;
}

/** Random bytes for a request target or header value; `avoid` keeps the request's framing intact. */
const bytes = (maxLength: number, avoid: number[] = []) =>
  fc.uint8Array({ maxLength }).map((array) => Buffer.from(array.filter((byte) => !avoid.includes(byte))));

/** Bytes a header value may hold (Node refuses other control characters before any adapter runs). */
const headerBytes = (maxLength: number) =>
  fc.uint8Array({ maxLength, min: 0x20, max: 0xff }).map((array) => Buffer.from(array.filter((byte) => byte !== 0x7f)));

/**
 * A query: raw bytes (Node itself refuses control and non-ASCII bytes in a target with a 400), or
 * random bytes percent-encoded byte by byte with `=`, `&` and `+` kept, so that invalid UTF-8,
 * NULs and overlong sequences reach the adapters and the qsh code.
 */
const query = fc.oneof(
  bytes(80, [0x20, 0x0d, 0x0a]),
  fc
    .uint8Array({ maxLength: 60 })
    .map((array) =>
      Buffer.from(
        [...array]
          .map((byte) =>
            /[A-Za-z0-9=&+._~-]/.test(String.fromCharCode(byte))
              ? String.fromCharCode(byte)
              : `%${byte.toString(16).padStart(2, '0')}`,
          )
          .join(''),
      ),
    ),
);

describe.each(FRAMEWORKS)('%s adapter under hostile HTTP', (framework) => {
  let keyServer: KeyServer;
  let addon: AddonProcess;
  let dataDir: string;
  let installation: Installation;
  let port: number;
  const counts = { requests: 0, statuses: {} as Record<number, number> };
  const failures: string[] = [];
  const count = (answer: RawAnswer) => {
    counts.requests++;
    counts.statuses[answer.status] = (counts.statuses[answer.status] ?? 0) + 1;
  };
  const guard = async (name: string, body: () => Promise<void>) => {
    try {
      await body();
    } catch (error) {
      failures.push(`${name}: ${String(error).split('\n').slice(0, 3).join(' ')}`);
      throw error;
    }
  };

  beforeAll(async () => {
    keyServer = await startKeyServer();
    dataDir = mkdtempSync(join(tmpdir(), 'connect-jwt-fuzz-'));
    addon = await startAddonProcess({
      framework,
      storeKind: 'sqlite',
      storeUrl: join(dataDir, 'installations.sqlite'),
      keyServerUrl: keyServer.url,
    });
    port = Number(new URL(addon.url).port);
    [installation] = (await installInstallations(addon.url, keyServer, 1)) as [Installation];
  });

  afterAll(async () => {
    const alive = addon?.exited() === undefined;
    recordRow(inject('reliabilityResultsDir'), {
      suite: 'fuzz',
      tried: `${framework} adapter over raw HTTP (example in a child process): random methods, targets with non-UTF-8 bytes and odd escapes on every authenticated route, random Authorization bytes and headers, random bodies; mutated tokens; wrongly typed claims; URLs of 1–64 KiB`,
      amount: `${counts.requests} requests (${runs} runs per property)`,
      result:
        failures.length === 0 && alive
          ? `every request without a valid token answered 4xx (OPTIONS: the framework's own Allow answer), 200 only for tokens still valid; statuses ${JSON.stringify(counts.statuses)}; 401s with a known code and no token in the body; no 5xx, no dropped socket; process alive`
          : `${failures.join('; ')}${alive ? '' : '; the process died'}`,
      ok: failures.length === 0 && alive,
    });
    await addon?.stop();
    await keyServer?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers random requests with a 4xx and a typed body', async () => {
    await guard('random requests', () =>
      fc.assert(
        fc.asyncProperty(
          fc.constantFrom('GET', 'POST', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'),
          fc.oneof(
            fc.constantFrom(...ROUTES),
            fc.string({ maxLength: 20 }).map((path) => `/${path}`),
          ),
          fc.option(query, { nil: undefined }),
          fc.option(
            fc.oneof(
              headerBytes(120).map((value) => Buffer.concat([Buffer.from('JWT '), value])),
              headerBytes(120),
            ),
            { nil: undefined },
          ),
          fc.array(fc.tuple(fc.constantFrom('X-Fuzz', 'Content-Type', 'Cookie', 'Accept'), headerBytes(40)), {
            maxLength: 3,
          }),
          fc.option(bytes(200), { nil: undefined }),
          async (method, path, query, authorization, headers, body) => {
            const target =
              query === undefined
                ? Buffer.from(percentEncode(path).replace(/%2F/g, '/'))
                : Buffer.concat([Buffer.from(`${path}?`), query]);
            const allHeaders: [string, Buffer | string][] = [...headers];
            if (authorization) allHeaders.push(['Authorization', authorization]);
            const answer = await rawRequest(
              port,
              requestBytes(method, target, allHeaders, method === 'GET' ? undefined : body),
            );
            count(answer);
            const problem = refusalProblem(
              answer,
              method,
              authorization ? [authorization.toString('latin1').slice(4)] : [],
            );
            if (problem) throw new Error(`${method} ${target.toString('latin1').slice(0, 120)}: ${problem}`);
          },
        ),
        { numRuns: runs },
      ),
    );
  });

  it('refuses mutated tokens with 401 and a known code', async () => {
    const path = '/hello?xdm_e=https%3A%2F%2Ffuzz.atlassian.net&lic=none';
    const token = await createJwt(installation.clientKey, installation.sharedSecret, { uri: path, expiresIn: 3600 });
    const valid = await rawRequest(port, requestBytes('GET', path, [['Authorization', `JWT ${token}`]]));
    expect(valid.status).toBe(200);
    await guard('mutated tokens', () =>
      fc.assert(
        fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 2 }), fc.boolean(), async (changes, inQuery) => {
          const mutated = changes.reduce(mutate, token);
          const request = inQuery
            ? requestBytes('GET', `${path}&jwt=${percentEncode(mutated)}`, [])
            : requestBytes('GET', path, [['Authorization', Buffer.from(`JWT ${mutated}`)]]);
          const answer = await rawRequest(port, request);
          count(answer);
          if (answer.status === 200 && (inQuery ? mutated : mutated.trim()) === token) return;
          const problem = refusalProblem(answer, 'GET', [mutated, installation.sharedSecret]);
          if (problem) throw new Error(`token ${mutated}: ${problem}`);
        }),
        { numRuns: runs },
      ),
    );
  });

  it('refuses validly signed tokens with wrongly typed claims, unless they are still valid', async () => {
    const path = '/hello?n=1';
    const qsh = computeQsh('GET', path);
    await guard('wrongly typed claims', () =>
      fc.assert(
        fc.asyncProperty(claimDamage, async (damage) => {
          const iat = Math.floor(Date.now() / 1000);
          const claims = { iss: installation.clientKey, iat, exp: iat + 600, qsh, sub: 'account-1' };
          const token = damagedToken(claims, damage, installation.sharedSecret);
          const answer = await rawRequest(port, requestBytes('GET', path, [['Authorization', `JWT ${token}`]]));
          count(answer);
          if (answer.status === 200) {
            const header = { alg: 'HS256', ...damage.header };
            const payload = JSON.parse(rawJson({ ...claims, ...damage.claims })) as Record<string, unknown>;
            for (const [name, value] of Object.entries(damage.claims)) if (value === undefined) delete payload[name];
            const problem =
              header.alg !== 'HS256' || 'crit' in header
                ? `accepted a token with header ${rawJson(header)}`
                : acceptedProblem(payload, { clientKey: installation.clientKey, qsh: [qsh] });
            if (problem) throw new Error(problem);
            return;
          }
          const problem = refusalProblem(answer, 'GET', [token, installation.sharedSecret]);
          if (problem) throw new Error(`claims ${rawJson(damage.claims)}: ${problem}`);
        }),
        { numRuns: runs },
      ),
    );
  });

  it('answers very long URLs and headers with a 4xx', async () => {
    await guard('long URLs', () =>
      fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 10, max: 16 }),
          fc.constantFrom('path', 'query', 'jwt-param', 'header'),
          fc.constantFrom(...ROUTES),
          async (log2, where, route) => {
            const long = 'a%C3'.repeat(2 ** log2 / 4);
            const target =
              where === 'path'
                ? `${route}/${long}`
                : where === 'query'
                  ? `${route}?q=${long}`
                  : where === 'jwt-param'
                    ? `${route}?jwt=${long}`
                    : route;
            const headers: [string, string][] = where === 'header' ? [['Authorization', `JWT ${long}`]] : [];
            const answer = await rawRequest(port, requestBytes('GET', target, headers));
            count(answer);
            const problem = refusalProblem(answer, 'GET', []);
            if (problem) throw new Error(`${where} of ${2 ** log2} bytes on ${route}: ${problem}`);
          },
        ),
        { numRuns: Math.min(runs, 60) },
      ),
    );
    expect(addon.exited(), addon.output()).toBeUndefined();
  });
});
