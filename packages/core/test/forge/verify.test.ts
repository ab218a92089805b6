import { randomUUID } from 'node:crypto';
import { inspect } from 'node:util';
import { createFakeForge, type FakeForge, type FitHeadersOptions } from '@connect-jwt/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forgeRemoteOptions, resolveAdapterOptions } from '../../src/http/index.js';
import {
  type ForgeVerifyOptions,
  type Installation,
  MemoryStore,
  type SecretStore,
  verifyForgeInvocation,
} from '../../src/index.js';

let forge: FakeForge;
let options: ForgeVerifyOptions;
beforeAll(async () => {
  forge = await createFakeForge();
  options = { appId: forge.appId, jwksUrl: forge.jwksUrl };
});
afterAll(() => forge.close());

const now = () => Math.floor(Date.now() / 1000);
const request = (headers: Record<string, string>, url = '/forge/event') => ({ method: 'POST', url, headers });
const verify = (headers: Record<string, string>, extra: Partial<ForgeVerifyOptions> = {}, url?: string) =>
  verifyForgeInvocation(request(headers, url), { ...options, ...extra });
const fit = (mint: FitHeadersOptions = {}) => forge.headers(mint);

describe('verifyForgeInvocation accepts', () => {
  it('a Forge Invocation Token, exposing its verified context', async () => {
    const auth = await verify(fit({ userToken: true }));
    expect(auth).toMatchObject({
      kind: 'forge',
      appId: forge.appId,
      installationId: forge.installationId,
      apiBaseUrl: forge.apiBaseUrl,
      environment: { type: 'DEVELOPMENT' },
      module: { type: 'core:endpoint', key: 'remote-endpoint' },
      cloudId: forge.cloudId,
      siteUrl: 'https://example.atlassian.net',
      systemToken: forge.systemToken,
      userToken: forge.userToken,
    });
    expect(auth.accountId).toMatch(/^712020:/);
    expect(auth.payload.iss).toBe('forge/invocation-token');
    expect(auth.installation).toBeUndefined();
  });

  it('the app id configured as a bare uuid, or as one of several', async () => {
    const uuid = forge.appId.split('/').pop() as string;
    await expect(verify(fit(), { appId: uuid.toUpperCase() })).resolves.toMatchObject({ appId: forge.appId });
    await expect(verify(fit(), { appId: [randomUUID(), forge.appId] })).resolves.toMatchObject({ kind: 'forge' });
  });

  it('a trigger token, which names no user', async () => {
    const auth = await verify(fit({ principal: null, systemToken: false }));
    expect(auth.accountId).toBeUndefined();
    expect(auth.systemToken).toBeUndefined();
  });

  it('unknown claims (Forge adds fields over time), and an expired token within the tolerance', async () => {
    await expect(verify(fit({ claims: { newThing: { a: 1 }, app: { newField: true } } }))).resolves.toBeDefined();
    await expect(verify(fit({ issuedAt: now() - 40, expiresIn: 25 }))).resolves.toBeDefined();
  });

  it('an allowed environment', async () => {
    await expect(verify(fit(), { environments: ['DEVELOPMENT', 'STAGING'] })).resolves.toBeDefined();
  });
});

