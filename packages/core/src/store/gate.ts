import { StoreUnavailableError } from '../errors.js';

/**
 * Whether a store is still open, and the one answer every store gives once it is not: a
 * StoreUnavailableError (503), the same as a store that cannot be reached, never a crash.
 */
export class StoreGate {
  readonly #name: string;
  #closed = false;

  /** `name` says which store, e.g. `the PostgreSQL store`. */
  constructor(name: string) {
    this.#name = name;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Marks the store closed; true only the first time, so that `close()` tears down once. */
  close(): boolean {
    if (this.#closed) return false;
    this.#closed = true;
    return true;
  }

  /** Throws the closed store's StoreUnavailableError once `close()` was called. */
  assertOpen(): void {
    if (this.#closed) throw new StoreUnavailableError(`${this.#name} has been closed`);
  }
}
