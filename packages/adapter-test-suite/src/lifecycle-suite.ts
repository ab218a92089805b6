// One table of signed-install lifecycles and forgeries, run over real HTTP against each
// adapter's add-on, with real RSA keys and a real key server.
import { encode, getDefaultStore, type LifecycleOptions, MemoryStore, setDefaultStore } from '@connect-jwt/core';
import {
  type InstallPayload,
  installPayload,
  type KeyServer,
  mintHostToken,
  type SignInstallOptions,
  signInstall,
  startKeyServer,
} from '@connect-jwt/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ATTACKER_SECRET, forgeryCode, installForgeries } from './install-forgeries.js';
import type { RunningServer } from './listen.js';
import { nowSeconds, unsignedToken } from './tokens.js';

const ADDON = 'https://addon.example.com';
/** The authenticated route every lifecycle app serves: it answers the verified clientKey. */
export const WHOAMI = '/api/whoami';

type RunningAddon = RunningServer;

/** One framework's add-ons for the lifecycle table. */
export interface LifecycleApps {
  /**
   * `connectLifecycle(options)` at its default paths and `GET WHOAMI` guarded by `atlassianJwt()`
   * with no options (the default store, where installs land), answering `{ clientKey }`.
   */
  start(options: LifecycleOptions): Promise<RunningServer>;
  /**
   * The lifecycle routes at `/addon/installed` and `/addon/uninstalled` (the options' baseUrl
   * ends in `/addon/`): mounted below `/addon`, or given explicit paths.
   */
  startMounted(options: LifecycleOptions): Promise<RunningServer>;
}

interface LifecycleCall {
  path: '/installed' | '/uninstalled';
  token?: string | undefined;
  queryToken?: string | undefined;
  body: unknown;
}

let keyServer: KeyServer;

function sign(payload: InstallPayload, options: Partial<SignInstallOptions> = {}): string {
  return signInstall({ key: keyServer.key, addonBaseUrl: ADDON, payload, ...options });
}

function unsecuredToken(claims: Record<string, unknown>): string {
  return unsignedToken({ alg: 'none', typ: 'JWT' }, claims);
}

/** Registers the lifecycle table (installs, forgeries, bad bodies, scanner probes) against one framework. */
export function lifecycleSuite(name: string, apps: LifecycleApps): void {
  describe(`${name} adapter: signed-install lifecycle`, () => {
    beforeAll(async () => {
      keyServer = await startKeyServer();
    });
    afterAll(() => keyServer.close());
    lifecycleTable(apps.start);
    mountedLifecycle(apps.startMounted);
  });
}

