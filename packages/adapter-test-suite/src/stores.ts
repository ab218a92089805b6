// Stores that let an adapter test see how the middleware used them.
import { type Installation, MemoryStore, type SecretStore } from '@connect-jwt/core';
import { INSTALLATION } from './installation.js';

/** Delegates to another store but fails the next `failures` lookups, as an unreachable database would. */
export class FlakyStore implements SecretStore {
  failures = 0;
  constructor(private readonly inner: SecretStore) {}
  async get(clientKey: string): Promise<Installation | undefined> {
    if (this.failures > 0) {
      this.failures--;
      throw new Error('connect ECONNREFUSED 127.0.0.1:6379');
    }
    return this.inner.get(clientKey);
  }
  set(installation: Installation): Promise<void> {
    return this.inner.set(installation);
  }
  delete(clientKey: string): Promise<void> {
    return this.inner.delete(clientKey);
  }
}

/** Counts lookups, to see how often a request was checked. */
export class CountingStore extends MemoryStore {
  lookups = 0;
  override async get(clientKey: string): Promise<Installation | undefined> {
    this.lookups++;
    return super.get(clientKey);
  }
}

/** A CountingStore holding INSTALLATION. */
export async function storeWithInstallation(): Promise<CountingStore> {
  const store = new CountingStore();
  await store.set(INSTALLATION);
  return store;
}