const otherApp = `ari:cloud:ecosystem::app/${randomUUID()}`;
const rejections: [string, string, () => Record<string, string>, Partial<ForgeVerifyOptions>?][] = [
  ['no Authorization header', 'ERR_TOKEN_MISSING', () => ({})],
  ['only a Connect JWT', 'ERR_TOKEN_MISSING', () => ({ authorization: 'JWT a.b.c' })],
  ['an empty Bearer', 'ERR_TOKEN_MISSING', () => ({ authorization: 'Bearer ' })],
  [
    'a Bearer and a Connect token',
    'ERR_TOKEN_MALFORMED',
    () => ({ authorization: [fit().authorization, 'JWT a.b.c'] as unknown as string }),
  ],
  ['not a JWT', 'ERR_TOKEN_MALFORMED', () => ({ authorization: 'Bearer not-a-jwt' })],
  ['an over-long token', 'ERR_TOKEN_MALFORMED', () => ({ authorization: `Bearer ${'a'.repeat(20_000)}` })],
  ['no kid', 'ERR_TOKEN_MALFORMED', () => fit({ header: { kid: undefined } })],
  ['alg none', 'ERR_ALG_UNSUPPORTED', () => fit({ forgery: 'alg-none' })],
  ['HS256 keyed with the public key', 'ERR_ALG_UNSUPPORTED', () => fit({ forgery: 'hs256-public-key' })],
  ['ES256', 'ERR_ALG_UNSUPPORTED', () => fit({ forgery: 'es256' })],
  ['PS256', 'ERR_ALG_UNSUPPORTED', () => fit({ header: { alg: 'PS256' } })],
  ['a foreign key under a served kid', 'ERR_INVALID_SIGNATURE', () => fit({ forgery: 'foreign-key' })],
  ['a tampered payload', 'ERR_INVALID_SIGNATURE', () => fit({ forgery: 'tampered' })],
  ['an unknown kid', 'ERR_INVALID_SIGNATURE', () => fit({ forgery: 'unknown-kid' })],
  ['a jku header pointing elsewhere', 'ERR_INVALID_SIGNATURE', () => fit({ forgery: 'jku' })],
  ['a Forge context token', 'ERR_INVALID_ISSUER', () => fit({ claims: { iss: 'forge/context-token' } })],
  ['another app', 'ERR_INVALID_AUDIENCE', () => fit({ claims: { aud: otherApp, app: { id: otherApp } } })],
  ['no aud', 'ERR_INVALID_AUDIENCE', () => fit({ claims: { aud: undefined } })],
  ['app.id differs from aud', 'ERR_FORGE_CONTEXT', () => fit({ claims: { app: { id: otherApp } } })],
  ['expired beyond the tolerance', 'ERR_TOKEN_EXPIRED', () => fit({ issuedAt: now() - 100, expiresIn: 25 })],
  ['nbf in the future', 'ERR_TOKEN_NOT_YET_VALID', () => fit({ claims: { nbf: now() + 120 } })],
  ['iat in the future', 'ERR_TOKEN_NOT_YET_VALID', () => fit({ issuedAt: now() + 120 })],
  ['no exp', 'ERR_TOKEN_MALFORMED', () => fit({ claims: { exp: undefined } })],
  ['exp not a number', 'ERR_TOKEN_MALFORMED', () => fit({ claims: { exp: 'soon' } })],
  ['no installationId', 'ERR_TOKEN_MALFORMED', () => fit({ claims: { app: { installationId: undefined } } })],
  ['apiBaseUrl not a string', 'ERR_TOKEN_MALFORMED', () => fit({ claims: { app: { apiBaseUrl: 42 } } })],
  ['app not an object', 'ERR_TOKEN_MALFORMED', () => fit({ claims: { app: 'x' } })],
  ['an environment not allowed', 'ERR_FORGE_CONTEXT', () => fit(), { environments: ['PRODUCTION'] }],
];

describe('verifyForgeInvocation refuses', () => {
  it.each(rejections)('%s → %s', async (_name, code, headers, extra) => {
    const sent = headers();
    const error = await verify(sent, extra).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code, status: 401 });
    // The message never repeats a token.
    const message = String((error as Error).message);
    expect(message).not.toContain(forge.systemToken);
    const token = String(sent.authorization ?? '').replace(/^Bearer /, '');
    for (const part of token.split('.')) if (part.length > 8) expect(message).not.toContain(part);
  });

  it('a Connect token in ?jwt= beside a Bearer', async () => {
    await expect(verify(fit(), {}, '/forge/event?jwt=a.b.c')).rejects.toMatchObject({ code: 'ERR_TOKEN_MALFORMED' });
  });

  it('never fetches the JWKS a jku header names', async () => {
    await verify(fit({ forgery: 'jku' })).catch(() => {});
    expect(forge.jkuRequests).toBe(0);
  });
});

