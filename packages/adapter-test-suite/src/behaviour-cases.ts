// The one behaviour table that Express, Koa and Fastify must all answer alike. Every case runs
// over real HTTP against each framework's app (see BehaviourApp in ./behaviour-suite.ts).
import { type CreateJwtOptions, createJwt, encode } from '@connect-jwt/core';
import { INSTALLATION } from './installation.js';
import type { FlakyStore } from './stores.js';
import { base64url, signToken, unsignedToken } from './tokens.js';

const STRANGER = { clientKey: 'unknown-installation', sharedSecret: 'a-secret-nobody-installed-0123456789' };
export const REALM = 'test-addon';
/** The add-on's base URL for the sub-router mounted at `/addon`. */
export const ADDON_BASE_URL = 'https://addon.example.com/addon';

export interface Fixture {
  /** The store behind `/flaky`; every other route uses the process-wide default store. */
  flaky: FlakyStore;
}

export interface HttpRequest {
  method?: string;
  path: string;
  headers?: Record<string, string>;
}

export interface Step {
  before?(fixture: Fixture): void;
  request(): Promise<HttpRequest>;
  status: number;
  /** The `code` of the JSON error body; absent on success. */
  code?: string;
  /** Answered by the app's own error handler (passError). */
  handledByApp?: boolean;
  /** A 200 from a route without the guard: no `clientKey` in the answer. */
  publicRoute?: boolean;
  /** Refused with the HTML refusal page (the request's Accept names text/html), not JSON. */
  page?: boolean;
}

export interface Case {
  name: string;
  steps: Step[];
}

const mint = (options: CreateJwtOptions = {}, installation = INSTALLATION) =>
  createJwt(installation.clientKey, installation.sharedSecret, { subject: 'account-42', ...options });
const auth = (token: string) => ({ authorization: `JWT ${token}` });

/** A compact JWS with any header, HMAC-signed with the installation secret, to exercise the algorithm check. */
async function withHeader(header: Record<string, unknown>, hmac: 'sha256' | 'sha512' | null): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const payload = { iss: INSTALLATION.clientKey, iat: now, exp: now + 180, qsh: 'context-qsh' };
  return hmac ? signToken(header, payload, INSTALLATION.sharedSecret, hmac) : unsignedToken(header, payload);
}

// What Chromium sends when it loads an iframe or follows a link.
const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8';

const strictGet = (uri = '/api/data') => mint({ method: 'GET', uri });
const one = (step: Step): Step[] => [step];

