// connectLifecycle behind whatever body parser the app installed before it: a valid install must
// be accepted, and a body another middleware consumed without keeping it must be a clear 400,
// never a request hanging until a timeout.
import { type LifecycleOptions, MemoryStore } from '@connect-jwt/core';
import { installPayload, type KeyServer, signInstall, startKeyServer } from '@connect-jwt/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from './listen.js';

const ADDON = 'https://addon.example.com';

/** One framework's add-ons: connectLifecycle at its default paths behind other middleware. */
export interface LifecycleBodyApps {
  /** By what the app put in front: each must still accept a valid install. */
  behind: Record<string, (options: LifecycleOptions) => Promise<RunningServer>>;
  /** Behind a middleware that reads the whole body and keeps nothing of it. */
  consumed?: ((options: LifecycleOptions) => Promise<RunningServer>) | undefined;
}

export function lifecycleBodySuite(framework: string, apps: LifecycleBodyApps): void {
  describe(`${framework}: connectLifecycle behind other body handling`, () => {
    let keyServer: KeyServer;
    beforeAll(async () => {
      keyServer = await startKeyServer();
    });
    afterAll(() => keyServer.close());

    const install = async (start: (options: LifecycleOptions) => Promise<RunningServer>) => {
      const store = new MemoryStore();
      const server = await start({ baseUrl: ADDON, store, keyServerUrl: keyServer.url });
      try {
        const payload = installPayload();
        const token = signInstall({ key: keyServer.key, addonBaseUrl: ADDON, payload });
        const response = await fetch(`${server.url}/installed`, {
          method: 'POST',
          headers: { authorization: `JWT ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify(payload),
          // A guard against a hang, not a speed assertion.
          signal: AbortSignal.timeout(10_000),
        });
        const text = await response.text();
        return { status: response.status, text, stored: await store.get(payload.clientKey), payload };
      } finally {
        await server.close();
      }
    };

    for (const [name, start] of Object.entries(apps.behind)) {
      it(`accepts a valid install behind ${name}`, async () => {
        const { status, text, stored, payload } = await install(start);
        expect({ status, text }).toEqual({ status: 204, text: '' });
        expect(stored?.sharedSecret).toBe(payload.sharedSecret);
      });
    }

    const consumed = apps.consumed;
    if (consumed !== undefined) {
      it('answers a clear 400 when another middleware consumed the body and kept nothing', async () => {
        const { status, text, stored } = await install(consumed);
        expect(status).toBe(400);
        expect(JSON.parse(text)).toMatchObject({ code: 'ERR_INVALID_INSTALL' });
        expect(JSON.parse(text).message).toMatch(/already read/);
        expect(stored).toBeUndefined();
      });
    }
  });
}