describe('verifyForgeInvocation options', () => {
  it.each([
    ['no appId', { appId: undefined }],
    ['an empty appId list', { appId: [] }],
    ['an http JWKS on another host', { jwksUrl: 'http://forge.example.com/jwks.json' }],
    ['a JWKS URL that is no URL', { jwksUrl: 'jwks.json' }],
    ['environments not an array', { environments: 'DEVELOPMENT' }],
    ['a negative clockTolerance', { clockTolerance: -1 }],
    ['a store that cannot look up by installationId', { store: { get() {}, set() {}, delete() {} } }],
  ])('%s is a TypeError', async (_name, extra) => {
    await expect(
      verifyForgeInvocation(request(fit()), { ...options, ...(extra as Partial<ForgeVerifyOptions>) }),
    ).rejects.toThrow(TypeError);
  });
});

describe('a missing appId', () => {
  it('is a TypeError at setup that says where the id comes from (an unset FORGE_APP_ID)', () => {
    const env: Record<string, string | undefined> = {};
    expect(() =>
      resolveAdapterOptions(forgeRemoteOptions({ appId: env.FORGE_APP_ID, store: new MemoryStore() }), 'forgeRemote'),
    ).toThrow(/forgeRemote \(options\.forge\): options\.appId is missing: .*manifest\.yml.*FORGE_APP_ID/);
  });
});

describe('the OAuth tokens are never printed', () => {
  it('not by JSON.stringify, util.inspect (showHidden too) or a spread copy, yet readable', async () => {
    const auth = await verify(fit({ userToken: true }));
    expect(auth.systemToken).toBe(forge.systemToken);
    expect(auth.userToken).toBe(forge.userToken);
    const printed = [
      JSON.stringify(auth),
      JSON.stringify({ request: { atlassian: auth } }),
      inspect(auth),
      inspect(auth, { showHidden: true, depth: Number.POSITIVE_INFINITY, getters: true }),
      inspect({ nested: auth }),
      String(auth),
      JSON.stringify({ ...auth }),
    ];
    for (const text of printed) {
      expect(text).not.toContain(forge.systemToken);
      expect(text).not.toContain(forge.userToken);
    }
    expect(inspect(auth)).toContain('systemToken');
    expect(JSON.parse(JSON.stringify(auth))).toMatchObject({ kind: 'forge', installationId: forge.installationId });
  });
});

describe('the Connect installation of the same site', () => {
  const record = (installationId: string): Installation => ({
    clientKey: `client-${randomUUID()}`,
    sharedSecret: 'shared-secret-of-the-connect-installation',
    baseUrl: 'https://example.atlassian.net',
    installationId,
  });

  it('is found by installationId, stored as an ARI or as the bare uuid', async () => {
    for (const stored of [forge.installationId, forge.installationId.split('/').pop() as string]) {
      const store = new MemoryStore();
      const installation = record(stored);
      await store.set(installation);
      await store.set(record(`ari:cloud:ecosystem::installation/${randomUUID()}`));
      const auth = await verify(fit(), { store });
      expect(auth.installation).toEqual(installation);
    }
  });

  it('is absent when the store does not know the installation', async () => {
    const auth = await verify(fit(), { store: new MemoryStore() });
    expect(auth.installation).toBeUndefined();
  });

  it('a store that fails is 503, after the token was verified', async () => {
    const broken: SecretStore = {
      get: async () => undefined,
      set: async () => {},
      delete: async () => {},
      getByInstallationId: async () => {
        throw new Error('connect ECONNREFUSED');
      },
    };
    await expect(verify(fit(), { store: broken })).rejects.toMatchObject({
      code: 'ERR_STORE_UNAVAILABLE',
      status: 503,
    });
    await expect(verify(fit({ forgery: 'tampered' }), { store: broken })).rejects.toMatchObject({ status: 401 });
  });
});
