/** One installation of the add-on in a product instance, as received by `/installed`. */
export interface Installation {
  /** The installation's identity; the `iss` of every token the product sends. */
  clientKey: string;
  /** The HS256 key shared with this installation. */
  sharedSecret: string;
  /** The product's base URL, e.g. `https://example.atlassian.net/wiki`. */
  baseUrl: string;
  /**
   * The Forge installation of the same site (`ari:cloud:ecosystem::installation/<uuid>`), sent in
   * the `installed` payload once the app has adopted Forge; how a Forge call finds this record.
   */
  installationId?: string;
  [key: string]: unknown;
}

/** Where installations (and so shared secrets) are kept, keyed by `clientKey`. */
export interface SecretStore {
  /** The installation for `clientKey`, or `undefined` when there is none. */
  get(clientKey: string): Promise<Installation | undefined>;
  /**
   * The installation whose `installationId` names this one (an ARI and the bare uuid are the same
   * installation), or `undefined`. Optional for stores written before Forge; every store shipped
   * here has it, and Forge routes given a store need it.
   */
  getByInstallationId?(installationId: string): Promise<Installation | undefined>;
  /** Insert or replace the installation with this `clientKey`. */
  set(installation: Installation): Promise<void>;
  /**
   * Writes `next` only when the record stored under `next.clientKey` is still exactly `expected`
   * (as this store returned it: same fields, same encrypted secret, which a fresh IV makes unique
   * per write), in one atomic step across every instance; answers whether it wrote. A missing row
   * is never replaced. Announced on the change feed like `set`. How a background rewrite (a
   * re-encrypt) leaves a concurrent reinstall alone. Optional: without it, such a rewrite can only
   * re-read and then `set`, which a write landing in between loses.
   */
  replace?(expected: Installation, next: Installation): Promise<boolean>;
  /** Remove the installation; removing an unknown key is not an error. */
  delete(clientKey: string): Promise<void>;
  /**
   * Every installation, once each, for background jobs (a nightly sync, a re-encrypt). Read in
   * pages of a few hundred, so memory stays bounded whatever the count; writes made meanwhile do
   * not break it (a row written or deleted during the run may or may not be listed, every other
   * row is). Each record's `clientKey` is the key it is stored under. A store that cannot be
   * reached ends the iteration with StoreUnavailableError. Optional: a store without it cannot
   * be listed.
   */
  installations?(): AsyncIterable<Installation>;
  /**
   * Remembers `value` under `key` for `ttlMs` milliseconds unless a value is remembered there
   * already (and not expired); answers the value remembered after the call: `value` itself when
   * this call stored it, else the earlier one. Atomic across every instance sharing the storage,
   * kept apart from installations. The lifecycle uses it to accept an install token with one body
   * only; a store without it gets that guarantee per process only.
   */
  rememberOnce?(key: string, value: string, ttlMs: number): Promise<string>;
  /**
   * Remembers `value` under `key` for `ttlMs` milliseconds, replacing whatever was remembered
   * there. Same keyspace as rememberOnce, kept apart from installations, shared by every instance:
   * where a fleet keeps short-lived state (a cached token, a handled webhook).
   */
  remember?(key: string, value: string, ttlMs: number): Promise<void>;
  /** The value remembered under `key` (by remember or rememberOnce), or `undefined` when none or expired. */
  recall?(key: string): Promise<string | undefined>;
  /** Forgets the value remembered under `key`; an unknown key is not an error. */
  forget?(key: string): Promise<void>;
  /**
   * Subscribes to the writes (set, delete) made through every instance sharing this storage, this
   * one included, so that a cache in front of it stays coherent across a fleet. Resolves once the
   * subscription is first attempted, whether or not it is up yet; the store resubscribes by itself
   * after a loss and reports it through `listener`. Optional: a store without it is only cached
   * with a TTL. The function it resolves to ends the subscription.
   */
  watch?(listener: StoreChangeListener): Promise<() => Promise<void>>;
  /** Release connections; the store must not be used afterwards. */
  close?(): Promise<void>;
}

/** One write seen on a store's change feed. */
export interface StoreChange {
  /** The installation written or deleted. */
  clientKey: string;
  /** Its installationId after the write, where the write set one (bare or ARI, as stored). */
  installationId?: string;
}

/** What a store's change feed reports to its subscriber. */
export interface StoreChangeListener {
  /** A write by any instance: whatever is cached for this clientKey (and its installationId) is stale. */
  change(change: StoreChange): void;
  /**
   * The feed is (again) delivering changes. After a `down`, writes made in between may have been
   * missed, so a cache must forget everything it holds.
   */
  up(): void;
  /** The feed is lost and changes may be missed until the next `up`; the store keeps retrying. */
  down(error: unknown): void;
}
