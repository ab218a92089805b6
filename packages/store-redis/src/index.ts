import type { Installation, SecretStore, StoreChangeListener } from '@connect-jwt/core';
import {
  assertInstallation,
  assertRememberArguments,
  assertRememberKey,
  assertReplaceArguments,
  assertStoreListener,
  bareInstallationId,
  ChangeFeed,
  numberOption,
  StoreGate,
  StoreUnavailableError,
  sameInstallation,
  storeFailure,
  storeOptions,
} from '@connect-jwt/core/store-kit';
import { createClient, createCluster, type RedisClientType } from 'redis';
import { changeMessage, type FeedConnection, redisFeedSource } from './change-feed.js';
import { type ClusterAddress, isClusterUrl, parseClusterUrl } from './cluster-url.js';

/** The subset of a node-redis client this store uses, so any client flavour (RESP2/3, modules) fits. */
export interface RedisLikeClient {
  readonly isReady: boolean;
  get(key: string): Promise<unknown>;
  set(key: string, value: string, options?: RedisSetOptions): Promise<unknown>;
  del(key: string): Promise<unknown>;
  /** Writes and announces a change in one step (the store's Lua scripts). */
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  /** A new client with the same options (a socket override): the change feed's own connection. */
  duplicate(overrides: { socket: object }): unknown;
  readonly options?: { socket?: object } | undefined;
  on(event: 'ready', listener: () => void): unknown;
  off(event: 'ready', listener: () => void): unknown;
}

/** The subset of a node-redis cluster client (`createCluster()`) this store uses. */
export interface RedisLikeCluster {
  /** True from `connect()` on; the cluster is usable once it has found its masters too. */
  readonly isOpen: boolean;
  readonly masters: readonly unknown[];
  get(key: string): Promise<unknown>;
  set(key: string, value: string, options?: RedisSetOptions): Promise<unknown>;
  del(key: string): Promise<unknown>;
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  /** The client of one master: the change feed subscribes on a duplicate of it. */
  nodeClient(node: never): Promise<NodeClient>;
  on(event: 'connect', listener: () => void): unknown;
  off(event: 'connect', listener: () => void): unknown;
}

/** The `SET` options rememberOnce (`NX PX`) and remember (`PX`) send, in node-redis 5 form. */
export interface RedisSetOptions {
  condition?: 'NX';
  expiration: { type: 'PX'; value: number };
}

/** A node of a Redis Cluster, as `host:port`, a `redis://` / `rediss://` URL, or `{ host, port }`. */
export type RedisClusterNode = string | { host: string; port: number };

/** Where the store finds a Redis Cluster; the client discovers the other nodes and follows resharding. */
export interface RedisClusterSettings {
  /**
   * Some of the cluster's nodes (one that answers is enough). Credentials and TLS (`rediss://`)
   * given in the first URL apply to every node.
   */
  rootNodes: readonly RedisClusterNode[];
  /**
   * Where to reach a node that announces itself as `host:port` (NAT, containers, a proxy):
   * a map or a function from that address to `{ host, port }`.
   */
  nodeAddressMap?:
    | Readonly<Record<string, { host: string; port: number }>>
    | ((address: string) => { host: string; port: number } | undefined);
}

export interface RedisStoreOptions {
  /**
   * `redis://[[user]:password@]host[:port][/db]` (one server), or
   * `redis+cluster://[[user]:password@]host:port[,host:port…]` (a cluster; `rediss` for TLS);
   * default `redis://127.0.0.1:6379`.
   */
  url?: string;
  /** A Redis Cluster (instead of `url`). */
  cluster?: RedisClusterSettings;
  /**
   * A client the caller owns, from `createClient()` or `createCluster()`: the store neither connects
   * nor closes it (the change feed uses a duplicate of it, which the store does close).
   */
  client?: RedisLikeClient | RedisClientType | RedisLikeCluster;
  /** Prepended to the clientKey to make the Redis key; default `connect-jwt:installation:`. */
  prefix?: string;
  /** How long (ms) an operation waits for a (re)connection before failing; default 2000. */
  connectTimeout?: number;
  /** How long (ms) a command may take before it fails; default 2000. */
  commandTimeout?: number;
}

