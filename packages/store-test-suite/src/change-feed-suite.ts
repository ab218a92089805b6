import type { SecretStore, StoreChange, StoreChangeListener } from '@connect-jwt/core';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from './eventually.js';
import { ProxyGroup } from './link-fault-suite.js';
import { sampleInstallation, uniqueClientKey, uniqueInstallationId } from './store-suite.js';

/** A store with a change feed: `watch()` is what the suite tests. */
export type WatchedStore = SecretStore & Required<Pick<SecretStore, 'watch'>>;

export interface ChangeFeedSuiteOptions {
  /**
   * For a store that talks to a server: the real server, and a store whose feed reaches it through
   * the proxy at `proxyAddress` (`127.0.0.1:<port>`), so that the test can cut the feed's link.
   */
  linkFault?: {
    targetHost: string;
    targetPort: number;
    /** More servers of the same store (a cluster's other nodes): one proxy each, all faulted together. */
    moreTargets?: readonly { host: string; port: number }[];
    /** `proxies` maps each target (`host:port`, `targetHost:targetPort` first) to its proxy's address. */
    createStore(proxyAddress: string, proxies: ReadonlyMap<string, string>): WatchedStore | Promise<WatchedStore>;
    /**
     * Also test a link that goes silent without closing (half-open), for a store whose feed probes
     * its link (a heartbeat); give `createStore` short timeouts, since the test waits for them.
     */
    halfOpen?: boolean;
  };
}

// The bound a fleet relies on: a write through any instance reaches every other within a second.
// A correctness bound, not a speed claim (the benchmark measures how fast it typically is).
const PROPAGATION_BOUND_MS = 1000;

/** What one listener heard, in order, with the time each change arrived. */
class Recording implements StoreChangeListener {
  readonly changes: { change: StoreChange; at: number }[] = [];
  readonly events: string[] = [];

  change(change: StoreChange): void {
    this.changes.push({ change, at: Date.now() });
    this.events.push('change');
  }

  up(): void {
    this.events.push('up');
  }

  down(): void {
    this.events.push('down');
  }

