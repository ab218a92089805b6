import { bareInstallationId } from '../forge/ari.js';
import { StoreGate } from '../store-kit/gate.js';
import { assertRememberArguments, type Installation, type SecretStore } from './types.js';

/** Installations in this process's memory: for tests and single-process add-ons that reinstall on restart. */
export class MemoryStore implements SecretStore {
  readonly #installations = new Map<string, Installation>();
  /** bareInstallationId(installationId) → clientKey. */
  readonly #byInstallationId = new Map<string, string>();
  readonly #remembered = new Map<string, { value: string; expiresAt: number }>();
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
    this.#unindex(installation.clientKey);
    this.#installations.set(installation.clientKey, { ...installation });
    if (typeof installation.installationId === 'string') {
      this.#byInstallationId.set(bareInstallationId(installation.installationId), installation.clientKey);
    }
  }

  async delete(clientKey: string): Promise<void> {
    this.#gate.assertOpen();
    this.#unindex(clientKey);
    this.#installations.delete(clientKey);
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
    // Expired entries go when the map grows: remembered values are few (one per install callback).
    if (this.#remembered.size >= 1024) {
      for (const [name, entry] of this.#remembered) if (entry.expiresAt <= now) this.#remembered.delete(name);
    }
    const held = this.#remembered.get(key);
    if (held !== undefined && held.expiresAt > now) return held.value;
    this.#remembered.set(key, { value, expiresAt: now + ttlMs });
    return value;
  }

  /** Drops every stored; using the store afterwards fails like any closed store. */
  async close(): Promise<void> {
    this.#gate.close();
    this.#installations.clear();
    this.#byInstallationId.clear();
    this.#remembered.clear();
  }
}
