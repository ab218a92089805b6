import {
  assertRememberArguments,
  bareInstallationId,
  type Installation,
  type SecretStore,
  StoreUnavailableError,
  sameInstallation,
} from '@connect-jwt/core';
import { createClient, type RedisClientType } from 'redis';

/** The subset of a node-redis client this store uses, so any client flavour (RESP2/3, modules) fits. */
export interface RedisLikeClient {
  readonly isReady: boolean;
  get(key: string): Promise<unknown>;
  set(key: string, value: string, options?: RedisSetOptions): Promise<unknown>;
  del(key: string): Promise<unknown>;
  on(event: 'ready', listener: () => void): unknown;
  off(event: 'ready', listener: () => void): unknown;
}

/** The `SET` options rememberOnce (`NX PX`) and remember (`PX`) send, in node-redis 5 form. */
export interface RedisSetOptions {
  condition?: 'NX';
  expiration: { type: 'PX'; value: number };
}

export interface RedisStoreOptions {
  /** `redis://[[user]:password@]host[:port][/db]`; default `redis://127.0.0.1:6379`. */
  url?: string;
  /** A connected client the caller owns: the store neither connects nor closes it. */
  client?: RedisLikeClient | RedisClientType;
  /** Prepended to the clientKey to make the Redis key; default `connect-jwt:installation:`. */
  prefix?: string;
  /** How long (ms) an operation waits for a (re)connection before failing; default 2000. */
  connectTimeout?: number;
  /** How long (ms) a command may take before it fails; default 2000. */
  commandTimeout?: number;
}

const DEFAULT_URL = 'redis://127.0.0.1:6379';
const DEFAULT_PREFIX = 'connect-jwt:installation:';

/**
 * Installations in Redis, one string key per installation (`<prefix><clientKey>`, the record as
 * JSON), so any number of add-on processes share them. The client reconnects by itself; while it
 * is disconnected, calls fail fast with StoreUnavailableError instead of queueing.
 */
export class RedisStore implements SecretStore {
  readonly prefix: string;
  #client: RedisLikeClient;
  #owned: RedisClientType | undefined;
  readonly #url: string | undefined;
  readonly #connectTimeout: number;
  readonly #commandTimeout: number;
  #connecting: Promise<unknown> | undefined;
  #readyWait: Promise<void> | undefined;
  #lastError: unknown;
  #closed = false;

  constructor(options: string | RedisStoreOptions = {}) {
    const settings: RedisStoreOptions = typeof options === 'string' ? { url: options } : options;
    if (settings === null || typeof settings !== 'object') {
      throw new TypeError('RedisStore: options must be a URL or an options object');
    }
    this.prefix = settings.prefix ?? DEFAULT_PREFIX;
    if (typeof this.prefix !== 'string') throw new TypeError('RedisStore: options.prefix must be a string');
    this.#connectTimeout = checkTimeout(settings.connectTimeout, 'connectTimeout');
    this.#commandTimeout = checkTimeout(settings.commandTimeout, 'commandTimeout');

    if (settings.client !== undefined) {
      const client = settings.client as Partial<RedisLikeClient> | null;
      if (!client || typeof client.get !== 'function' || typeof client.on !== 'function') {
        throw new TypeError('RedisStore: options.client must be a node-redis client');
      }
      if (settings.url !== undefined) throw new TypeError('RedisStore: give options.url or options.client, not both');
      this.#client = settings.client as RedisLikeClient;
      this.#url = undefined;
      return;
    }
    const url = settings.url ?? DEFAULT_URL;
    if (typeof url !== 'string' || !/^rediss?:\/\//.test(url)) {
      throw new TypeError('RedisStore: options.url must be a redis:// or rediss:// URL');
    }
    this.#url = url;
    this.#owned = this.#createClient();
    this.#client = this.#owned as unknown as RedisLikeClient;
  }

  async get(clientKey: string): Promise<Installation | undefined> {
    const json = await this.#command('read the installation', () => this.#client.get(this.prefix + clientKey));
    if (json === null || json === undefined) return undefined;
    try {
      return JSON.parse(String(json)) as Installation;
    } catch (cause) {
      throw new StoreUnavailableError('a stored installation is not valid JSON', { cause });
    }
  }