  /** The first change for `clientKey` that arrived at or after `since`, waiting up to `within` ms. */
  async changeFor(clientKey: string, since: number, within = PROPAGATION_BOUND_MS): Promise<StoreChange> {
    const deadline = since + within;
    for (;;) {
      // Taken off the list once returned: the next write may land in the same millisecond as
      // this one was heard, and must not be answered with it.
      const index = this.changes.findIndex((entry) => entry.change.clientKey === clientKey && entry.at >= since);
      if (index !== -1) return (this.changes.splice(index, 1)[0] as { change: StoreChange }).change;
      if (Date.now() > deadline) {
        throw new Error(
          `no change for ${clientKey} within ${within} ms (heard: ${this.events.join(', ') || 'nothing'})`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  heard(clientKey: string): boolean {
    return this.changes.some((entry) => entry.change.clientKey === clientKey);
  }
}

/**
 * The change feed every store with `watch()` must give a fleet: registers one vitest `describe`
 * block. `factory` makes a new instance on the same backend each call; each is closed after its
 * test.
 */
export function changeFeedSuite(
  name: string,
  factory: () => WatchedStore | Promise<WatchedStore>,
  options: ChangeFeedSuiteOptions = {},
): void {
  describe(`${name} (change feed)`, () => {
    const opened: SecretStore[] = [];
    const cleanups: (() => Promise<void>)[] = [];
    const open = async (make: () => WatchedStore | Promise<WatchedStore> = factory) => {
      const store = await make();
      opened.push(store);
      return store;
    };
    /** Subscribes a recording and waits until its feed is up. */
    const watching = async (store: WatchedStore) => {
      const recording = new Recording();
      const unsubscribe = await store.watch(recording);
      await eventually(async () => expect(recording.events).toContain('up'), { within: 10_000 });
      return { recording, unsubscribe };
    };

    /** A writer on the backend, and a watched store whose feed goes through a fresh proxy. */
    const watchedThroughProxy = async (linkFault: NonNullable<ChangeFeedSuiteOptions['linkFault']>) => {
      const proxy = new ProxyGroup([
        { host: linkFault.targetHost, port: linkFault.targetPort },
        ...(linkFault.moreTargets ?? []),
      ]);
      await proxy.start();
      cleanups.push(() => proxy.close());
      const writer = await open();
      const { recording } = await watching(await open(() => linkFault.createStore(proxy.address, proxy.addresses)));
      return { proxy, writer, recording };
    };

    afterEach(async () => {
      for (const cleanup of cleanups.splice(0)) await cleanup().catch(() => {});
      await Promise.allSettled(opened.splice(0).map((store) => store.close?.()));
    });

    it("a set and a delete through one instance reach another's listener within 1 s, installationId carried", async () => {
      const a = await open();
      const b = await open();
      const { recording } = await watching(b);
      const clientKey = uniqueClientKey('feed');
      const installationId = uniqueInstallationId();

      let since = Date.now();
      await a.set(sampleInstallation(clientKey, { installationId }));
      expect(await recording.changeFor(clientKey, since)).toEqual({ clientKey, installationId });

      const reinstall = uniqueInstallationId();
      since = Date.now();
      await a.set(sampleInstallation(clientKey, { installationId: reinstall, sharedSecret: 'rotated' }));
      expect(await recording.changeFor(clientKey, since)).toEqual({ clientKey, installationId: reinstall });

      since = Date.now();
      await a.delete(clientKey);
      expect((await recording.changeFor(clientKey, since)).clientKey).toBe(clientKey);
    });

    it('an instance hears its own writes too, and a record without installationId carries none', async () => {
      const a = await open();
      const { recording } = await watching(a);
      const clientKey = uniqueClientKey('feed-own');
      const since = Date.now();
      await a.set(sampleInstallation(clientKey));
      expect(await recording.changeFor(clientKey, since)).toEqual({ clientKey });
    });

    it('a listener without change, up and down is a TypeError, not a feed that stays silent', async () => {
      const a = await open();
      for (const bad of [null, {}, { change() {}, up() {} }]) {
        await expect(a.watch(bad as never)).rejects.toThrow(TypeError);
      }
    });

    it('unsubscribing stops delivery to that listener only', async () => {
      const a = await open();
      const b = await open();
      const leaving = await watching(b);
      const staying = await watching(b);
      await leaving.unsubscribe();
      await leaving.unsubscribe();
      const clientKey = uniqueClientKey('feed-unsubscribed');
      const since = Date.now();
      await a.set(sampleInstallation(clientKey));
      // Both hang off one feed: once the staying listener has the change, the other would have too.
      await staying.recording.changeFor(clientKey, since);
      expect(leaving.recording.heard(clientKey)).toBe(false);
    });

    it('closing the store ends its feed, and watch() afterwards fails with ERR_STORE_UNAVAILABLE', async () => {
      const a = await open();
      const b = await open();
      const onA = await watching(a);
      const onB = await watching(b);
      await b.close?.();
      const clientKey = uniqueClientKey('feed-closed');
      const since = Date.now();
      await a.set(sampleInstallation(clientKey));
      await onA.recording.changeFor(clientKey, since);
      // The closed store's feed would have delivered by now, as the open one did; give it the bound.
      await new Promise((resolve) => setTimeout(resolve, PROPAGATION_BOUND_MS / 2));
      expect(onB.recording.heard(clientKey)).toBe(false);
      await expect(b.watch(new Recording())).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
    });

    const linkFault = options.linkFault;
    if (linkFault !== undefined) {
      it('a cut listener link is reported down, then up again when it returns, and delivers again', async () => {
        const { proxy, writer, recording } = await watchedThroughProxy(linkFault);
        expect(proxy.connections).toBeGreaterThan(0);

        await proxy.cut();
        await eventually(async () => expect(recording.events.at(-1)).toBe('down'), { within: 20_000 });
        await proxy.restore();
        await eventually(async () => expect(recording.events.at(-1)).toBe('up'), { within: 20_000 });
        expect(recording.events.filter((event) => event !== 'change')).toEqual(['up', 'down', 'up']);

        const clientKey = uniqueClientKey('feed-after-fault');
        const since = Date.now();
        await writer.set(sampleInstallation(clientKey));
        expect(await recording.changeFor(clientKey, since)).toEqual({ clientKey });
      }, 60_000);

      if (linkFault.halfOpen === true) {
        it('a listener link that goes silent (half-open) is noticed, reported down, and up again on a new link', async () => {
          const { proxy, writer, recording } = await watchedThroughProxy(linkFault);

          proxy.stall();
          await eventually(async () => expect(recording.events.at(-1)).toBe('down'), { within: 30_000 });
          await proxy.restore();
          await eventually(async () => expect(recording.events.at(-1)).toBe('up'), { within: 20_000 });

          const clientKey = uniqueClientKey('feed-after-stall');
          const since = Date.now();
          await writer.set(sampleInstallation(clientKey));
          expect(await recording.changeFor(clientKey, since)).toEqual({ clientKey });
        }, 60_000);
      }
    }
  });
}
