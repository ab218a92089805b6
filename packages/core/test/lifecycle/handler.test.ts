import {
  type ConnectRequest,
  encode,
  type Installation,
  type LifecycleOptions,
  MemoryStore,
  type SecretStore,
} from '@connect-jwt/core';
import {
  type InstallPayload,
  installPayload,
  type KeyServer,
  type SignInstallOptions,
  signInstall,
  startKeyServer,
} from '@connect-jwt/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLifecycleHandler } from '../../src/lifecycle/handler.js';

const ADDON = 'https://addon.example.com';
let keyServer: KeyServer;
let store: MemoryStore;

beforeAll(async () => {
  keyServer = await startKeyServer();
});
afterAll(() => keyServer.close());
beforeEach(() => {
  store = new MemoryStore();
});

function handlerWith(overrides: Partial<LifecycleOptions> = {}) {
  return createLifecycleHandler({ baseUrl: ADDON, store, keyServerUrl: keyServer.url, ...overrides });
}

function lifecycleRequest(token: string | undefined, body: unknown, url = '/installed'): ConnectRequest {
  const headers: ConnectRequest['headers'] = { 'content-type': 'application/json' };
  if (token !== undefined) headers.authorization = `JWT ${token}`;
  return { method: 'POST', url, headers, body };
}

function signed(payload: InstallPayload, options: Partial<SignInstallOptions> = {}): string {
  return signInstall({ key: keyServer.key, addonBaseUrl: ADDON, payload, ...options });
}

async function refusal(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, 'expected a refusal').toBeDefined();
  return error as { code: string; status: number; message: string };
}

describe('lifecycle handler: install', () => {
  it('stores a signed install and calls onInstalled after the write', async () => {
    const payload = installPayload();
    let seen: Installation | undefined;
    const handler = handlerWith({
      onInstalled: async (installation) => {
        expect(await store.get(installation.clientKey)).toBeDefined();
        seen = installation;
      },
    });
    const installation = await handler.installed(lifecycleRequest(signed(payload), payload));
    expect(installation).toMatchObject({
      clientKey: payload.clientKey,
      sharedSecret: payload.sharedSecret,
      baseUrl: payload.baseUrl,
    });
    expect(await store.get(payload.clientKey)).toMatchObject({ sharedSecret: payload.sharedSecret, key: payload.key });
    expect(seen?.clientKey).toBe(payload.clientKey);
  });

  it('keeps only known string fields of the body', async () => {
    const payload = installPayload({ extra: 'x'.repeat(10_000) });
    await handlerWith().installed(lifecycleRequest(signed(payload), payload));
    expect(await store.get(payload.clientKey)).not.toHaveProperty('extra');
  });

  it('upserts on a signed re-install with a new secret', async () => {
    const handler = handlerWith();
    const payload = installPayload();
    await handler.installed(lifecycleRequest(signed(payload), payload));
    const again = { ...payload, sharedSecret: 'a-brand-new-shared-secret' };
    // A reinstall is a new callback: a new token (a later iat), not the first one again.
    await handler.installed(lifecycleRequest(signed(again, { now: Date.now() + 1000 }), again));
    expect((await store.get(payload.clientKey))?.sharedSecret).toBe('a-brand-new-shared-secret');
  });

  it('accepts an add-on mounted below a path (qsh relative to the base URL) and any configured base URL', async () => {
    const handler = handlerWith({ baseUrl: ['https://other.example.com', `${ADDON}/addon/`] });
    const payload = installPayload({ productType: 'confluence' });
    const token = signInstall({ key: keyServer.key, addonBaseUrl: `${ADDON}/addon`, payload });
    await handler.installed(lifecycleRequest(token, payload, '/addon/installed'));
    expect(await store.get(payload.clientKey)).toBeDefined();
  });

  it('accepts a token whose aud is a string or carries one trailing slash', async () => {
    const handler = handlerWith({ baseUrl: `${ADDON}/` });
    for (const aud of [ADDON, `${ADDON}/`]) {
      const payload = installPayload();
      await handler.installed(lifecycleRequest(signed(payload, { claims: { aud } }), payload));
      expect(await store.get(payload.clientKey)).toBeDefined();
    }
  });
});

