import type { Installation, SecretStore } from '@connect-jwt/core';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from './eventually.js';
import { type StoreFactory, sampleInstallation, uniqueClientKey } from './store-suite.js';
import { TcpProxy } from './tcp-proxy.js';

export interface InstallationsSuiteOptions {
  /** How many installations the listing test writes; default 10 000. */
  count?: number;
  /**
   * For a store that talks to a server: a store reaching it through the proxy at `proxyAddress`
   * (`127.0.0.1:<port>`), with timeouts short enough for the test, to cut the link mid-listing.
   */
  linkFault?: {
    targetHost: string;
    targetPort: number;
    createStore(proxyAddress: string): SecretStore;
  };
}

const STORE_UNAVAILABLE = 'ERR_STORE_UNAVAILABLE';
// More than two pages of any store (pages are a few hundred), so the listing goes back to the store.
const SEVERAL_PAGES = 1200;

function list(store: SecretStore): AsyncIterable<Installation> {
  if (typeof store.installations !== 'function') throw new Error('the store has no installations()');
  return store.installations();
}

/** Writes `count` installations named `<label>-<i>`, a few dozen at a time. */
async function fill(store: SecretStore, label: string, count: number): Promise<Installation[]> {
  const written = Array.from({ length: count }, (_, i) => sampleInstallation(`${label}-${i}`, { n: i }));
  for (let i = 0; i < written.length; i += 50) await Promise.all(written.slice(i, i + 50).map((r) => store.set(r)));
  return written;
}

/** How many times each clientKey under `label` was listed (the storage may hold other tests' rows). */
function tally(counts: Map<string, number>, installation: Installation, label: string): void {
  if (!installation.clientKey.startsWith(`${label}-`)) return;
  counts.set(installation.clientKey, (counts.get(installation.clientKey) ?? 0) + 1);
}

/**
 * The `installations()` conformance section: every row once, writes during the listing, and a
 * store that closes or drops mid-listing. Registers one vitest `describe` block.
 */
export function installationsSuite(name: string, factory: StoreFactory, options: InstallationsSuiteOptions = {}): void {
  const count = options.count ?? 10_000;

  describe(`${name} (installations())`, () => {
    const opened: SecretStore[] = [];
    const open = async (): Promise<SecretStore> => {
      const store = await factory();
      opened.push(store);
      return store;
    };
    afterEach(async () => {
      await Promise.allSettled(opened.splice(0).map((store) => store.close?.()));
    });

    it(`lists ${count} installations, each once and whole`, async () => {
      const store = await open();
      const label = uniqueClientKey('listed');
      const written = await fill(store, label, count);
      const counts = new Map<string, number>();
      const sample = new Map<string, Installation>();
      for await (const installation of list(store)) {
        tally(counts, installation, label);
        if (Number(installation.n) % 997 === 0) sample.set(installation.clientKey, installation);
      }
      expect(counts.size).toBe(count);
      expect([...counts.values()].every((times) => times === 1)).toBe(true);
      for (const [clientKey, installation] of sample) {
        expect(installation).toEqual(written[Number(clientKey.slice(label.length + 1))]);
      }
    }, 120_000);

    it('writes made during the listing do not break it: no row twice, every untouched row once', async () => {
      const store = await open();
      const label = uniqueClientKey('busy');
      const written = await fill(store, label, SEVERAL_PAGES);
      const touched = new Set<string>();
      const counts = new Map<string, number>();
      let seen = 0;
      let added = 0;
      for await (const installation of list(store)) {
        tally(counts, installation, label);
        // Other tests' rows may share the storage: only this test's own rows pace the writes.
        if (!installation.clientKey.startsWith(`${label}-`) || ++seen % 40 !== 1) continue;
        // Rows behind and ahead of the listing: updated, deleted, and new ones.
        const behind = written[(seen * 7) % written.length] as Installation;
        const ahead = written[(seen * 13 + 600) % written.length] as Installation;
        const gone = written[(seen * 17 + 300) % written.length] as Installation;
        for (const row of [behind, ahead, gone]) touched.add(row.clientKey);
        await store.set({ ...behind, serverVersion: 'updated' });
        await store.set({ ...ahead, serverVersion: 'updated' });
        await store.delete(gone.clientKey);
        await store.set(sampleInstallation(`${label}-new-${added++}`));
      }
      expect(added).toBeGreaterThan(10);
      expect([...counts.entries()].filter(([, times]) => times > 1)).toEqual([]);
      const missed = written.filter((row) => !touched.has(row.clientKey) && counts.get(row.clientKey) !== 1);
      expect(missed.map((row) => row.clientKey)).toEqual([]);
    }, 120_000);

    it('a store closed mid-listing ends it with ERR_STORE_UNAVAILABLE', async () => {
      const store = await open();
      const label = uniqueClientKey('closing');
      await fill(store, label, SEVERAL_PAGES);
      let listed = 0;
      const failure = await (async () => {
        for await (const _ of list(store)) {
          if (++listed === 1) await store.close?.();
        }
      })().then(
        () => 'completed',
        (error: unknown) => error,
      );
      expect(failure).toMatchObject({ code: STORE_UNAVAILABLE, status: 503 });
    }, 60_000);

    const linkFault = options.linkFault;
    if (linkFault) {
      it('a link cut mid-listing ends it with ERR_STORE_UNAVAILABLE, and a new listing works once it is back', async () => {
        const proxy = new TcpProxy({ targetHost: linkFault.targetHost, targetPort: linkFault.targetPort });
        await proxy.start();
        const store = linkFault.createStore(proxy.address);
        const label = uniqueClientKey('cut');
        try {
          await fill(store, label, SEVERAL_PAGES);
          let listed = 0;
          const failure = await (async () => {
            for await (const _ of list(store)) {
              if (++listed === 1) await proxy.cut();
            }
          })().then(
            () => 'completed',
            (error: unknown) => error,
          );
          expect(failure).toMatchObject({ code: STORE_UNAVAILABLE, status: 503 });
          await proxy.restore();
          const counts = new Map<string, number>();
          await eventually(async () => {
            counts.clear();
            for await (const installation of list(store)) tally(counts, installation, label);
          });
          expect(counts.size).toBe(SEVERAL_PAGES);
        } finally {
          await store.close?.();
          await proxy.close();
        }
      }, 60_000);
    }
  });
}
