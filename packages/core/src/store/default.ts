import type { SecretStore } from '../types/store.js';
import { isSecretStore } from './contract.js';
import { MemoryStore } from './memory.js';

let defaultStore: SecretStore | undefined;

/**
 * The process-wide store that `atlassianJwt()` and `connectLifecycle()` use when given none,
 * so installs made through the lifecycle routes are what the middleware authenticates against.
 * A MemoryStore unless `setDefaultStore` chose another.
 */
export function getDefaultStore(): SecretStore {
  defaultStore ??= new MemoryStore();
  return defaultStore;
}

/** Replaces the default store (e.g. with a RedisStore) before the adapters are created. */
export function setDefaultStore(store: SecretStore): void {
  if (!isSecretStore(store)) throw new TypeError('setDefaultStore: store must be a SecretStore');
  defaultStore = store;
}
