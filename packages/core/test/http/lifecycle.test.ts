import { Readable } from 'node:stream';
import type { LifecycleOptions } from '@connect-jwt/core';
import { createLifecycleRoutes } from '@connect-jwt/core/adapter';
import { type InstallPayload, installPayload } from '@connect-jwt/testing';
import { describe, expect, it } from 'vitest';
import { lifecycleFixture } from '../support/lifecycle.js';

const lifecycle = lifecycleFixture();
const signed = (payload: InstallPayload) => lifecycle.signed(payload);

function handlerWith(overrides: Partial<LifecycleOptions> = {}) {
  return createLifecycleRoutes(lifecycle.options(overrides));
}

describe('lifecycle routes: eventFor', () => {
  it('routes POSTs to the two paths, any case of method, and nothing else', () => {
    const routes = handlerWith({ installedPath: '/lifecycle/installed', uninstalledPath: '/lifecycle/uninstalled' });
    expect(routes.eventFor('post', '/lifecycle/installed')).toBe('installed');
    expect(routes.eventFor('POST', '/lifecycle/uninstalled')).toBe('uninstalled');
    expect(routes.eventFor('GET', '/lifecycle/installed')).toBeUndefined();
    expect(routes.eventFor('POST', '/installed')).toBeUndefined();
  });
});

describe('lifecycle routes: answer (the adapters entry point)', () => {
  const stream = (body: string, headers: Record<string, string>) =>
    Object.assign(Readable.from([Buffer.from(body)]), { headers });

  it('reads the JSON body, stores the install and answers 204', async () => {
    const payload = installPayload();
    const answer = await handlerWith().answer('installed', {
      method: 'POST',
      url: '/installed',
      stream: stream(JSON.stringify(payload), {
        'content-type': 'application/json',
        authorization: `JWT ${signed(payload)}`,
      }),
    });
    expect(answer).toEqual({ status: 204, headers: {} });
    expect(await lifecycle.store.get(payload.clientKey)).toBeDefined();
  });

  it('uses a body an app-wide parser already produced, after the content-type check', async () => {
    const payload = installPayload();
    const headers = { 'content-type': 'application/json', authorization: `JWT ${signed(payload)}` };
    const answer = await handlerWith().answer('installed', {
      method: 'POST',
      url: '/installed',
      stream: stream('', headers),
      parsedBody: payload,
    });
    expect(answer.status).toBe(204);
    const form = await handlerWith().answer('installed', {
      method: 'POST',
      url: '/installed',
      stream: stream('', { ...headers, 'content-type': 'application/x-www-form-urlencoded' }),
      parsedBody: payload,
    });
    expect(form).toMatchObject({ status: 400, body: { code: 'ERR_INVALID_INSTALL' } });
  });

  it('answers a refusal as the JSON error body with a JWT challenge', async () => {
    const answer = await handlerWith().answer('uninstalled', {
      method: 'POST',
      url: '/uninstalled',
      stream: stream('{}', { 'content-type': 'application/json' }),
    });
    expect(answer).toMatchObject({ status: 401, body: { code: 'ERR_INVALID_INSTALL', message: expect.any(String) } });
    expect(answer.headers['www-authenticate']).toMatch(/^JWT realm=/);
  });

  it('rethrows a failing hook for the framework, after the write', async () => {
    const payload = installPayload();
    const handler = handlerWith({
      onInstalled: () => {
        throw new Error('hook failed');
      },
    });
    await expect(
      handler.answer('installed', {
        method: 'POST',
        url: '/installed',
        stream: stream(JSON.stringify(payload), {
          'content-type': 'application/json',
          authorization: `JWT ${signed(payload)}`,
        }),
      }),
    ).rejects.toThrow('hook failed');
    expect(await lifecycle.store.get(payload.clientKey)).toBeDefined();
  });
});
