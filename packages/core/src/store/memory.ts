import { StoreUnavailableError } from '../errors.js';
import type { Installation, SecretStore } from './types.js';

/** Installations in this process's memory: for tests and single-process add-ons that reinstall on restart. */
export class MemoryStore implements SecretStore {
  readonly #records = new Map<string, Installation>();
  #closed = false;

  async get(clientKey: string): Promise<Installation | undefined> {
    this.#assertOpen();
    const record = this.#records.get(clientKey);
    // A copy, so a caller mutating the result cannot change the stored secret.
    return record === undefined ? undefined : { ...record };
  }

  async set(installation: Installation): Promise<void> {
    this.#assertOpen();
    this.#records.set(installation.clientKey, { ...installation });
  }

  async delete(clientKey: string): Promise<void> {
    this.#assertOpen();
    this.#records.delete(clientKey);
  }

  /** Drops every record; using the store afterwards fails like any closed store. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#records.clear();
  }

  #assertOpen(): void {
    if (this.#closed) throw new StoreUnavailableError('the memory store has been closed');
  }
}
