import type { SecretStore, StoreChange, StoreChangeListener } from '@connect-jwt/core';
import {
  eventually,
  sampleInstallation,
  TcpProxy,
  uniqueClientKey,
  uniqueInstallationId,
} from '@connect-jwt/store-test-suite';
import { afterEach, describe, expect, it } from 'vitest';

type WatchedStore = SecretStore & Required<Pick<SecretStore, 'watch' | 'close'>>;

/** A listener that keeps what it was told, in order. */
export class FeedRecorder implements StoreChangeListener {
  readonly events: ({ type: 'change'; change: StoreChange } | { type: 'up' } | { type: 'down'; error: unknown })[] = [];
  change(change: StoreChange): void {
    this.events.push({ type: 'change', change });
  }
  up(): void {
    this.events.push({ type: 'up' });
  }
  down(error: unknown): void {
    this.events.push({ type: 'down', error });
  }
  count(type: 'change' | 'up' | 'down'): number {
    return this.events.filter((event) => event.type === type).length;
  }
  changesFor(clientKey: string): StoreChange[] {
    return this.events.flatMap((event) =>
      event.type === 'change' && event.change.clientKey === clientKey ? [event.change] : [],
    );
  }
  /** Waits (a bound, not a speed claim) until `check` holds. */
  async until(check: (recorder: this) => boolean, within = 10_000): Promise<void> {
    await eventually(
      async () => {
        if (!check(this)) throw new Error(`not yet: ${JSON.stringify(this.events.map((event) => event.type))}`);
      },
      { within, every: 20 },
    );
  }
}

/**
 * The change feed against a real server, until the shared store suite has a changeFeedSuite;
 * then this file goes and the store's test calls that instead.
 */
export function feedSuite(name: string, factory: () => WatchedStore): void {
  describe(`${name} (change feed)`, () => {
    const opened: WatchedStore[] = [];
    const open = () => {
      const store = factory();
      opened.push(store);
      return store;
    };
    afterEach(async () => {
      await Promise.allSettled(opened.splice(0).map((store) => store.close()));
    });

    it("tells every watching instance of another instance's set and delete, installationId included", async () => {
      const writer = open();
      const watcher = open();
      const recorder = new FeedRecorder();
      await watcher.watch(recorder);
      await recorder.until((r) => r.count('up') === 1);
      const clientKey = uniqueClientKey('fed');
      const installationId = uniqueInstallationId();
      await writer.set(sampleInstallation(clientKey, { installationId }));
      await recorder.until((r) => r.changesFor(clientKey).length === 1);
      await writer.delete(clientKey);
      await recorder.until((r) => r.changesFor(clientKey).length === 2);
      expect(recorder.changesFor(clientKey)).toEqual([
        { clientKey, installationId },
        { clientKey, installationId },
      ]);
      const plain = uniqueClientKey('plain');
      await writer.set(sampleInstallation(plain));
      await recorder.until((r) => r.changesFor(plain).length === 1);
      expect(recorder.changesFor(plain)).toEqual([{ clientKey: plain }]);
      expect(recorder.count('down')).toBe(0);
    });

    it("the writer's own watch hears its writes, and every watcher hears each write", async () => {
      const store = open();
      const mine = new FeedRecorder();
      const other = new FeedRecorder();
      await store.watch(mine);
      await store.watch(other);
      await mine.until((r) => r.count('up') === 1);
      await other.until((r) => r.count('up') === 1);
      const clientKey = uniqueClientKey('own');
      await store.set(sampleInstallation(clientKey));
      await mine.until((r) => r.changesFor(clientKey).length === 1);
      await other.until((r) => r.changesFor(clientKey).length === 1);
    });

    it('stops telling after the unsubscribe function, and after close()', async () => {
      const writer = open();
      const watcher = open();
      const kept = new FeedRecorder();
      const dropped = new FeedRecorder();
      // Hears every write, so the quiet ones had their chance to hear it too.
      const witness = new FeedRecorder();
      await writer.watch(witness);
      await watcher.watch(kept);
      const unsubscribe = await watcher.watch(dropped);
      for (const recorder of [witness, kept, dropped]) await recorder.until((r) => r.count('up') === 1);
      await unsubscribe();
      const first = uniqueClientKey('after-unsubscribe');
      await writer.set(sampleInstallation(first));
      await kept.until((r) => r.changesFor(first).length === 1);
      await witness.until((r) => r.changesFor(first).length === 1);
      await watcher.close();
      const second = uniqueClientKey('after-close');
      await writer.set(sampleInstallation(second));
      await witness.until((r) => r.changesFor(second).length === 1);
      expect(dropped.events.map((event) => event.type)).toEqual(['up']);
      expect(kept.changesFor(second)).toEqual([]);
      expect(kept.count('down')).toBe(0);
    });

    it('a listener that throws does not stop the feed', async () => {
      const writer = open();
      const watcher = open();
      const recorder = new FeedRecorder();
      let calls = 0;
      await watcher.watch({
        change: (change) => {
          calls += 1;
          recorder.change(change);
          throw new Error('listener bug');
        },
        up: () => recorder.up(),
        down: (error) => recorder.down(error),
      });
      await recorder.until((r) => r.count('up') === 1);
      const a = uniqueClientKey('throwing');
      const b = uniqueClientKey('throwing');
      await writer.set(sampleInstallation(a));
      await writer.set(sampleInstallation(b));
      await recorder.until((r) => r.changesFor(b).length === 1);
      expect(calls).toBe(2);
    });

    it('refuses a listener without change, up and down with a TypeError', async () => {
      const store = open();
      await expect(store.watch({ change() {} } as never)).rejects.toThrow(TypeError);
      await store.close();
      await expect(store.watch(new FeedRecorder())).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
    });
  });
}