const DEFAULT_URL = 'redis://127.0.0.1:6379';
const DEFAULT_PREFIX = 'connect-jwt:installation:';
/** Keys asked per SCAN call of installations(). */
const PAGE_SIZE = 500;
const KNOWN_OPTIONS = {
  url: true,
  cluster: true,
  client: true,
  prefix: true,
  connectTimeout: true,
  commandTimeout: true,
} as const;

// The write and its announcement in one atomic step on the node that holds the key: no process
// can see the record change without its change being on the feed, and a cluster needs no second
// node for it (a PUBLISH on any node reaches the subscribers of every node).
const SET_AND_ANNOUNCE = "redis.call('SET', KEYS[1], ARGV[1]) return redis.call('PUBLISH', ARGV[2], ARGV[3])";
// The compare, the write and the announcement in one step: `replace` writes only over the record it
// was given, so a reinstall landing meanwhile is never overwritten. Compared as JSON values, not
// text (a row written by another tool may be spaced differently); the same text is the fast path.
const REPLACE_AND_ANNOUNCE = `
local stored = redis.call('GET', KEYS[1])
if not stored then return 0 end
local function same(a, b)
  if type(a) ~= type(b) then return false end
  if type(a) ~= 'table' then return a == b end
  for k, v in pairs(a) do if not same(v, b[k]) then return false end end
  for k in pairs(b) do if a[k] == nil then return false end end
  return true
end
if stored ~= ARGV[1] then
  local ok, equal = pcall(function() return same(cjson.decode(stored), cjson.decode(ARGV[1])) end)
  if not (ok and equal) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1`;
const DELETE_AND_ANNOUNCE = "redis.call('DEL', KEYS[1]) return redis.call('PUBLISH', ARGV[1], ARGV[2])";

/** The commands the store sends, the same on a single-server client and a cluster client. */
interface Commands {
  get(key: string): Promise<unknown>;
  set(key: string, value: string, options?: RedisSetOptions): Promise<unknown>;
  del(key: string): Promise<unknown>;
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  on(event: string, listener: () => void): unknown;
  off(event: string, listener: () => void): unknown;
}

/** What the store needs of a cluster client beyond its commands. */
interface ClusterClient extends Commands {
  readonly isOpen: boolean;
  readonly masters: readonly unknown[];
  nodeClient(node: unknown): Promise<NodeClient>;
}

/** One node's client in a cluster: the change feed subscribes on a copy of it. */
interface NodeClient {
  duplicate(overrides: { socket: object }): unknown;
  readonly options?: { socket?: object } | undefined;
}

/** A client this store created, and so connects and closes. */
interface OwnedClient {
  readonly isOpen: boolean;
  connect(): Promise<unknown>;
  close(): Promise<unknown>;
  destroy(): void;
}

/** A client that can SCAN: a single server's, or one master's of a cluster. */
interface Scanner {
  scan(
    cursor: string,
    options: { MATCH: string; COUNT: number; TYPE: string },
  ): Promise<{ cursor: string | number; keys: readonly string[] }>;
}

type Connection = { kind: 'server'; address: string } | { kind: 'cluster'; address: ClusterAddress };

/**
 * Installations in Redis (one server or a cluster), one string key per installation
 * (`<prefix><clientKey>`, the record as JSON), so any number of add-on processes share them. The
 * client reconnects by itself; while it is disconnected, calls fail fast with
 * StoreUnavailableError instead of queueing. Every write is announced on the `<prefix>changes`
 * channel, which `watch` subscribes to.
 */
export class RedisStore implements SecretStore {
  readonly prefix: string;
  #client: Commands;
  readonly #kind: 'server' | 'cluster';
  #owned: OwnedClient | undefined;
  readonly #connection: Connection | undefined;
  readonly #nodeAddressMap: RedisClusterSettings['nodeAddressMap'];
  readonly #connectTimeout: number;
  readonly #commandTimeout: number;
  #connecting: Promise<unknown> | undefined;
  #readyWait: Promise<void> | undefined;
  #lastError: unknown;
  #misrouted: StoreUnavailableError | undefined;
  #feed: ChangeFeed | undefined;
  readonly #gate = new StoreGate('the Redis store');

