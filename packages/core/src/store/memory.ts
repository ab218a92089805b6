import { isDeepStrictEqual } from 'node:util';
import type { Installation, SecretStore, StoreChange, StoreChangeListener } from '../types/store.js';
import {
  assertInstallation,
  assertRememberArguments,
  assertRememberKey,
  assertReplaceArguments,
  assertStoreListener,
} from './assert.js';
import { StoreGate } from './gate.js';
import { bareInstallationId } from './installation-id.js';

/**
 * Installations in this process's memory: for tests and single-process add-ons that reinstall on
 * restart. Its change feed (`watch`) is synchronous and in-process: every cache put in front of
 * this one store (several `cachedStore`s, say) hears each write before the write resolves.
 */
export class MemoryStore implements SecretStore {
  readonly #installations = new Map<string, Installation>();
  /** bareInstallationId(installationId) → clientKey. */
  readonly #byInstallationId = new Map<string, string>();
  readonly #remembered = new Map<string, { value: string; expiresAt: number }>();
  readonly #listeners = new Set<StoreChangeListener>();
  /** The size of #remembered at which expired values are swept next. */
  #sweepAt = 1024;
  readonly #gate = new StoreGate('the memory store');

  async get(clientKey: string): Promise<Installation | undefined> {
    this.#gate.assertOpen();
    const stored = this.#installations.get(clientKey);
    // A copy, so a caller mutating the result cannot change the stored secret.
    return stored === undefined ? undefined : { ...stored };
  }

  async getByInstallationId(installationId: string): Promise<Installation | undefined> {
    this.#gate.assertOpen();
    const clientKey = this.#byInstallationId.get(bareInstallationId(installationId));
    return clientKey === undefined ? undefined : this.get(clientKey);
  }

  async set(installation: Installation): Promise<void> {
    this.#gate.assertOpen();
    assertInstallation(installation);
    this.#write(installation);
  }

  /** Compared and written in one synchronous step: no other call runs in between. */
  async replace(expected: Installation, next: Installation): Promise<boolean> {
    this.#gate.assertOpen();
    assertReplaceArguments(expected, next);
    const stored = this.#installations.get(next.clientKey);
    if (stored === undefined || !isDeepStrictEqual(stored, { ...expected })) return false;
    this.#write(next);
    return true;
  }

  #write(installation: Installation): void {
    this.#unindex(installation.clientKey);
    this.#installations.set(installation.clientKey, { ...installation });
    const change: StoreChange = { clientKey: installation.clientKey };
    if (typeof installation.installationId === 'string') {
      this.#byInstallationId.set(bareInstallationId(installation.installationId), installation.clientKey);
      change.installationId = installation.installationId;
    }
    this.#publish(change);
  }

  async delete(clientKey: string): Promise<void> {
    this.#gate.assertOpen();
    this.#unindex(clientKey);
    this.#installations.delete(clientKey);
    this.#publish({ clientKey });
  }

  /** Subscribes to this store's writes; the feed is up at once and never goes down. */
  async watch(listener: StoreChangeListener): Promise<() => Promise<void>> {
    this.#gate.assertOpen();
    assertStoreListener(listener);
    // Its own object, so one listener watching twice is two subscriptions, each ended alone.
    const subscription: StoreChangeListener = {
      change: (change) => listener.change(change),
      up: () => listener.up(),
      down: (error) => listener.down(error),
    };
    this.#listeners.add(subscription);
    subscription.up();
    return async () => {
      this.#listeners.delete(subscription);
    };
  }

  #publish(change: StoreChange): void {
    for (const listener of this.#listeners) {
      // A listener that throws is its own bug: it must not fail the write or starve the others.
      try {
        listener.change({ ...change });
      } catch {}
    }
  }

  /** A snapshot of the keys, each record read when reached: one deleted by then is skipped. */
  async *installations(): AsyncIterable<Installation> {
    this.#gate.assertOpen();
    for (const clientKey of [...this.#installations.keys()]) {
      this.#gate.assertOpen();
      const stored = this.#installations.get(clientKey);
      if (stored !== undefined) yield { ...stored };
    }
  }

  #unindex(clientKey: string): void {
    const previous = this.#installations.get(clientKey)?.installationId;
    if (typeof previous !== 'string') return;
    const key = bareInstallationId(previous);
    if (this.#byInstallationId.get(key) === clientKey) this.#byInstallationId.delete(key);
  }

  async rememberOnce(key: string, value: string, ttlMs: number): Promise<string> {
    this.#gate.assertOpen();
    assertRememberArguments(key, value, ttlMs);
    const now = Date.now();
    this.#dropExpired(now);
    const held = this.#remembered.get(key);
    if (held !== undefined && held.expiresAt > now) return held.value;
    this.#remembered.set(key, { value, expiresAt: now + ttlMs });
    return value;
  }

  async remember(key: string, value: string, ttlMs: number): Promise<void> {
    this.#gate.assertOpen();
    assertRememberArguments(key, value, ttlMs, 'remember');
    const now = Date.now();
    this.#dropExpired(now);
    this.#remembered.set(key, { value, expiresAt: now + ttlMs });
  }

  async recall(key: string): Promise<string | undefined> {
    this.#gate.assertOpen();
    assertRememberKey(key, 'recall');
    const held = this.#remembered.get(key);
    if (held === undefined) return undefined;
    if (held.expiresAt > Date.now()) return held.value;
    this.#remembered.delete(key);
    return undefined;
  }

  async forget(key: string): Promise<void> {
    this.#gate.assertOpen();
    assertRememberKey(key, 'forget');
    this.#remembered.delete(key);
  }

  /** Expired entries go when the map grows past a size worth sweeping, so a sweep is amortised. */
  #dropExpired(now: number): void {
    if (this.#remembered.size < this.#sweepAt) return;
    for (const [name, entry] of this.#remembered) if (entry.expiresAt <= now) this.#remembered.delete(name);
    this.#sweepAt = Math.max(1024, this.#remembered.size * 2);
  }

  /** Drops every stored; using the store afterwards fails like any closed store. */
  async close(): Promise<void> {
    this.#gate.close();
    this.#installations.clear();
    this.#byInstallationId.clear();
    this.#remembered.clear();
    this.#listeners.clear();
  }
}
