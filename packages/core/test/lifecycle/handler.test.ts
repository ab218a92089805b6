import { forgeryCode, installForgeries } from '@connect-jwt/adapter-test-suite';
import type { ConnectRequest, Installation, LifecycleOptions, SecretStore } from '@connect-jwt/core';
import { type InstallPayload, installPayload, signInstall } from '@connect-jwt/testing';
import { describe, expect, it } from 'vitest';
import { createLifecycleHandler } from '../../src/lifecycle/handler.js';
import { ADDON, lifecycleFixture } from '../support/lifecycle.js';

const lifecycle = lifecycleFixture();

function handlerWith(overrides: Partial<LifecycleOptions> = {}) {
  return createLifecycleHandler(lifecycle.options(overrides));
}

function lifecycleRequest(token: string | undefined, body: unknown, url = '/installed'): ConnectRequest {
  const headers: ConnectRequest['headers'] = { 'content-type': 'application/json' };
  if (token !== undefined) headers.authorization = `JWT ${token}`;
  return { method: 'POST', url, headers, body };
}

const signed = lifecycle.signed;

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
        expect(await lifecycle.store.get(installation.clientKey)).toBeDefined();
        seen = installation;
      },
    });
    const installation = await handler.installed(lifecycleRequest(signed(payload), payload));
    expect(installation).toMatchObject({
      clientKey: payload.clientKey,
      sharedSecret: payload.sharedSecret,
      baseUrl: payload.baseUrl,
    });
    expect(await lifecycle.store.get(payload.clientKey)).toMatchObject({
      sharedSecret: payload.sharedSecret,
      key: payload.key,
    });
    expect(seen?.clientKey).toBe(payload.clientKey);
  });

  it('keeps only known string fields of the body', async () => {
    const payload = installPayload({ extra: 'x'.repeat(10_000) });
    await handlerWith().installed(lifecycleRequest(signed(payload), payload));
    expect(await lifecycle.store.get(payload.clientKey)).not.toHaveProperty('extra');
  });

  it('upserts on a signed re-install with a new secret', async () => {
    const handler = handlerWith();
    const payload = installPayload();
    await handler.installed(lifecycleRequest(signed(payload), payload));
    const again = { ...payload, sharedSecret: 'a-brand-new-shared-secret' };
    // A reinstall is a new callback: a new token (a later iat), not the first one again.
    await handler.installed(lifecycleRequest(signed(again, { now: Date.now() + 1000 }), again));
    expect((await lifecycle.store.get(payload.clientKey))?.sharedSecret).toBe('a-brand-new-shared-secret');
  });

  it('accepts an add-on mounted below a path (qsh relative to the base URL) and any configured base URL', async () => {
    const handler = handlerWith({ baseUrl: ['https://other.example.com', `${ADDON}/addon/`] });
    const payload = installPayload({ productType: 'confluence' });
    const token = signInstall({ key: lifecycle.keyServer.key, addonBaseUrl: `${ADDON}/addon`, payload });
    await handler.installed(lifecycleRequest(token, payload, '/addon/installed'));
    expect(await lifecycle.store.get(payload.clientKey)).toBeDefined();
  });

  it('accepts a token whose aud is a string or carries one trailing slash', async () => {
    const handler = handlerWith({ baseUrl: `${ADDON}/` });
    for (const aud of [ADDON, `${ADDON}/`]) {
      const payload = installPayload();
      await handler.installed(lifecycleRequest(signed(payload, { claims: { aud } }), payload));
      expect(await lifecycle.store.get(payload.clientKey)).toBeDefined();
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
    expect((await lifecycle.store.get(payload.clientKey))?.sharedSecret).toBe(payload.sharedSecret);
  });

  it("a repeat with the attacker's secret and baseUrl is 401 ERR_INVALID_INSTALL and changes nothing", async () => {
    const handler = handlerWith();
    const payload = installPayload();
    const token = signed(payload);
    await handler.installed(lifecycleRequest(token, payload));
    const hostile = { ...payload, sharedSecret: 'attacker-chosen-secret-000000', baseUrl: 'https://evil.example.com' };
    const error = await refusal(handler.installed(lifecycleRequest(token, hostile)));
    expect(error).toMatchObject({ code: 'ERR_INVALID_INSTALL', status: 401 });
    expect(await lifecycle.store.get(payload.clientKey)).toMatchObject({
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
    expect((await lifecycle.store.get(payload.clientKey))?.sharedSecret).toBe(payload.sharedSecret);
  });
});

describe('lifecycle handler: forged installs with random kids', () => {
  it('cost one key fetch each only within the budget, then 503 with Retry-After, never an install', async () => {
    const handler = handlerWith({ maxKeyFetchesPerMinute: 3 });
    const answers = [];
    for (let i = 0; i < 5; i++) {
      const payload = installPayload();
      const forged = signInstall({
        key: lifecycle.keyServer.createKey({ serve: false }),
        addonBaseUrl: ADDON,
        payload,
      });
      answers.push(await refusal(handler.installed(lifecycleRequest(forged, payload))));
      expect(await lifecycle.store.get(payload.clientKey)).toBeUndefined();
    }
    expect(answers.map((error) => error.status)).toEqual([401, 401, 401, 503, 503]);
    expect((answers[4] as unknown as { retryAfter: number }).retryAfter).toBeGreaterThanOrEqual(1);
  });
});

describe('lifecycle handler: forgeries are refused and nothing is written', () => {
  // The table every adapter also runs over HTTP; here against the domain handler, a fresh store each.
  it.each(installForgeries)('$name → $status, the stored secret unchanged', async ({ build, status }) => {
    const victim = installPayload({ sharedSecret: 'the-original-secret' });
    const handler = handlerWith({ keyFetchTimeoutMs: 1500 });
    await handler.installed(lifecycleRequest(signed(victim), victim));
    const call = await build({ keyServer: lifecycle.keyServer, addonBaseUrl: ADDON, victim });
    const url = call.queryToken === undefined ? call.path : `${call.path}?jwt=${call.queryToken}`;
    const request = lifecycleRequest(call.token, call.body, url);
    const answer = call.path === '/installed' ? handler.installed(request) : handler.uninstalled(request);
    const error = await refusal(answer);
    expect(error).toMatchObject({ code: forgeryCode(status), status });
    expect((await lifecycle.store.get(victim.clientKey))?.sharedSecret).toBe('the-original-secret');
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
    expect(await lifecycle.store.get(payload.clientKey)).toBeUndefined();
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
        expect(await lifecycle.store.get(clientKey)).toBeUndefined();
        seen = clientKey;
      },
    });
    const payload = installPayload();
    await handler.installed(lifecycleRequest(signed(payload), payload));
    const uninstall = { ...payload, eventType: 'uninstalled' as const };
    await handler.uninstalled(lifecycleRequest(signed(uninstall), uninstall, '/uninstalled'));
    expect(await lifecycle.store.get(payload.clientKey)).toBeUndefined();
    expect(seen).toBe(payload.clientKey);
  });

  it('refuses an uninstall for an unknown clientKey (401)', async () => {
    const uninstall = installPayload({ eventType: 'uninstalled' });
    const error = await refusal(
      handlerWith().uninstalled(lifecycleRequest(signed(uninstall), uninstall, '/uninstalled')),
    );
    expect(error).toMatchObject({ code: 'ERR_INVALID_INSTALL', status: 401 });
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
    const handler = handlerWith({ store: failing });
    const error = await refusal(handler.installed(lifecycleRequest(signed(payload), payload)));
    expect(error).toMatchObject({ code: 'ERR_STORE_UNAVAILABLE', status: 503 });
    const uninstall = { ...payload, eventType: 'uninstalled' as const };
    const second = await refusal(handler.uninstalled(lifecycleRequest(signed(uninstall), uninstall, '/uninstalled')));
    expect(second).toMatchObject({ code: 'ERR_STORE_UNAVAILABLE', status: 503 });
  });
});
