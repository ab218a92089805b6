// The fixture both lifecycle test files share: a real key server for the run and a fresh store
// for each test, with options pointing the lifecycle at both.
import { type LifecycleOptions, MemoryStore } from '@connect-jwt/core';
import {
  type InstallPayload,
  type KeyServer,
  type SignInstallOptions,
  signInstall,
  startKeyServer,
} from '@connect-jwt/testing';
import { afterAll, beforeAll, beforeEach } from 'vitest';

export const ADDON = 'https://addon.example.com';

export interface LifecycleFixture {
  readonly keyServer: KeyServer;
  readonly store: MemoryStore;
  /** Lifecycle options for the add-on at ADDON, this test's store and the key server. */
  options(overrides?: Partial<LifecycleOptions>): LifecycleOptions;
  /** An install token Atlassian would send with `payload`. */
  signed(payload: InstallPayload, options?: Partial<SignInstallOptions>): string;
}

/** Registers the hooks in the calling file; read the fixture's fields inside tests only. */
export function lifecycleFixture(): LifecycleFixture {
  let keyServer: KeyServer;
  let store: MemoryStore;
  beforeAll(async () => {
    keyServer = await startKeyServer();
  });
  afterAll(() => keyServer.close());
  beforeEach(() => {
    store = new MemoryStore();
  });
  return {
    get keyServer() {
      return keyServer;
    },
    get store() {
      return store;
    },
    options: (overrides = {}) => ({ baseUrl: ADDON, store, keyServerUrl: keyServer.url, ...overrides }),
    signed: (payload, options = {}) => signInstall({ key: keyServer.key, addonBaseUrl: ADDON, payload, ...options }),
  };
}