describe('lifecycle handler: a captured install token cannot be replayed with another body', () => {
  it('a repeat with the identical body is idempotent (Atlassian retries)', async () => {
    const handler = handlerWith();
    const payload = installPayload();
    const token = signed(payload);
    await handler.installed(lifecycleRequest(token, payload));
    await handler.installed(lifecycleRequest(token, { ...payload }));
    expect((await store.get(payload.clientKey))?.sharedSecret).toBe(payload.sharedSecret);
  });

  it("a repeat with the attacker's secret and baseUrl is 401 ERR_INVALID_INSTALL and changes nothing", async () => {
    const handler = handlerWith();
    const payload = installPayload();
    const token = signed(payload);
    await handler.installed(lifecycleRequest(token, payload));
    const hostile = { ...payload, sharedSecret: 'attacker-chosen-secret-000000', baseUrl: 'https://evil.example.com' };
    const error = await refusal(handler.installed(lifecycleRequest(token, hostile)));
    expect(error).toMatchObject({ code: 'ERR_INVALID_INSTALL', status: 401 });
    expect(await store.get(payload.clientKey)).toMatchObject({
      sharedSecret: payload.sharedSecret,
      baseUrl: payload.baseUrl,
    });
  });

  it('holds across add-on instances that share the store', async () => {
    const payload = installPayload();
    const token = signed(payload);
    await handlerWith().installed(lifecycleRequest(token, payload));
    const hostile = { ...payload, sharedSecret: 'attacker-chosen-secret-000000' };
    const error = await refusal(handlerWith().installed(lifecycleRequest(token, hostile)));
    expect(error).toMatchObject({ code: 'ERR_INVALID_INSTALL', status: 401 });
    expect((await store.get(payload.clientKey))?.sharedSecret).toBe(payload.sharedSecret);
  });
});

describe('lifecycle handler: forged installs with random kids', () => {
  it('cost one key fetch each only within the budget, then 503 with Retry-After, never an install', async () => {
    const handler = handlerWith({ maxKeyFetchesPerMinute: 3 });
    const answers = [];
    for (let i = 0; i < 5; i++) {
      const payload = installPayload();
      const forged = signInstall({ key: keyServer.createKey({ serve: false }), addonBaseUrl: ADDON, payload });
      answers.push(await refusal(handler.installed(lifecycleRequest(forged, payload))));
      expect(await store.get(payload.clientKey)).toBeUndefined();
    }
    expect(answers.map((error) => error.status)).toEqual([401, 401, 401, 503, 503]);
    expect((answers[4] as unknown as { retryAfter: number }).retryAfter).toBeGreaterThanOrEqual(1);
  });
});

