import { randomUUID } from 'node:crypto';
import { createJwt, type Installation, MemoryStore, type SecretStore } from '@connect-jwt/core';
import { createFakeForge, type FakeForge, type FitHeadersOptions } from '@connect-jwt/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from './listen.js';

/** What the Forge table's add-on is built with. */
export interface ForgeFixture {
  /** The Forge options of every Forge route: the fake's app id and JWKS, `maxTokenLength` 8192 (below Node's header limit). */
  forge: { appId: string; jwksUrl: string; maxTokenLength: number };
  /** Holds the Connect installation of the fake Forge site (its `installationId` is the FIT's). */
  store: SecretStore;
}

/**
 * Starts the Forge table's add-on in one framework, on 127.0.0.1 port 0. Its routes, each answering
 * `describeAuth(<the request's atlassian>)` as JSON:
 * - `POST /forge/events`: `forgeRemote({ ...forge, store })`, FITs only;
 * - `POST /forge/production`: the same with `environments: ['PRODUCTION']`;
 * - `GET /api/both`: `atlassianJwt({ qsh: 'context', store, forge })`, either kind;
 * - `GET /api/connect`: `atlassianJwt({ qsh: 'context', store })`, no `forge`: Connect only, as before.
 */
export type ForgeApp = (fixture: ForgeFixture) => Promise<RunningServer>;

/** The JSON a route of the Forge table answers: what it verified, never a token. */
export function describeAuth(auth: unknown): Record<string, unknown> {
  const verified = auth as {
    kind?: string;
    clientKey?: string;
    installationId?: string;
    accountId?: string;
    installation?: Installation;
  } | null;
  return {
    kind: verified?.kind ?? null,
    clientKey: verified?.kind === 'forge' ? (verified.installation?.clientKey ?? null) : (verified?.clientKey ?? null),
    installationId: verified?.installationId ?? null,
    accountId: verified?.accountId ?? null,
  };
}

interface ForgeRow {
  name: string;
  path?: string;
  method?: string;
  headers: (forge: FakeForge, connectToken: string) => Record<string, string>;
  url?: string;
  status: number;
  code?: string;
}

const now = () => Math.floor(Date.now() / 1000);
const fit = (forge: FakeForge, options: FitHeadersOptions = {}) => forge.headers(options);
const otherApp = `ari:cloud:ecosystem::app/${randomUUID()}`;

/** Every refusal of FORGE.md, on the FIT-only route. */
const refusals: ForgeRow[] = [
  { name: 'no token', headers: () => ({}), status: 401, code: 'ERR_TOKEN_MISSING' },
  {
    name: 'a Connect JWT on a Forge-only route',
    headers: (_forge, connect) => ({ authorization: `JWT ${connect}` }),
    status: 401,
    code: 'ERR_TOKEN_MISSING',
  },
  {
    name: 'a Bearer and a Connect token in one request',
    headers: (forge) => fit(forge),
    url: '?jwt=CONNECT',
    status: 401,
    code: 'ERR_TOKEN_MALFORMED',
  },
  { name: 'not a JWT', headers: () => ({ authorization: 'Bearer abc.def' }), status: 401, code: 'ERR_TOKEN_MALFORMED' },
  {
    name: 'an over-long token',
    headers: () => ({ authorization: `Bearer ${'a'.repeat(12_000)}` }),
    status: 401,
    code: 'ERR_TOKEN_MALFORMED',
  },
  { name: 'alg none', headers: (f) => fit(f, { forgery: 'alg-none' }), status: 401, code: 'ERR_ALG_UNSUPPORTED' },
  {
    name: 'HS256 keyed with the public key',
    headers: (f) => fit(f, { forgery: 'hs256-public-key' }),
    status: 401,
    code: 'ERR_ALG_UNSUPPORTED',
  },
  { name: 'ES256', headers: (f) => fit(f, { forgery: 'es256' }), status: 401, code: 'ERR_ALG_UNSUPPORTED' },
  {
    name: 'a foreign key under a served kid',
    headers: (f) => fit(f, { forgery: 'foreign-key' }),
    status: 401,
    code: 'ERR_INVALID_SIGNATURE',
  },
  {
    name: 'a tampered payload',
    headers: (f) => fit(f, { forgery: 'tampered' }),
    status: 401,
    code: 'ERR_INVALID_SIGNATURE',
  },
  {
    name: 'an unknown kid',
    headers: (f) => fit(f, { forgery: 'unknown-kid' }),
    status: 401,
    code: 'ERR_INVALID_SIGNATURE',
  },
  {
    name: 'a jku header pointing elsewhere',
    headers: (f) => fit(f, { forgery: 'jku' }),
    status: 401,
    code: 'ERR_INVALID_SIGNATURE',
  },
  {
    name: 'a Forge context token',
    headers: (f) => fit(f, { claims: { iss: 'forge/context-token' } }),
    status: 401,
    code: 'ERR_INVALID_ISSUER',
  },
  {
    name: "another app's aud",
    headers: (f) => fit(f, { claims: { aud: otherApp, app: { id: otherApp } } }),
    status: 401,
    code: 'ERR_INVALID_AUDIENCE',
  },
  {
    name: 'expired beyond the tolerance',
    headers: (f) => fit(f, { issuedAt: now() - 100 }),
    status: 401,
    code: 'ERR_TOKEN_EXPIRED',
  },
  {
    name: 'not yet valid beyond the tolerance',
    headers: (f) => fit(f, { claims: { nbf: now() + 120 } }),
    status: 401,
    code: 'ERR_TOKEN_NOT_YET_VALID',
  },
  {
    name: 'app.id differs from aud',
    headers: (f) => fit(f, { claims: { app: { id: otherApp } } }),
    status: 401,
    code: 'ERR_FORGE_CONTEXT',
  },
  {
    name: 'an environment not on the allow-list',
    path: '/forge/production',
    headers: (f) => fit(f),
    status: 401,
    code: 'ERR_FORGE_CONTEXT',
  },
];

