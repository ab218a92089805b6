import type { Installation, SecretStore } from './types.js';

/** Installations in this process's memory: for tests and single-process add-ons that reinstall on restart. */
export class MemoryStore implements SecretStore {
  readonly #records = new Map<string, Installation>();

  async get(clientKey: string): Promise<Installation | undefined> {
    const record = this.#records.get(clientKey);
    // A copy, so a caller mutating the result cannot change the stored secret.
    return record === undefined ? undefined : { ...record };
  }

  async set(installation: Installation): Promise<void> {
    this.#records.set(installation.clientKey, { ...installation });
  }

  async delete(clientKey: string): Promise<void> {
    this.#records.delete(clientKey);
  }

  async close(): Promise<void> {
    this.#records.clear();
  }
}