export interface FeedFaultOptions {
  /** The servers (a cluster's nodes) the watcher reaches through one proxy each. */
  targets: readonly { host: string; port: number }[];
  /** A store reaching the servers only through the proxies (target `host:port` → proxy address). */
  throughProxies(proxies: ReadonlyMap<string, string>): WatchedStore;
  /** A store with a direct link, to write through. */
  direct(): WatchedStore;
}

/** The feed's subscriber link cut and restored: `down` once, then `up`, then changes again. */
export function feedFaultSuite(name: string, options: FeedFaultOptions): void {
  describe(`${name} (change feed link faults)`, () => {
    it('reports down when the subscriber link is cut, up when it is back, and delivers again', async () => {
      const proxies = options.targets.map(({ host, port }) => ({
        target: `${host}:${port}`,
        proxy: new TcpProxy({ targetHost: host, targetPort: port }),
      }));
      await Promise.all(proxies.map(({ proxy }) => proxy.start()));
      const watcher = options.throughProxies(new Map(proxies.map(({ target, proxy }) => [target, proxy.address])));
      const writer = options.direct();
      const recorder = new FeedRecorder();
      try {
        await watcher.watch(recorder);
        await recorder.until((r) => r.count('up') === 1);
        await Promise.all(proxies.map(({ proxy }) => proxy.cut()));
        await recorder.until((r) => r.count('down') === 1);
        await writer.set(sampleInstallation(uniqueClientKey('missed')));
        await Promise.all(proxies.map(({ proxy }) => proxy.restore()));
        await recorder.until((r) => r.count('up') === 2, 20_000);
        const clientKey = uniqueClientKey('after-restore');
        await writer.set(sampleInstallation(clientKey));
        await recorder.until((r) => r.changesFor(clientKey).length === 1);
        expect(recorder.events.map((event) => event.type).filter((type) => type !== 'change')).toEqual([
          'up',
          'down',
          'up',
        ]);
      } finally {
        await Promise.allSettled([watcher.close(), writer.close()]);
        await Promise.all(proxies.map(({ proxy }) => proxy.close()));
      }
    }, 60_000);
  });
}
