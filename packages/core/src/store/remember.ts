import type { SecretStore } from '../types/store.js';
import { MemoryStore } from './memory.js';

// For stores written before rememberOnce existed: a memory per store, so the guarantee holds
// within this process (not across instances, which only the store itself can give).
const processLocal = new WeakMap<SecretStore, MemoryStore>();

function localTo(store: SecretStore): MemoryStore {
  let local = processLocal.get(store);
  if (local === undefined) {
    local = new MemoryStore();
    processLocal.set(store, local);
  }
  return local;
}

/** `store.rememberOnce(key, value, ttlMs)`, or a process-local stand-in for a store without one. */
export function rememberOnceIn(store: SecretStore, key: string, value: string, ttlMs: number): Promise<string> {
  if (typeof store.rememberOnce === 'function') return store.rememberOnce(key, value, ttlMs);
  return localTo(store).rememberOnce(key, value, ttlMs);
}

/** `store.remember(…)`, or the process-local stand-in's (the one rememberOnceIn uses) for a store without it. */
export function rememberIn(store: SecretStore, key: string, value: string, ttlMs: number): Promise<void> {
  if (typeof store.remember === 'function') return store.remember(key, value, ttlMs);
  return (localTo(store) as MemoryStore & SharedValues).remember(key, value, ttlMs);
}

/** `store.recall(key)`, or the process-local stand-in's. */
export function recallIn(store: SecretStore, key: string): Promise<string | undefined> {
  if (typeof store.recall === 'function') return store.recall(key);
  return (localTo(store) as MemoryStore & Required<Pick<SecretStore, 'recall'>>).recall(key);
}

/** `store.forget(key)`, or the process-local stand-in's. */
export function forgetIn(store: SecretStore, key: string): Promise<void> {
  if (typeof store.forget === 'function') return store.forget(key);
  return (localTo(store) as MemoryStore & SharedValues).forget(key);
}

/** The short-lived shared values a fleet-wide claim needs: take it once, mark it, or let it go. */
export interface SharedValues {
  rememberOnce(key: string, value: string, ttlMs: number): Promise<string>;
  remember(key: string, value: string, ttlMs: number): Promise<void>;
  forget(key: string): Promise<void>;
}

/**
 * The store's own shared values when it has all three operations, else a process-local memory
 * for all three (half in the store and half here would let a claim outlive its release).
 */
export function sharedValuesIn(store: SecretStore): SharedValues {
  const { rememberOnce, remember, forget } = store;
  if (typeof rememberOnce === 'function' && typeof remember === 'function' && typeof forget === 'function') {
    return {
      rememberOnce: (key, value, ttlMs) => rememberOnce.call(store, key, value, ttlMs),
      remember: (key, value, ttlMs) => remember.call(store, key, value, ttlMs),
      forget: (key) => forget.call(store, key),
    };
  }
  return localTo(store) as MemoryStore & SharedValues;
}
