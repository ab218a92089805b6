import { assertStoreListener } from '../store/assert.js';
import type { StoreChange, StoreChangeListener } from '../types/store.js';

/** One open subscription to a backend's writes (a LISTEN connection, a poller, a pub/sub client). */
export interface FeedLink {
  /** Ends the subscription; called once, when the feed stops or after the link was lost. */
  end(): Promise<void> | void;
}

/** How a store opens its change feed: the backend-specific half of `ChangeFeed`. */
export interface FeedSource {
  /**
   * Opens a link that calls `deliver` for every write it sees and `lost` (once) when it breaks
   * after opening. Rejects when it cannot open; the feed then retries.
   */
  open(deliver: (change: StoreChange) => void, lost: (error: unknown) => void): Promise<FeedLink>;
}

export interface ChangeFeedOptions {
  /** The wait (ms) before reconnection attempt `attempt` (0 first); default 50 ms doubling to 1 s. */
  retryDelay?(attempt: number): number;
}

const defaultRetryDelay = (attempt: number): number => Math.min(50 * 2 ** Math.min(attempt, 5), 1000);

/**
 * The subscriber side every store's `watch()` shares: one link per store however many listeners,
 * `up()` on every (re)subscription, `down(error)` once per loss, and reconnection with backoff
 * until the last listener leaves or the store closes. A listener that throws is not allowed to
 * stop delivery to the others.
 */
export class ChangeFeed {
  readonly #source: FeedSource;
  readonly #retryDelay: (attempt: number) => number;
  readonly #listeners = new Set<StoreChangeListener>();
  #state: 'idle' | 'opening' | 'up' | 'down' = 'idle';
  #link: FeedLink | undefined;
  #opening: Promise<void> | undefined;
  #retry: NodeJS.Timeout | undefined;
  #attempts = 0;
  #lastError: unknown;
  // Whether the listeners were told of the current loss: once per loss, not once per failed retry.
  #downReported = false;
  // Bumped whenever the feed stops, so that an open still in flight knows it is no longer wanted.
  #generation = 0;

  constructor(source: FeedSource, options: ChangeFeedOptions = {}) {
    this.#source = source;
    this.#retryDelay = options.retryDelay ?? defaultRetryDelay;
  }

  /** Whether the link is up now. */
  get up(): boolean {
    return this.#state === 'up';
  }

  /**
   * Adds `listener`; resolves once the first attempt to subscribe has settled (up or not). The
   * function it resolves to removes the listener, and ends the link when it was the last.
   */
  async subscribe(listener: StoreChangeListener): Promise<() => Promise<void>> {
    assertStoreListener(listener);
    const entry: StoreChangeListener = {
      change: (change) => listener.change(change),
      up: () => listener.up(),
      down: (error) => listener.down(error),
    };
    this.#listeners.add(entry);
    if (this.#state === 'idle') this.#open();
    if (this.#downReported) notify(entry, 'down', this.#lastError);
    else if (this.#state === 'opening') await this.#opening;
    else if (this.#state === 'up') notify(entry, 'up');
    let removed = false;
    return async () => {
      if (removed) return;
      removed = true;
      this.#listeners.delete(entry);
      if (this.#listeners.size === 0) await this.stop();
    };
  }

  /** Ends the link and forgets every listener (the store is closing). */
  async close(): Promise<void> {
    this.#listeners.clear();
    await this.stop();
  }

  /** Ends the link; a later subscribe opens a new one. */
  async stop(): Promise<void> {
    this.#generation++;
    clearTimeout(this.#retry);
    this.#retry = undefined;
    this.#state = 'idle';
    this.#opening = undefined;
    this.#attempts = 0;
    this.#downReported = false;
    const link = this.#link;
    this.#link = undefined;
    await endQuietly(link);
  }

  #open(): void {
    const generation = this.#generation;
    let link: FeedLink | undefined;
    // A link may break before its open has even been handled here.
    let lostEarly: { error: unknown } | undefined;
    this.#state = 'opening';
    this.#opening = this.#source
      .open(
        (change) => {
          if (generation === this.#generation) this.#fanOut('change', change);
        },
        (error) => {
          if (generation !== this.#generation) return;
          if (link === undefined) lostEarly ??= { error };
          else if (this.#link === link) this.#lose(error);
        },
      )
      .then(
        (opened) => {
          if (generation !== this.#generation) return void endQuietly(opened);
          if (lostEarly !== undefined) {
            void endQuietly(opened);
            return this.#down(lostEarly.error);
          }
          link = opened;
          this.#link = opened;
          this.#state = 'up';
          this.#attempts = 0;
          this.#downReported = false;
          this.#fanOut('up');
        },
        (error: unknown) => {
          if (generation === this.#generation) this.#down(error);
        },
      );
  }

  #lose(error: unknown): void {
    const link = this.#link;
    this.#link = undefined;
    void endQuietly(link);
    this.#down(error);
  }

  #down(error: unknown): void {
    this.#lastError = error;
    this.#state = 'down';
    if (!this.#downReported) {
      this.#downReported = true;
      this.#fanOut('down', error);
    }
    this.#scheduleRetry();
  }

  #scheduleRetry(): void {
    const delay = this.#retryDelay(this.#attempts++);
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      if (this.#state === 'down') this.#open();
    }, delay);
    // A process does not stay alive only to resubscribe a feed nobody else keeps it up for.
    this.#retry.unref();
  }

  #fanOut(event: 'change' | 'up' | 'down', argument?: unknown): void {
    for (const listener of this.#listeners) notify(listener, event, argument);
  }
}

function notify(listener: StoreChangeListener, event: 'change' | 'up' | 'down', argument?: unknown): void {
  try {
    if (event === 'change') listener.change(argument as StoreChange);
    else if (event === 'up') listener.up();
    else listener.down(argument);
  } catch {
    // A listener's bug stays its own: the other listeners and the feed carry on.
  }
}

async function endQuietly(link: FeedLink | undefined): Promise<void> {
  try {
    await link?.end();
  } catch {
    // Ending a link that already broke may fail; it is gone either way.
  }
}
