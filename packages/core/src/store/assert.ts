import type { Installation, StoreChangeListener } from '../types/store.js';

/**
 * The argument check every store's rememberOnce and remember make (`caller` names which): a
 * mistake is a TypeError, not a store outage.
 */
export function assertRememberArguments(key: unknown, value: unknown, ttlMs: unknown, caller = 'rememberOnce'): void {
  assertRememberKey(key, caller);
  if (typeof value !== 'string') throw new TypeError(`${caller}: value must be a string`);
  if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs < 1) {
    throw new TypeError(`${caller}: ttlMs must be a positive number of milliseconds`);
  }
}

/** The key check of remember, recall and forget: a non-empty string, else a TypeError. */
export function assertRememberKey(key: unknown, caller: string): void {
  if (typeof key !== 'string' || key === '') throw new TypeError(`${caller}: key must be a non-empty string`);
}

/**
 * The argument check of every store's `set`: one installation record with a string clientKey, else
 * a TypeError that names the expected call. atlassian-connect-express's habit,
 * `store.set(clientKey, record)`, otherwise stores something no lookup finds, and the next request
 * fails with a confusing ERR_INVALID_ISSUER.
 */
export function assertInstallation(installation: unknown, caller = 'set'): asserts installation is Installation {
  if (typeof installation === 'string') {
    throw new TypeError(
      `${caller}: takes one installation record, store.set({ clientKey, sharedSecret, baseUrl, … }), not a clientKey first (atlassian-connect-express's store.set(clientKey, record))`,
    );
  }
  if (installation === null || typeof installation !== 'object' || Array.isArray(installation)) {
    throw new TypeError(`${caller}: takes one installation record, store.set({ clientKey, sharedSecret, baseUrl, … })`);
  }
  const { clientKey } = installation as { clientKey?: unknown };
  if (typeof clientKey !== 'string' || clientKey === '') {
    throw new TypeError(
      `${caller}: installation.clientKey must be a non-empty string: store.set({ clientKey, sharedSecret, baseUrl, … })`,
    );
  }
}

/**
 * The argument check of every store's `replace`: two installation records for the same clientKey
 * (the one expected under it, the one to write), else a TypeError.
 */
export function assertReplaceArguments(expected: unknown, next: unknown): asserts expected is Installation {
  assertInstallation(expected, 'replace');
  assertInstallation(next, 'replace');
  if (expected.clientKey !== (next as Installation).clientKey) {
    throw new TypeError('replace: expected and next must have the same clientKey');
  }
}

/** The check every store's `watch` makes: a listener without its three callbacks is a TypeError at once, not a silent feed. */
export function assertStoreListener(listener: unknown): asserts listener is StoreChangeListener {
  const candidate = listener as Partial<StoreChangeListener> | null;
  if (
    candidate === null ||
    typeof candidate !== 'object' ||
    typeof candidate.change !== 'function' ||
    typeof candidate.up !== 'function' ||
    typeof candidate.down !== 'function'
  ) {
    throw new TypeError('watch: listener must have change, up and down functions');
  }
}