  /**
   * Follows the `<prefix>by-installation-id:<uuid>` index to the record. The index may be stale (a
   * reinstall moved the id, a delete raced a write): the record itself decides.
   */
  async getByInstallationId(installationId: string): Promise<Installation | undefined> {
    const clientKey = await this.#command('read the installation', () =>
      this.#client.get(this.#indexKey(installationId)),
    );
    if (clientKey === null || clientKey === undefined) return undefined;
    const installation = await this.get(String(clientKey));
    return installation !== undefined && sameInstallation(installation.installationId, installationId)
      ? installation
      : undefined;
  }

  async set(installation: Installation): Promise<void> {
    if (installation === null || typeof installation !== 'object' || typeof installation.clientKey !== 'string') {
      throw new TypeError('set: installation.clientKey must be a string');
    }
    const json = JSON.stringify(installation);
    await this.#command('write the installation', () => this.#client.set(this.prefix + installation.clientKey, json));
    // Written after the record, so the index never points at a record that is not there yet.
    const installationId = installation.installationId;
    if (typeof installationId === 'string' && installationId !== '') {
      await this.#command('write the installation', () =>
        this.#client.set(this.#indexKey(installationId), installation.clientKey),
      );
    }
  }

  async delete(clientKey: string): Promise<void> {
    const installationId = (await this.get(clientKey))?.installationId;
    await this.#command('delete the installation', () => this.#client.del(this.prefix + clientKey));
    if (typeof installationId === 'string' && installationId !== '') {
      const indexKey = this.#indexKey(installationId);
      // Another installation may have taken the id over since: its index entry stays.
      const owner = await this.#command('delete the installation', () => this.#client.get(indexKey));
      if (owner !== null && String(owner) === clientKey)
        await this.#command('delete the installation', () => this.#client.del(indexKey));
    }
  }

  #indexKey(installationId: string): string {
    return `${this.prefix}by-installation-id:${bareInstallationId(installationId)}`;
  }

  // A clientKey cannot hold a NUL, so no installation key can collide with a remembered value's.
  #valueKey(key: string): string {
    return `${this.prefix}\0remembered:${key}`;
  }

  /**
   * `SET NX PX`, then the value that won: one atomic write, shared by every process on the server.
   * Kept under `<prefix>\0remembered:<key>`, where remember, recall and forget find it too.
   */
  async rememberOnce(key: string, value: string, ttlMs: number): Promise<string> {
    assertRememberArguments(key, value, ttlMs);
    const name = this.#valueKey(key);
    const ttl = Math.ceil(ttlMs);
    // A held value that expires between the SET and the GET is gone: try the SET again.
    for (let attempt = 0; attempt < 3; attempt++) {
      const stored = await this.#command('remember the value', () =>
        this.#client.set(name, value, { condition: 'NX', expiration: { type: 'PX', value: ttl } }),
      );
      if (stored !== null && stored !== undefined) return value;
      const held = await this.#command('read the remembered value', () => this.#client.get(name));
      if (held !== null && held !== undefined) return String(held);
    }
    throw new StoreUnavailableError('Redis kept a remembered value neither set nor readable');
  }

  /** `SET PX`, replacing any value (rememberOnce's included): the key's last writer wins. */
  async remember(key: string, value: string, ttlMs: number): Promise<void> {
    checkValueArguments('remember', key, value, ttlMs);
    const ttl = Math.ceil(ttlMs);
    await this.#command('remember the value', () =>
      this.#client.set(this.#valueKey(key), value, { expiration: { type: 'PX', value: ttl } }),
    );
  }

  async recall(key: string): Promise<string | undefined> {
    checkValueArguments('recall', key);
    const held = await this.#command('read the remembered value', () => this.#client.get(this.#valueKey(key)));
    return held === null || held === undefined ? undefined : String(held);
  }

  async forget(key: string): Promise<void> {
    checkValueArguments('forget', key);
    await this.#command('forget the value', () => this.#client.del(this.#valueKey(key)));
  }

  /** Disconnects the client this store created (a client passed in stays open). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const owned = this.#owned;
    if (!owned?.isOpen) return;
    // A client that is (re)connecting has nothing to flush: destroying it stops the retry loop.
    if (!owned.isReady) {
      owned.destroy();
      return;
    }
    // close() waits for the replies of pending commands, which a dead link never sends: bounded.
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.#commandTimeout);
    });
    const outcome = await Promise.race([owned.close().catch(() => 'failed' as const), bound]);
    clearTimeout(timer);
    if (outcome !== undefined && owned.isOpen) owned.destroy();
  }

  async #command<T>(operation: string, send: () => Promise<T>): Promise<T> {
    if (this.#closed) throw new StoreUnavailableError('the Redis store has been closed');
    try {
      if (!this.#client.isReady) await this.#waitUntilReady();
      return await this.#withDeadline(send());
    } catch (cause) {
      if (cause instanceof StoreUnavailableError) throw cause;
      throw new StoreUnavailableError(`Redis could not ${operation}`, { cause });
    }
  }

  // node-redis times a command out only while it waits to be written; once sent, it waits for
  // the reply for as long as the connection stays open. This deadline covers the whole call.
  #withDeadline<T>(pending: Promise<T>): Promise<T> {
    // The reply may still come (or the connection fail) after the deadline: nobody awaits it then.
    pending.catch(() => {});
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.#replaceClient();
        reject(new StoreUnavailableError(`Redis did not answer within ${this.#commandTimeout} ms`));
      }, this.#commandTimeout);
    });
    return Promise.race([pending, deadline]).finally(() => clearTimeout(timer));
  }

  #createClient(): RedisClientType {
    const client = createClient({
      url: this.#url,
      // Fail fast while disconnected: a queued command would hold the request until reconnection.
      disableOfflineQueue: true,
      socket: {
        connectTimeout: this.#connectTimeout,
        // Keep retrying (never give up: the server may come back), backing off to one second.
        reconnectStrategy: (retries: number) => Math.min(50 * 2 ** Math.min(retries, 5), 1000),
      },
    }) as RedisClientType;
    // node-redis emits 'error' on every failed (re)connection; unheard, it would crash the process.
    client.on('error', (error: unknown) => {
      this.#lastError = error;
    });
    return client;
  }

  // A command that timed out on an open connection means the link may be half-open (the peer is
  // gone without a FIN or RST): the connection would stay useless until TCP keepalive gives up,
  // minutes later. A fresh client (connected on the next call) recovers once the server answers.
  #replaceClient(): void {
    const stale = this.#owned;
    if (!stale || this.#closed) return;
    const fresh = this.#createClient();
    this.#owned = fresh;
    this.#client = fresh as unknown as RedisLikeClient;
    this.#connecting = undefined;
    this.#readyWait = undefined;
    try {
      stale.destroy();
    } catch {}
  }

  // One shared wait (one 'ready' listener, one timer) however many calls arrive while disconnected.
  #waitUntilReady(): Promise<void> {
    if (this.#owned && !this.#owned.isOpen && !this.#connecting) {
      this.#connecting = this.#owned.connect();
      // Failures also arrive as 'error' events and through the wait below.
      this.#connecting.catch(() => {
        this.#connecting = undefined;
      });
    }
    if (this.#readyWait) return this.#readyWait;
    const wait = new Promise<void>((resolve, reject) => {
      const client = this.#client;
      const settle = (error?: StoreUnavailableError) => {
        clearTimeout(timer);
        client.off('ready', onReady);
        if (this.#readyWait === wait) this.#readyWait = undefined;
        if (error) reject(error);
        else resolve();
      };
      const onReady = () => settle();
      const timer = setTimeout(() => {
        settle(
          new StoreUnavailableError(`Redis is not reachable (no connection within ${this.#connectTimeout} ms)`, {
            cause: this.#lastError,
          }),
        );
      }, this.#connectTimeout);
      client.on('ready', onReady);
      if (client.isReady) settle();
    });
    this.#readyWait = wait;
    return wait;
  }
}

function checkTimeout(value: number | undefined, name: string): number {
  if (value === undefined) return 2000;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new TypeError(`RedisStore: options.${name} must be a positive number of milliseconds`);
  }
  return value;
}

// The same checks as rememberOnce's, named after the call that got them wrong.
function checkValueArguments(operation: string, key: unknown, value?: unknown, ttlMs?: unknown): void {
  if (typeof key !== 'string' || key === '') throw new TypeError(`${operation}: key must be a non-empty string`);
  if (operation !== 'remember') return;
  if (typeof value !== 'string') throw new TypeError(`${operation}: value must be a string`);
  if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs < 1) {
    throw new TypeError(`${operation}: ttlMs must be a positive number of milliseconds`);
  }
}
