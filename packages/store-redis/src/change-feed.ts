import type { StoreChange, StoreChangeListener } from '@connect-jwt/core';

/** The node-redis client a feed subscribes with, not yet connected; the feed owns it. */
export interface FeedConnection {
  connect(): Promise<unknown>;
  subscribe(channel: string, listener: (message: string) => void): Promise<unknown>;
  on(event: 'ready' | 'error', listener: (error?: unknown) => void): unknown;
  destroy(): void;
}

/** The message a write publishes: what a cache must drop. */
export function changeMessage(clientKey: string, installationId: unknown): string {
  const change: StoreChange = { clientKey };
  if (typeof installationId === 'string' && installationId !== '') change.installationId = installationId;
  return JSON.stringify(change);
}

// Anyone who can PUBLISH on the server can write on the channel: only a well-formed change is passed on.
function parseChange(message: string): StoreChange | undefined {
  try {
    const { clientKey, installationId } = JSON.parse(message) as Record<string, unknown>;
    if (typeof clientKey !== 'string') return undefined;
    return typeof installationId === 'string' ? { clientKey, installationId } : { clientKey };
  } catch {
    return undefined;
  }
}

/**
 * One subscription to the store's change channel on a connection of its own (a connection in
 * subscriber mode can send nothing else). node-redis reconnects it and resubscribes before it
 * emits 'ready', so every 'ready' after the first subscribe is the feed coming back: `up()`.
 * Every connection error while up is `down()`, reported once per outage.
 */
export class ChangeFeed {
  readonly #open: () => Promise<FeedConnection>;
  readonly #channel: string;
  readonly #listener: StoreChangeListener;
  readonly #retryMs: number;
  #connection: FeedConnection | undefined;
  #state: 'starting' | 'up' | 'down' = 'starting';
  #subscribed = false;
  #stopped = false;
  #retry: NodeJS.Timeout | undefined;
  #firstAttempt: (() => void) | undefined;

  constructor(open: () => Promise<FeedConnection>, channel: string, listener: StoreChangeListener, retryMs: number) {
    this.#open = open;
    this.#channel = channel;
    this.#listener = listener;
    this.#retryMs = retryMs;
  }

  /** Resolves once the first attempt is over, up or down; later attempts go on by themselves. */
  start(): Promise<void> {
    const settled = new Promise<void>((resolve) => {
      this.#firstAttempt = resolve;
    });
    void this.#attempt();
    return settled;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#retry);
    this.#firstAttempt?.();
    const connection = this.#connection;
    this.#connection = undefined;
    try {
      connection?.destroy();
    } catch {}
  }

  async #attempt(): Promise<void> {
    let connection: FeedConnection;
    try {
      connection = await this.#open();
    } catch (error) {
      // No connection to make yet (a cluster not reachable to pick a node from): try again later.
      this.#down(error);
      if (!this.#stopped) this.#retry = setTimeout(() => void this.#attempt(), this.#retryMs);
      return;
    }
    if (this.#stopped) {
      connection.destroy();
      return;
    }
    this.#connection = connection;
    connection.on('error', (error) => this.#down(error));
    connection.on('ready', () => void this.#ready(connection));
    // A failed connect also arrives as 'error'; the client keeps retrying by its reconnect strategy.
    connection.connect().catch((error: unknown) => this.#down(error));
  }

  async #ready(connection: FeedConnection): Promise<void> {
    if (this.#stopped || connection !== this.#connection) return;
    if (!this.#subscribed) {
      try {
        await connection.subscribe(this.#channel, (message) => this.#message(message));
        this.#subscribed = true;
      } catch (error) {
        // The link failed again before the subscription took: the next 'ready' tries again.
        this.#down(error);
        return;
      }
    }
    if (this.#stopped || this.#state === 'up') return;
    this.#state = 'up';
    this.#tell(() => this.#listener.up());
    this.#settleFirst();
  }

  #message(message: string): void {
    const change = parseChange(message);
    if (change && !this.#stopped) this.#tell(() => this.#listener.change(change));
  }

  #down(error: unknown): void {
    if (this.#stopped || this.#state === 'down') return;
    this.#state = 'down';
    this.#tell(() => this.#listener.down(error));
    this.#settleFirst();
  }

  #settleFirst(): void {
    this.#firstAttempt?.();
    this.#firstAttempt = undefined;
  }

  // The listener runs inside the client's event handlers: a throw there must not break the feed.
  #tell(call: () => void): void {
    try {
      call();
    } catch {}
  }
}