describe('lifecycle handler: forgeries are refused and nothing is written', () => {
  const victim = installPayload({ sharedSecret: 'the-original-secret' });
  const forged = { ...victim, sharedSecret: 'attacker-chosen-secret' };
  const otherKey = () => keyServer.createKey({ serve: false });

  const cases: Array<[string, () => Promise<ConnectRequest> | ConnectRequest, number?]> = [
    ['no token', () => lifecycleRequest(undefined, forged)],
    [
      'an HS256 token signed with the stored shared secret',
      async () =>
        lifecycleRequest(
          await encode(
            { iss: victim.clientKey, aud: ADDON, qsh: 'x', exp: Math.floor(Date.now() / 1000) + 60 },
            'the-original-secret',
          ),
          forged,
        ),
    ],
    ['alg none', () => lifecycleRequest(unsecured({ iss: victim.clientKey, aud: ADDON }), forged)],
    [
      'RS256 with a key the key server does not serve',
      () => lifecycleRequest(signed(forged, { key: otherKey() }), forged),
    ],
    [
      "RS256 signed with another key under the served key's kid",
      () => lifecycleRequest(signed(forged, { key: { ...otherKey(), kid: keyServer.key.kid } }), forged),
    ],
    ['a wrong aud', () => lifecycleRequest(signed(forged, { claims: { aud: 'https://evil.example.com' } }), forged)],
    [
      'an aud that only starts with the base URL',
      () => lifecycleRequest(signed(forged, { claims: { aud: `${ADDON}.evil.io` } }), forged),
    ],
    [
      'an aud with a path below the base URL',
      () => lifecycleRequest(signed(forged, { claims: { aud: `${ADDON}/x` } }), forged),
    ],
    ['no aud', () => lifecycleRequest(signed(forged, { claims: { aud: undefined } }), forged)],
    [
      'iss other than the body clientKey',
      () => lifecycleRequest(signed({ ...forged, clientKey: 'someone-else' }), forged),
    ],
    ['no iss', () => lifecycleRequest(signed(forged, { claims: { iss: undefined } }), forged)],
    ['no qsh', () => lifecycleRequest(signed(forged, { claims: { qsh: undefined } }), forged)],
    ['a context-qsh token', () => lifecycleRequest(signed(forged, { claims: { qsh: 'context-qsh' } }), forged)],
    [
      'a qsh of /uninstalled replayed on /installed',
      () => lifecycleRequest(signed(forged, { path: '/uninstalled' }), forged),
    ],
    ['no exp', () => lifecycleRequest(signed(forged, { claims: { exp: undefined } }), forged)],
    ['an expired token', () => lifecycleRequest(signed(forged, { now: Date.now() - 3_600_000 }), forged)],
    [
      'a kid containing ../',
      () => lifecycleRequest(signed(forged, { header: { kid: `../${keyServer.key.kid}` } }), forged),
    ],
    ['no kid', () => lifecycleRequest(signed(forged, { header: { kid: undefined } }), forged)],
    ['a tampered payload', () => lifecycleRequest(tamper(signed(victim), { iss: 'x' }), forged)],
    [
      'a body whose clientKey differs from the token issuer',
      () => lifecycleRequest(signed(installPayload()), { ...forged, eventType: 'installed' }),
    ],
    ['issued in the future', () => lifecycleRequest(signed(forged, { now: Date.now() + 3_600_000 }), forged)],
    [
      'not valid before a future nbf',
      () => lifecycleRequest(signed(forged, { claims: { nbf: Math.floor(Date.now() / 1000) + 3600 } }), forged),
    ],
    ['an exp that is not a number', () => lifecycleRequest(signed(forged, { claims: { exp: '9999999999' } }), forged)],
    ['an oversized token', () => lifecycleRequest(signed(forged, { claims: { pad: 'x'.repeat(9000) } }), forged)],
    [
      'two different tokens (header and query)',
      () => ({
        ...lifecycleRequest(signed(forged, { expiresIn: 60 }), forged),
        url: `/installed?jwt=${signed(forged, { header: { kid: 'fake-kid' } })}`,
      }),
    ],
    ['an HS512 token', () => lifecycleRequest(signed(forged, { header: { alg: 'HS512' } }), forged)],
    ['a token in the JSON body only', () => lifecycleRequest(undefined, { ...forged, jwt: signed(forged) })],
  ];

  it.each(cases)('%s → 401 ERR_INVALID_INSTALL', async (_what, build) => {
    const handler = handlerWith();
    await handler.installed(lifecycleRequest(signed(victim), victim));
    const error = await refusal(handler.installed(await build()));
    expect(error).toMatchObject({ code: 'ERR_INVALID_INSTALL', status: 401 });
    expect((await store.get(victim.clientKey))?.sharedSecret).toBe('the-original-secret');
  });

  it.each([
    ['404', 'not-found', 401, 'ERR_INVALID_INSTALL'],
    ['500', 'error', 503, 'ERR_STORE_UNAVAILABLE'],
    ['garbage', 'garbage', 503, 'ERR_STORE_UNAVAILABLE'],
    ['nothing (timeout)', 'hang', 503, 'ERR_STORE_UNAVAILABLE'],
  ] as const)('key server answering %s → %i and the secret unchanged', async (_what, mode, status, code) => {
    const handler = handlerWith({ keyFetchTimeoutMs: 1500 });
    await handler.installed(lifecycleRequest(signed(victim), victim));
    const key = keyServer.createKey();
    keyServer.respond(key.kid, mode);
    const error = await refusal(handler.installed(lifecycleRequest(signed(forged, { key }), forged)));
    expect(error).toMatchObject({ code, status });
    expect((await store.get(victim.clientKey))?.sharedSecret).toBe('the-original-secret');
  });
});