export const cases: Case[] = [
  {
    name: 'valid token in the Authorization header',
    steps: one({ request: async () => ({ path: '/api/data', headers: auth(await strictGet()) }), status: 200 }),
  },
  {
    name: 'valid token in ?jwt=',
    steps: one({ request: async () => ({ path: `/api/data?jwt=${await strictGet()}` }), status: 200 }),
  },
  {
    name: 'valid token with a query, scheme in lower case',
    steps: one({
      request: async () => ({
        path: '/api/data?b=2&a=1&a=0',
        headers: { authorization: `jwt ${await strictGet('/api/data?b=2&a=1&a=0')}` },
      }),
      status: 200,
    }),
  },
  {
    name: 'valid token for a POST',
    steps: one({
      request: async () => ({
        method: 'POST',
        path: '/api/data',
        headers: auth(await mint({ method: 'POST', uri: '/api/data' })),
      }),
      status: 200,
    }),
  },
  {
    name: 'same token in header and query',
    steps: one({
      request: async () => {
        const token = await strictGet();
        return { path: `/api/data?jwt=${token}`, headers: auth(token) };
      },
      status: 200,
    }),
  },
  {
    name: 'context token on a qsh: context route',
    steps: one({
      request: async () => ({ path: '/panel', headers: auth(await mint({ context: true })) }),
      status: 200,
    }),
  },
  {
    name: 'context token on a strict route',
    steps: one({
      request: async () => ({ path: '/api/data', headers: auth(await mint({ context: true })) }),
      status: 401,
      code: 'ERR_QSH_MISMATCH',
    }),
  },
  {
    name: 'request-bound token on a context-only route',
    steps: one({
      request: async () => ({ path: '/panel', headers: auth(await strictGet('/panel')) }),
      status: 401,
      code: 'ERR_QSH_MISMATCH',
    }),
  },
  {
    name: 'missing token',
    steps: one({ request: async () => ({ path: '/api/data' }), status: 401, code: 'ERR_TOKEN_MISSING' }),
  },
  {
    name: 'Bearer scheme',
    steps: one({
      request: async () => ({ path: '/api/data', headers: { authorization: `Bearer ${await strictGet()}` } }),
      status: 401,
      code: 'ERR_TOKEN_MISSING',
    }),
  },
  {
    name: 'unknown issuer',
    steps: one({
      request: async () => ({
        path: '/api/data',
        headers: auth(await mint({ uri: '/api/data' }, { ...INSTALLATION, ...STRANGER })),
      }),
      status: 401,
      code: 'ERR_INVALID_ISSUER',
    }),
  },
  {
    name: 'wrong secret',
    steps: one({
      request: async () => ({
        path: '/api/data',
        headers: auth(await mint({ uri: '/api/data' }, { ...INSTALLATION, sharedSecret: STRANGER.sharedSecret })),
      }),
      status: 401,
      code: 'ERR_INVALID_SIGNATURE',
    }),
  },
  {
    name: 'expired token',
    steps: one({
      request: async () => ({
        path: '/api/data',
        headers: auth(await mint({ uri: '/api/data', now: Date.now() - 3600_000 })),
      }),
      status: 401,
      code: 'ERR_TOKEN_EXPIRED',
    }),
  },
  {
    name: 'qsh for another path',
    steps: one({
      request: async () => ({ path: '/api/data', headers: auth(await strictGet('/api/other')) }),
      status: 401,
      code: 'ERR_QSH_MISMATCH',
    }),
  },
  {
    name: 'qsh for another query',
    steps: one({
      request: async () => ({ path: '/api/data?page=2', headers: auth(await strictGet('/api/data?page=1')) }),
      status: 401,
      code: 'ERR_QSH_MISMATCH',
    }),
  },
  {
    name: 'qsh for another method',
    steps: one({
      request: async () => ({ path: '/api/data', headers: auth(await mint({ method: 'POST', uri: '/api/data' })) }),
      status: 401,
      code: 'ERR_QSH_MISMATCH',
    }),
  },
  {
    name: 'token without a qsh claim on a strict route',
    steps: one({
      request: async () => {
        const now = Math.floor(Date.now() / 1000);
        const token = await encode({ iss: INSTALLATION.clientKey, iat: now, exp: now + 60 }, INSTALLATION.sharedSecret);
        return { path: '/api/data', headers: auth(token) };
      },
      status: 401,
      code: 'ERR_QSH_MISMATCH',
    }),
  },
  {
    name: 'alg: none',
    steps: one({
      request: async () => ({ path: '/panel', headers: auth(await withHeader({ alg: 'none', typ: 'JWT' }, null)) }),
      status: 401,
      code: 'ERR_ALG_UNSUPPORTED',
    }),
  },
  {
    name: 'HS512',
    steps: one({
      request: async () => ({
        path: '/panel',
        headers: auth(await withHeader({ alg: 'HS512', typ: 'JWT' }, 'sha512')),
      }),
      status: 401,
      code: 'ERR_ALG_UNSUPPORTED',
    }),
  },
  {
    name: 'RS256 header',
    steps: one({
      request: async () => ({
        path: '/panel',
        headers: auth(await withHeader({ alg: 'RS256', typ: 'JWT' }, 'sha256')),
      }),
      status: 401,
      code: 'ERR_ALG_UNSUPPORTED',
    }),
  },
  {
    name: 'tampered payload',
    steps: one({
      request: async () => {
        const [header, payload, signature] = (await strictGet()).split('.') as [string, string, string];
        const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
        const forged = base64url(JSON.stringify({ ...claims, sub: 'account-admin' }));
        return { path: '/api/data', headers: auth(`${header}.${forged}.${signature}`) };
      },
      status: 401,
      code: 'ERR_INVALID_SIGNATURE',
    }),
  },
  {
    name: '12 KB token in the header (over maxTokenLength, under the HTTP header limit)',
    steps: one({
      request: async () => ({ path: '/api/data', headers: auth(`${await strictGet()}${'A'.repeat(12 * 1024)}`) }),
      status: 401,
      code: 'ERR_TOKEN_MALFORMED',
    }),
  },
  {
    name: '12 KB token in the query',
    steps: one({
      request: async () => ({ path: `/api/data?jwt=${await strictGet()}${'A'.repeat(12 * 1024)}` }),
      status: 401,
      code: 'ERR_TOKEN_MALFORMED',
    }),
  },
  // Node's HTTP parser refuses request heads over 16 KiB (431) before any middleware runs:
  // a clean, immediate 4xx on the same connection rather than a reset or a 500.
  {
    name: '100 KB token in the header',
    steps: one({
      request: async () => ({ path: '/api/data', headers: auth(`${await strictGet()}${'A'.repeat(100 * 1024)}`) }),
      status: 431,
    }),
  },
  {
    name: '100 KB token in the query',
    steps: one({
      request: async () => ({ path: `/api/data?jwt=${await strictGet()}${'A'.repeat(100 * 1024)}` }),
      status: 431,
    }),
  },
  {
    name: 'two different tokens',
    steps: one({
      request: async () => ({
        path: `/api/data?jwt=${await strictGet()}`,
        headers: auth(await mint({ uri: '/api/data', subject: 'someone-else' })),
      }),
      status: 401,
      code: 'ERR_TOKEN_MALFORMED',
    }),
  },
  {
    name: 'failing store answers 503, then the next request succeeds',
    steps: [
      {
        before: (fixture) => {
          fixture.flaky.failures = 1;
        },
        request: async () => ({ path: '/flaky', headers: auth(await strictGet('/flaky')) }),
        status: 503,
        code: 'ERR_STORE_UNAVAILABLE',
      },
      { request: async () => ({ path: '/flaky', headers: auth(await strictGet('/flaky')) }), status: 200 },
    ],
  },
  {
    name: 'sub-path mount: qsh relative to the add-on base URL',
    steps: one({
      request: async () => ({
        path: '/addon/data?x=1',
        headers: auth(await mint({ uri: `${ADDON_BASE_URL}/data?x=1`, baseUrl: ADDON_BASE_URL })),
      }),
      status: 200,
    }),
  },
  {
    name: 'sub-path mount: qsh over the full path is refused',
    steps: one({
      request: async () => ({ path: '/addon/data', headers: auth(await strictGet('/addon/data')) }),
      status: 401,
      code: 'ERR_QSH_MISMATCH',
    }),
  },
  {
    name: 'qsh: skip route accepts a token bound to another request',
    steps: one({ request: async () => ({ path: '/skip', headers: auth(await strictGet('/elsewhere')) }), status: 200 }),
  },
  {
    name: 'qsh: skip route still needs a token',
    steps: one({ request: async () => ({ path: '/skip' }), status: 401, code: 'ERR_TOKEN_MISSING' }),
  },
  {
    name: 'passError hands the error to the app',
    steps: one({
      request: async () => ({ path: '/passerror' }),
      status: 401,
      code: 'ERR_TOKEN_MISSING',
      handledByApp: true,
    }),
  },
  {
    name: "a browser's refused page load gets the HTML refusal page",
    steps: one({
      request: async () => ({
        path: '/api/data',
        headers: { ...auth(await strictGet('/elsewhere')), accept: BROWSER_ACCEPT },
      }),
      status: 401,
      code: 'ERR_QSH_MISMATCH',
      page: true,
    }),
  },
  {
    name: 'an API client that asks for JSON keeps the JSON refusal',
    steps: one({
      request: async () => ({ path: '/api/data', headers: { accept: 'application/json, text/plain, */*' } }),
      status: 401,
      code: 'ERR_TOKEN_MISSING',
    }),
  },
  {
    name: 'passError hands a browser page load to the app too',
    steps: one({
      request: async () => ({ path: '/passerror', headers: { accept: BROWSER_ACCEPT } }),
      status: 401,
      code: 'ERR_TOKEN_MISSING',
      handledByApp: true,
    }),
  },
  {
    name: 'unguarded route is public',
    steps: one({ request: async () => ({ path: '/public' }), status: 200, publicRoute: true }),
  },
];

/** Options every adapter's factory refuses at setup, each with a TypeError naming the option. */
export const badOptions: Array<[unknown, RegExp]> = [
  [{ qsh: 'loose' }, /options\.qsh/],
  [{ passError: 'yes' }, /options\.passError/],
  [{ realm: 5 }, /options\.realm/],
  [{ realm: 'add-on\r\nSet-Cookie: x=1' }, /options\.realm/],
  [{ store: {} }, /options\.store/],
  [{ clockTolerance: -1 }, /options\.clockTolerance/],
  [{ formParams: 'all' }, /options\.formParams/],
  ['strict', /options must be an object/],
  [{ accept: 'forge' }, /options\.forge/],
  [{ accept: 'everything', forge: { appId: 'a' } }, /options\.accept/],
  [{ forge: {} }, /options\.appId/],
  [{ forge: { appId: 'a', jwksUrl: 'http://jwks.example.com/keys' } }, /options\.jwksUrl/],
  [{ forge: { appId: 'a', environments: 'PRODUCTION' } }, /options\.environments/],
];