function lifecycleTable(start: LifecycleApps['start']): void {
  let addon: RunningAddon;

  beforeAll(async () => {
    setDefaultStore(new MemoryStore());
    addon = await start({ baseUrl: ADDON, keyServerUrl: keyServer.url, keyFetchTimeoutMs: 2000 });
  });
  afterAll(async () => {
    await addon?.close();
  });

  async function call({ path, token, queryToken, body }: LifecycleCall) {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (token !== undefined) headers.authorization = `JWT ${token}`;
    const query = queryToken === undefined ? '' : `?jwt=${queryToken}`;
    const response = await fetch(`${addon.url}${path}${query}`, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, json: text === '' ? undefined : JSON.parse(text) };
  }

  async function whoami(installation: { clientKey: string; sharedSecret: string }) {
    const token = await mintHostToken({ ...installation, addonBaseUrl: ADDON }, { url: WHOAMI });
    const response = await fetch(`${addon.url}${WHOAMI}`, { headers: { authorization: `JWT ${token}` } });
    return { status: response.status, json: await response.json() };
  }

  const storedSecret = async (clientKey: string) => (await getDefaultStore().get(clientKey))?.sharedSecret;

  it('install → authenticated request → re-install with a new secret → uninstall', async () => {
    const first = installPayload();
    expect((await call({ path: '/installed', token: sign(first), body: first })).status).toBe(204);
    expect(await storedSecret(first.clientKey)).toBe(first.sharedSecret);
    expect(await whoami(first)).toEqual({ status: 200, json: { clientKey: first.clientKey } });

    const second = { ...first, sharedSecret: 'the-rotated-shared-secret-after-reinstall' };
    // A reinstall is a new callback with a new token (a later iat), not the first one again.
    const reinstallToken = sign(second, { now: Date.now() + 1000 });
    expect((await call({ path: '/installed', token: reinstallToken, body: second })).status).toBe(204);
    expect(await storedSecret(first.clientKey)).toBe(second.sharedSecret);
    expect((await whoami(first)).status).toBe(401);
    expect(await whoami(second)).toEqual({ status: 200, json: { clientKey: first.clientKey } });

    const uninstall = { ...second, eventType: 'uninstalled' as const };
    expect((await call({ path: '/uninstalled', token: sign(uninstall), body: uninstall })).status).toBe(204);
    expect(await getDefaultStore().get(first.clientKey)).toBeUndefined();
    expect((await whoami(second)).status).toBe(401);

    // A second uninstall names an installation that no longer exists.
    expect((await call({ path: '/uninstalled', token: sign(uninstall), body: uninstall })).status).toBe(401);
  });

  describe('forgeries are refused and the stored secret is unchanged', () => {
    const victim = installPayload();
    beforeAll(async () => {
      expect((await call({ path: '/installed', token: sign(victim), body: victim })).status).toBe(204);
    });

    it.each(installForgeries)('$name', async ({ build, status }) => {
      const answer = await call(await build({ keyServer, addonBaseUrl: ADDON, victim }));
      expect(answer.status).toBe(status);
      expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
      expect(answer.json).toMatchObject({ code: forgeryCode(status), message: expect.any(String) });
      if (status === 401) expect(answer.headers.get('www-authenticate')).toMatch(/^JWT realm="/);
      expect(await storedSecret(victim.clientKey)).toBe(victim.sharedSecret);
      expect((await whoami(victim)).status).toBe(200);
      expect((await whoami({ ...victim, sharedSecret: ATTACKER_SECRET })).status).toBe(401);
    });
  });

  describe('bad bodies are 400 and change nothing', () => {
    it.each([
      ['a form body', 'application/x-www-form-urlencoded', 'clientKey=x&sharedSecret=y'],
      ['invalid JSON', 'application/json', '{"clientKey":'],
      ['a body over the size limit', 'application/json', JSON.stringify({ description: 'x'.repeat(70 * 1024) })],
    ])('%s', async (_what, contentType, body) => {
      const payload = installPayload();
      const response = await fetch(`${addon.url}/installed`, {
        method: 'POST',
        headers: { 'content-type': contentType, authorization: `JWT ${sign(payload)}` },
        body,
      });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ code: 'ERR_INVALID_INSTALL' });
      expect(await getDefaultStore().get(payload.clientKey)).toBeUndefined();
    });

    it('a body without a content type', async () => {
      const payload = installPayload();
      const response = await fetch(`${addon.url}/installed`, {
        method: 'POST',
        headers: { authorization: `JWT ${sign(payload)}` },
        body: new TextEncoder().encode(JSON.stringify(payload)),
      });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ code: 'ERR_INVALID_INSTALL' });
      expect(await getDefaultStore().get(payload.clientKey)).toBeUndefined();
    });

    it('a signed install whose body misses its sharedSecret', async () => {
      const payload = installPayload();
      const answer = await call({
        path: '/installed',
        token: sign(payload),
        body: { ...payload, sharedSecret: undefined },
      });
      expect(answer.status).toBe(400);
      expect(answer.json).toMatchObject({ code: 'ERR_INVALID_INSTALL' });
      expect(await getDefaultStore().get(payload.clientKey)).toBeUndefined();
    });
  });

  // What Atlassian's security requirements scanner sends to every route of an app.
  describe('security requirements scanner', () => {
    const installation = installPayload();
    const claims = () => ({
      iss: installation.clientKey,
      aud: [ADDON],
      iat: nowSeconds(),
      exp: nowSeconds() + 180,
      qsh: 'x',
    });
    const attacks: Array<[string, () => Promise<string | undefined> | string | undefined]> = [
      ['no token', () => undefined],
      ['an HS256 token with a bogus key', () => encode(claims(), 'bogus-key')],
      ['alg: none', () => unsecuredToken(claims())],
      ['an RS256 token with kid: fake-kid', () => sign(installation, { header: { kid: 'fake-kid' } })],
    ];
    const routes = [
      ['POST', '/installed'],
      ['POST', '/uninstalled'],
      ['GET', WHOAMI],
    ] as const;

    beforeAll(async () => {
      expect((await call({ path: '/installed', token: sign(installation), body: installation })).status).toBe(204);
    });

    it.each(routes.flatMap(([method, path]) => attacks.map(([what, token]) => [method, path, what, token] as const)))(
      '%s %s with %s → 4xx',
      async (method, path, _what, token) => {
        const value = await token();
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (value !== undefined) headers.authorization = `JWT ${value}`;
        const eventType = path === '/uninstalled' ? 'uninstalled' : 'installed';
        const response = await fetch(`${addon.url}${path}`, {
          method,
          headers,
          ...(method === 'POST' && { body: JSON.stringify({ ...installation, eventType, sharedSecret: 'scanner' }) }),
        });
        expect(response.status).toBeGreaterThanOrEqual(400);
        expect(response.status).toBeLessThan(500);
        await response.body?.cancel();
        expect(await storedSecret(installation.clientKey)).toBe(installation.sharedSecret);
      },
    );
  });
}

function mountedLifecycle(start: LifecycleApps['startMounted']): void {
  describe('below a mount path', () => {
    mountedTable(start);
  });
}

function mountedTable(start: LifecycleApps['startMounted']): void {
  const base = `${ADDON}/addon`;
  let addon: RunningAddon;
  let store: MemoryStore;

  beforeAll(async () => {
    store = new MemoryStore();
    addon = await start({ baseUrl: `${base}/`, store, keyServerUrl: keyServer.url });
  });
  afterAll(async () => {
    await addon?.close();
  });

  const post = async (path: string, token: string, body: unknown) => {
    const response = await fetch(`${addon.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `JWT ${token}` },
      body: JSON.stringify(body),
    });
    await response.body?.cancel();
    return response.status;
  };

  it('hashes the path below the base URL, as Atlassian signs it', async () => {
    const payload = installPayload({ productType: 'confluence' });
    // The qsh Atlassian signs is of `/installed`, relative to the add-on's base URL.
    const unstripped = signInstall({ key: keyServer.key, addonBaseUrl: base, payload, path: '/addon/installed' });
    expect(await post('/addon/installed', unstripped, payload)).toBe(401);
    expect(await store.get(payload.clientKey)).toBeUndefined();

    expect(
      await post('/addon/installed', signInstall({ key: keyServer.key, addonBaseUrl: base, payload }), payload),
    ).toBe(204);
    expect((await store.get(payload.clientKey))?.sharedSecret).toBe(payload.sharedSecret);

    const uninstall = { ...payload, eventType: 'uninstalled' as const };
    const token = signInstall({ key: keyServer.key, addonBaseUrl: base, payload: uninstall });
    expect(await post('/addon/uninstalled', token, uninstall)).toBe(204);
    expect(await store.get(payload.clientKey)).toBeUndefined();
  });
}