describe('lifecycle handler: body validation', () => {
  const cases: Array<[string, (p: InstallPayload) => unknown]> = [
    ['not an object', () => ['an', 'array']],
    ['no sharedSecret', (p) => ({ ...p, sharedSecret: undefined })],
    ['an empty sharedSecret', (p) => ({ ...p, sharedSecret: '' })],
    ['a numeric sharedSecret', (p) => ({ ...p, sharedSecret: 12345 })],
    ['no baseUrl', (p) => ({ ...p, baseUrl: undefined })],
    ['a baseUrl that is not http(s)', (p) => ({ ...p, baseUrl: 'javascript:alert(1)' })],
    ['no productType', (p) => ({ ...p, productType: undefined })],
    ['eventType uninstalled on /installed', (p) => ({ ...p, eventType: 'uninstalled' })],
    ['no eventType', (p) => ({ ...p, eventType: undefined })],
    ['an overlong sharedSecret', (p) => ({ ...p, sharedSecret: 's'.repeat(513) })],
    ['an object where a string belongs', (p) => ({ ...p, description: { a: 1 } })],
  ];

  it.each(cases)('%s → 400 ERR_INVALID_INSTALL, nothing stored', async (_what, mutate) => {
    const payload = installPayload();
    const error = await refusal(handlerWith().installed(lifecycleRequest(signed(payload), mutate(payload))));
    expect(error).toMatchObject({ code: 'ERR_INVALID_INSTALL', status: 400 });
    expect(await store.get(payload.clientKey)).toBeUndefined();
  });

  it('a clientKey with control characters → 400', async () => {
    const payload = installPayload({ clientKey: 'key\nwith-newline' });
    const error = await refusal(handlerWith().installed(lifecycleRequest(signed(payload), payload)));
    expect(error).toMatchObject({ code: 'ERR_INVALID_INSTALL', status: 400 });
  });

  it('checks the token before the body, so a forger learns nothing from body errors', async () => {
    const error = await refusal(handlerWith().installed(lifecycleRequest(undefined, 'not an object')));
    expect(error).toMatchObject({ code: 'ERR_INVALID_INSTALL', status: 401 });
  });
});

describe('lifecycle handler: uninstall', () => {
  it('deletes a known installation and calls onUninstalled after the delete', async () => {
    let seen: string | undefined;
    const handler = handlerWith({
      onUninstalled: async (clientKey) => {
        expect(await store.get(clientKey)).toBeUndefined();
        seen = clientKey;
      },
    });
    const payload = installPayload();
    await handler.installed(lifecycleRequest(signed(payload), payload));
    const uninstall = { ...payload, eventType: 'uninstalled' as const };
    await handler.uninstalled(lifecycleRequest(signed(uninstall), uninstall, '/uninstalled'));
    expect(await store.get(payload.clientKey)).toBeUndefined();
    expect(seen).toBe(payload.clientKey);
  });

  it('refuses an uninstall for an unknown clientKey (401)', async () => {
    const uninstall = installPayload({ eventType: 'uninstalled' });
    const error = await refusal(
      handlerWith().uninstalled(lifecycleRequest(signed(uninstall), uninstall, '/uninstalled')),
    );
    expect(error).toMatchObject({ code: 'ERR_INVALID_INSTALL', status: 401 });
  });

  it('refuses an install token replayed on /uninstalled and keeps the installation', async () => {
    const handler = handlerWith();
    const payload = installPayload();
    const token = signed(payload);
    await handler.installed(lifecycleRequest(token, payload));
    const uninstall = { ...payload, eventType: 'uninstalled' as const };
    const error = await refusal(handler.uninstalled(lifecycleRequest(token, uninstall, '/uninstalled')));
    expect(error).toMatchObject({ code: 'ERR_INVALID_INSTALL', status: 401 });
    expect(await store.get(payload.clientKey)).toBeDefined();
  });
});

describe('lifecycle handler: store failures', () => {
  const failing: SecretStore = {
    get: () => Promise.reject(new Error('ECONNREFUSED')),
    set: () => Promise.reject(new Error('ECONNREFUSED')),
    delete: () => Promise.reject(new Error('ECONNREFUSED')),
  };

  it('answers 503 when the store cannot be written', async () => {
    const payload = installPayload();
    const handler = createLifecycleHandler({ baseUrl: ADDON, store: failing, keyServerUrl: keyServer.url });
    const error = await refusal(handler.installed(lifecycleRequest(signed(payload), payload)));
    expect(error).toMatchObject({ code: 'ERR_STORE_UNAVAILABLE', status: 503 });
    const uninstall = { ...payload, eventType: 'uninstalled' as const };
    const second = await refusal(handler.uninstalled(lifecycleRequest(signed(uninstall), uninstall, '/uninstalled')));
    expect(second).toMatchObject({ code: 'ERR_STORE_UNAVAILABLE', status: 503 });
  });
});

function unsecured(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return `${part({ alg: 'none', typ: 'JWT' })}.${part({ ...claims, iat: now, exp: now + 60 })}.`;
}

function tamper(token: string, claims: Record<string, unknown>): string {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const edited = { ...JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')), ...claims };
  return `${header}.${Buffer.from(JSON.stringify(edited)).toString('base64url')}.${signature}`;
}
