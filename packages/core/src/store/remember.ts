import { MemoryStore } from './memory.js';
import type { SecretStore } from './types.js';

// For stores written before rememberOnce existed: a memory per store, so the guarantee holds
// within this process (not across instances, which only the store itself can give).
const processLocal = new WeakMap<SecretStore, MemoryStore>();

/** `store.rememberOnce(key, value, ttlMs)`, or a process-local stand-in for a store without one. */
export function rememberOnceIn(store: SecretStore, key: string, value: string, ttlMs: number): Promise<string> {
  if (typeof store.rememberOnce === 'function') return store.rememberOnce(key, value, ttlMs);
  let local = processLocal.get(store);
  if (local === undefined) {
    local = new MemoryStore();
    processLocal.set(store, local);
  }
  return local.rememberOnce(key, value, ttlMs);
}