  constructor(options: string | RedisStoreOptions = {}) {
    const settings = storeOptions<RedisStoreOptions>('RedisStore', options, {
      fromString: 'url',
      known: KNOWN_OPTIONS,
    });
    this.prefix = settings.prefix ?? DEFAULT_PREFIX;
    if (typeof this.prefix !== 'string') throw new TypeError('RedisStore: options.prefix must be a string');
    this.#connectTimeout = timeoutOption('connectTimeout', settings.connectTimeout);
    this.#commandTimeout = timeoutOption('commandTimeout', settings.commandTimeout);
    const given = (['url', 'cluster', 'client'] as const).filter((key) => settings[key] !== undefined);
    if (given.length > 1) throw new TypeError(`RedisStore: give one of options.url, options.cluster, options.client`);

    if (settings.client !== undefined) {
      const client = settings.client as Partial<Commands & ClusterClient & RedisLikeClient> | null;
      if (!client || typeof client.get !== 'function' || typeof client.on !== 'function') {
        throw new TypeError('RedisStore: options.client must be a node-redis client or cluster');
      }
      // A cluster client has no isReady (its node clients each have theirs) but knows its masters.
      this.#kind = 'isReady' in client ? 'server' : 'masters' in client ? 'cluster' : 'server';
      this.#client = settings.client as unknown as Commands;
      this.#connection = undefined;
      return;
    }
    if (settings.cluster !== undefined) {
      this.#connection = { kind: 'cluster', address: clusterAddress(settings.cluster) };
      this.#nodeAddressMap = checkNodeAddressMap(settings.cluster.nodeAddressMap);
    } else {
      const url = settings.url ?? DEFAULT_URL;
      if (typeof url === 'string' && isClusterUrl(url)) {
        this.#connection = { kind: 'cluster', address: parseClusterUrl(url) };
      } else if (typeof url !== 'string' || !/^rediss?:\/\//.test(url)) {
        throw new TypeError(
          'RedisStore: options.url must be a redis://, rediss://, redis+cluster:// or rediss+cluster:// URL',
        );
      } else {
        this.#connection = { kind: 'server', address: url };
      }
    }
    this.#kind = this.#connection.kind;
    const owned = this.#createClient();
    this.#owned = owned;
    this.#client = owned as unknown as Commands;
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
   * Follows the `<prefix>by-installation-id:<uuid>` index to the record: two reads, not one step, so
   * the two keys may sit on different cluster nodes. The index may be stale (a reinstall moved the
   * id, a delete raced a write): the record itself decides.
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
    assertInstallation(installation);
    const { clientKey, installationId } = installation;
    const json = JSON.stringify(installation);
    // The index first: until the record names the id, the lookup ignores it (the record decides),
    // and once the change is announced, both are in place for whoever reads again on hearing it.
    if (typeof installationId === 'string' && installationId !== '') {
      await this.#command('write the installation', () => this.#client.set(this.#indexKey(installationId), clientKey));
    }
    await this.#command('write the installation', () =>
      this.#client.eval(SET_AND_ANNOUNCE, {
        keys: [this.prefix + clientKey],
        arguments: [json, this.#channel, changeMessage(clientKey, installationId)],
      }),
    );
  }

  /**
   * `set`, only over the record stored as `expected` (compared as JSON, the way `get` read it) in
   * one script; the installationId index is written first, as by `set`.
   */
  async replace(expected: Installation, next: Installation): Promise<boolean> {
    assertReplaceArguments(expected, next);
    const { clientKey, installationId } = next;
    if (typeof installationId === 'string' && installationId !== '') {
      // A stale entry is harmless: the record decides. Left by a refused replace, it still names this clientKey.
      await this.#command('write the installation', () => this.#client.set(this.#indexKey(installationId), clientKey));
    }
    const written = await this.#command('write the installation', () =>
      this.#client.eval(REPLACE_AND_ANNOUNCE, {
        keys: [this.prefix + clientKey],
        arguments: [
          JSON.stringify(expected),
          JSON.stringify(next),
          this.#channel,
          changeMessage(clientKey, installationId),
        ],
      }),
    );
    return Number(written) === 1;
  }

  async delete(clientKey: string): Promise<void> {
    const installationId = (await this.get(clientKey))?.installationId;
    await this.#command('delete the installation', () =>
      this.#client.eval(DELETE_AND_ANNOUNCE, {
        keys: [this.prefix + clientKey],
        arguments: [this.#channel, changeMessage(clientKey, installationId)],
      }),
    );
    if (typeof installationId === 'string' && installationId !== '') {
      const indexKey = this.#indexKey(installationId);
      // Another installation may have taken the id over since: its index entry stays.
      const owner = await this.#command('delete the installation', () => this.#client.get(indexKey));
      if (owner !== null && String(owner) === clientKey)
        await this.#command('delete the installation', () => this.#client.del(indexKey));
    }
  }

  /**
   * Subscribes to `<prefix>changes`, where every set and delete through any RedisStore with this
   * prefix is published, on a connection of its own (a duplicate of the client; on a cluster, of
   * one master's: a PUBLISH reaches every node's subscribers). `up()` on every (re)subscription,
   * `down(error)` when the connection is lost; it reconnects by itself until unsubscribed or closed.
   */
  async watch(listener: StoreChangeListener): Promise<() => Promise<void>> {
    assertStoreListener(listener);
    this.#gate.assertOpen();
    // One subscriber link per store, however many listeners.
    const openTimeout = this.#connectTimeout + this.#commandTimeout;
    this.#feed ??= new ChangeFeed(
      redisFeedSource(this.#channel, () => this.#feedConnection(), this.#commandTimeout, openTimeout),
    );
    return this.#feed.subscribe(listener);
  }

  get #channel(): string {
    return `${this.prefix}changes`;
  }

  // A copy of the client (or of one master's, on a cluster: any will do, a PUBLISH reaches every
  // node's subscribers) that does not reconnect by itself: the feed opens a new link after a loss.
  async #feedConnection(): Promise<FeedConnection> {
    let source: NodeClient;
    if (this.#kind === 'server') {
      source = this.#client as unknown as RedisLikeClient;
    } else {
      if (!this.#isReady()) await this.#waitUntilReady();
      const cluster = this.#client as ClusterClient;
      const master = cluster.masters[Math.floor(Math.random() * cluster.masters.length)];
      source = await cluster.nodeClient(master);
    }
    const connection = source.duplicate({ socket: { ...source.options?.socket, reconnectStrategy: false } });
    return connection as FeedConnection;
  }

  /**
   * SCAN over `<prefix>*` (strings only; on a cluster, on every master), a page of a few hundred
   * keys at a time, each record then read by its key. SCAN may return a key twice (when Redis
   * resizes its table meanwhile): the keys already listed are remembered for the run, so none is
   * listed twice (keys only, never records). A slot that moves between masters during the run
   * may be missed: run again after a resharding.
   */
  async *installations(): AsyncIterable<Installation> {
    const match = `${this.prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
    const listed = new Set<string>();
    const nodes =
      this.#kind === 'server'
        ? [undefined]
        : await this.#command('list the installations', async () => [...(this.#client as ClusterClient).masters]);
    for (const node of nodes) {
      let cursor = '0';
      do {
        const page = await this.#command('list the installations', async () => {
          const scanner = (
            node === undefined ? this.#client : await (this.#client as ClusterClient).nodeClient(node)
          ) as Partial<Scanner>;
          if (typeof scanner.scan !== 'function') throw new TypeError('RedisStore: the client has no scan()');
          return scanner.scan(cursor, { MATCH: match, COUNT: PAGE_SIZE, TYPE: 'string' });
        });
        cursor = String(page.cursor);
        const keys = page.keys.map(String).filter((key) => this.#isRecordKey(key) && !listed.has(key));
        const values = await Promise.all(
          keys.map((key) => this.#command('read the installation', () => this.#client.get(key))),
        );
        for (const [index, key] of keys.entries()) {
          listed.add(key);
          const json = values[index];
          // Deleted between the SCAN and the GET.
          if (json === null || json === undefined) continue;
          let installation: Installation;
          try {
            installation = JSON.parse(String(json)) as Installation;
          } catch (cause) {
            throw new StoreUnavailableError('a stored installation is not valid JSON', { cause });
          }
          yield { ...installation, clientKey: key.slice(this.prefix.length) };
        }
      } while (cursor !== '0');
    }
  }

  /** An installation's key: not the installationId index, nor a remembered value. */
  #isRecordKey(key: string): boolean {
    const rest = key.slice(this.prefix.length);
    return key.startsWith(this.prefix) && !rest.startsWith('\0') && !rest.startsWith('by-installation-id:');
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
    assertRememberArguments(key, value, ttlMs, 'remember');
    const ttl = Math.ceil(ttlMs);
    await this.#command('remember the value', () =>
      this.#client.set(this.#valueKey(key), value, { expiration: { type: 'PX', value: ttl } }),
    );
  }

  async recall(key: string): Promise<string | undefined> {
    assertRememberKey(key, 'recall');
    const held = await this.#command('read the remembered value', () => this.#client.get(this.#valueKey(key)));
    return held === null || held === undefined ? undefined : String(held);
  }

  async forget(key: string): Promise<void> {
    assertRememberKey(key, 'forget');
    await this.#command('forget the value', () => this.#client.del(this.#valueKey(key)));
  }

  /** Ends every change feed, and disconnects the client this store created (a client passed in stays open). */
  async close(): Promise<void> {
    if (!this.#gate.close()) return;
    await this.#feed?.close();
    const owned = this.#owned;
    if (!owned?.isOpen) return;
    // A client that is (re)connecting has nothing to flush: destroying it stops the retry loop.
    if (!this.#isReady()) {
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
    this.#gate.assertOpen();
    if (this.#misrouted) throw this.#misrouted;
    try {
      if (!this.#isReady()) await this.#waitUntilReady();
      return await this.#withDeadline(send());
    } catch (cause) {
      if (this.#kind === 'server' && /^(MOVED|ASK) /.test(String((cause as Error)?.message))) {
        // One server of a cluster holds only its own slots: every key another node holds would
        // fail. Refuse them all, saying why, rather than serve a random half.
        this.#misrouted = new StoreUnavailableError(
          'this Redis server is a node of a Redis Cluster (it answered MOVED): give RedisStore ' +
            '{ cluster: { rootNodes } } or a redis+cluster://host:port,host:port URL instead of a single server',
          { cause },
        );
        throw this.#misrouted;
      }
      throw storeFailure(cause, `Redis could not ${operation}`);
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

  // A cluster client has no isReady: it is ready once it has found the masters (each node's own
  // client then fails fast, or reconnects, by itself).
  #isReady(): boolean {
    if (this.#kind === 'server') return (this.#client as unknown as RedisLikeClient).isReady;
    const cluster = this.#client as ClusterClient;
    return cluster.isOpen && cluster.masters.length > 0;
  }

  #createClient(): OwnedClient {
    const socket = {
      connectTimeout: this.#connectTimeout,
      // Keep retrying (never give up: the server may come back), backing off to one second.
      reconnectStrategy: (retries: number) => Math.min(50 * 2 ** Math.min(retries, 5), 1000),
    };
    const connection = this.#connection as Connection;
    // Fail fast while disconnected: a queued command would hold the request until reconnection.
    const client =
      connection.kind === 'server'
        ? createClient({ url: connection.address, disableOfflineQueue: true, socket })
        : createCluster({
            rootNodes: connection.address.rootNodes.map((node) => ({ socket: { ...node } })),
            defaults: {
              disableOfflineQueue: true,
              ...(connection.address.username === undefined ? {} : { username: connection.address.username }),
              ...(connection.address.password === undefined ? {} : { password: connection.address.password }),
              socket: connection.address.tls ? { ...socket, tls: true } : socket,
            },
            ...(this.#nodeAddressMap === undefined
              ? {}
              : { nodeAddressMap: this.#nodeAddressMap as (address: string) => { host: string; port: number } }),
          });
    // node-redis emits 'error' on every failed (re)connection (a cluster: 'node-error' for its
    // nodes' ones); unheard, 'error' would crash the process.
    const remember = (error: unknown) => {
      this.#lastError = error;
    };
    client.on('error', remember);
    if (connection.kind === 'cluster') client.on('node-error', remember);
    return client as unknown as OwnedClient;
  }

  // A command that timed out on an open connection means the link may be half-open (the peer is
  // gone without a FIN or RST): the connection would stay useless until TCP keepalive gives up,
  // minutes later. A fresh client (connected on the next call) recovers once the server answers.
  #replaceClient(): void {
    const stale = this.#owned;
    if (!stale || this.#gate.closed) return;
    const fresh = this.#createClient();
    this.#owned = fresh;
    this.#client = fresh as unknown as Commands;
    this.#connecting = undefined;
    this.#readyWait = undefined;
    try {
      stale.destroy();
    } catch {}
  }

  // One shared wait (one listener, one timer) however many calls arrive while disconnected. A
  // server client says 'ready' once connected; a cluster client 'connect' once it found the masters.
  #waitUntilReady(): Promise<void> {
    const owned = this.#owned;
    if (owned && !owned.isOpen && !this.#connecting) {
      const connecting = owned.connect();
      this.#connecting = connecting;
      // Failures also arrive as 'error' events and through the wait below. A cluster that found
      // no root node is closed again: the next call tries anew.
      connecting.then(
        () => {},
        (error: unknown) => {
          this.#lastError = error;
          if (this.#connecting === connecting) this.#connecting = undefined;
        },
      );
    }
    if (this.#readyWait) return this.#readyWait;
    if (this.#isReady()) return Promise.resolve();
    const event = this.#kind === 'server' ? 'ready' : 'connect';
    const wait = new Promise<void>((resolve, reject) => {
      const client = this.#client;
      const settle = (error?: StoreUnavailableError) => {
        clearTimeout(timer);
        client.off(event, onReady);
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
      client.on(event, onReady);
    });
    this.#readyWait = wait;
    return wait;
  }
}

function timeoutOption(name: string, value: unknown): number {
  return numberOption('RedisStore', name, value, 2000, { min: 1, unit: 'milliseconds' });
}

// Credentials and TLS of the first URL that has them go to every node, as redis+cluster:// does.
function clusterAddress(cluster: RedisClusterSettings): ClusterAddress {
  const rootNodes = (cluster as Partial<RedisClusterSettings> | null)?.rootNodes;
  if (!Array.isArray(rootNodes) || rootNodes.length === 0) {
    throw new TypeError('RedisStore: options.cluster.rootNodes must list at least one node');
  }
  const address: ClusterAddress = { rootNodes: [], tls: false };
  for (const node of rootNodes as RedisClusterNode[]) {
    if (typeof node === 'string') {
      const url = /^[a-z]+:\/\//i.test(node) ? node : `redis://${node}`;
      if (!/^rediss?:\/\//i.test(url) || !URL.canParse(url) || new URL(url).port === '') {
        throw new TypeError(
          'RedisStore: options.cluster.rootNodes takes host:port, redis://host:port or { host, port }',
        );
      }
      const parsed = new URL(url);
      address.rootNodes.push({ host: parsed.hostname.replace(/^\[|\]$/g, ''), port: Number(parsed.port) });
      if (address.rootNodes.length === 1) {
        address.tls = parsed.protocol === 'rediss:';
        if (parsed.username !== '') address.username = decodeURIComponent(parsed.username);
        if (parsed.password !== '') address.password = decodeURIComponent(parsed.password);
      }
    } else if (node !== null && typeof node === 'object' && typeof node.host === 'string' && isPort(node.port)) {
      address.rootNodes.push({ host: node.host, port: node.port });
    } else {
      throw new TypeError('RedisStore: options.cluster.rootNodes takes host:port, redis://host:port or { host, port }');
    }
  }
  return address;
}

function checkNodeAddressMap(map: unknown): RedisClusterSettings['nodeAddressMap'] {
  if (map === undefined || typeof map === 'function') return map as RedisClusterSettings['nodeAddressMap'];
  if (map !== null && typeof map === 'object') {
    // node-redis takes a map or a function; a function also covers an address the map lacks.
    const table = map as Record<string, { host: string; port: number }>;
    return (address: string) => (Object.hasOwn(table, address) ? table[address] : undefined);
  }
  throw new TypeError('RedisStore: options.cluster.nodeAddressMap must be an object or a function');
}

function isPort(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 && value < 65536;
}