/** Registers the Forge Invocation Token table against one framework's app, over real HTTP. */
export function forgeSuite(name: string, start: ForgeApp): void {
  describe(`${name} adapter: Forge Invocation Token table`, () => {
    let forge: FakeForge;
    let app: RunningServer;
    let connectToken: string;
    const installation: Installation = {
      clientKey: `forge-site-${randomUUID()}`,
      sharedSecret: `connect-secret-${randomUUID()}`,
      baseUrl: 'https://example.atlassian.net',
    };

    beforeAll(async () => {
      forge = await createFakeForge();
      const store = new MemoryStore();
      await store.set({ ...installation, installationId: forge.installationId });
      app = await start({ forge: { appId: forge.appId, jwksUrl: forge.jwksUrl, maxTokenLength: 8192 }, store });
      connectToken = await createJwt(installation.clientKey, installation.sharedSecret, { context: true });
    });
    afterAll(async () => {
      await app?.close();
      await forge?.close();
    });

    const send = (path: string, headers: Record<string, string>, method = 'GET') =>
      fetch(`${app.url}${path}`, { method, headers, redirect: 'manual' });

    it('accepts a FIT on the Forge route, with the Connect installation of its site', async () => {
      const response = await send('/forge/events', fit(forge), 'POST');
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({
        kind: 'forge',
        clientKey: installation.clientKey,
        installationId: forge.installationId,
        accountId: expect.stringMatching(/^712020:/),
      });
    });

    it('accepts a trigger FIT (no principal) on the Forge route', async () => {
      const response = await send('/forge/events', fit(forge, { principal: null }), 'POST');
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ kind: 'forge', accountId: null });
    });

    it('a route with forge takes both kinds, told apart by the auth scheme', async () => {
      const asForge = await send('/api/both', fit(forge));
      expect(asForge.status).toBe(200);
      expect(await asForge.json()).toMatchObject({ kind: 'forge', clientKey: installation.clientKey });
      const asConnect = await send('/api/both', { authorization: `JWT ${connectToken}` });
      expect(asConnect.status).toBe(200);
      expect(await asConnect.json()).toMatchObject({ kind: 'connect', clientKey: installation.clientKey });
      const inQuery = await send(`/api/both?jwt=${connectToken}`, {});
      expect(await inQuery.json()).toMatchObject({ kind: 'connect' });
    });

    it('a route without forge is unchanged: Connect accepted, a FIT is no token', async () => {
      const asConnect = await send('/api/connect', { authorization: `JWT ${connectToken}` });
      expect(asConnect.status).toBe(200);
      expect(await asConnect.json()).toMatchObject({ kind: 'connect' });
      const asForge = await send('/api/connect', fit(forge));
      expect(asForge.status).toBe(401);
      expect(await asForge.json()).toMatchObject({ code: 'ERR_TOKEN_MISSING' });
      expect(asForge.headers.get('www-authenticate')).toMatch(/^JWT realm=/);
    });

    it.each(refusals.map((row) => [row.name, row] as const))('refuses %s', async (_name, row) => {
      const headers = row.headers(forge, connectToken);
      const url = `${row.path ?? '/forge/events'}${row.url?.replace('CONNECT', connectToken) ?? ''}`;
      // A browser-like Accept: a Forge route still answers JSON, never a page.
      const response = await send(url, { ...headers, accept: 'text/html,*/*' }, row.method ?? 'POST');
      expect(response.status).toBe(row.status);
      expect(response.headers.get('location')).toBeNull();
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm="[^"]+"$/);
      const text = await response.text();
      const body = JSON.parse(text);
      expect(body.code).toBe(row.code);
      expect(typeof body.message).toBe('string');
      // Nothing sent comes back: not the token, not the system token.
      const token = headers.authorization?.replace(/^\S+\s+/, '') ?? '';
      for (const part of token.split('.')) if (part.length > 8) expect(text).not.toContain(part);
      expect(text).not.toContain(forge.systemToken);
    });

    it('the same refusals on the route that takes both kinds', async () => {
      const bearerRows = refusals.filter(
        (r) =>
          r.path === undefined &&
          r.url === undefined &&
          r.headers(forge, connectToken).authorization?.startsWith('Bearer'),
      );
      expect(bearerRows.length).toBeGreaterThan(10);
      for (const row of bearerRows) {
        const response = await send('/api/both', row.headers(forge, connectToken));
        expect(response.status, row.name).toBe(401);
        expect(((await response.json()) as { code?: string }).code, row.name).toBe(row.code);
      }
    });

    it('never fetched the JWKS a jku header named', () => {
      expect(forge.jkuRequests).toBe(0);
    });
  });
}
