import { createJwt, type SecretStore, verifyRequest } from '@connect-jwt/core';
import { toErrorResponse } from '@connect-jwt/core/adapter';
import { describe, expect, it } from 'vitest';
import { eventually } from './eventually.js';
import { sampleInstallation, uniqueClientKey } from './store-suite.js';
import { TcpProxy } from './tcp-proxy.js';

/** The fault a `linkFaultSuite` test puts on the link: `cut` (reset, refused) or `stall` (half-open). */
export type LinkFault = 'cut' | 'stall';

export interface LinkFaultSuiteOptions {
  /** The real server the proxy forwards to. */
  targetHost: string;
  targetPort: number;
  /**
   * More servers of the same store (the other nodes of a cluster): each gets a proxy of its own,
   * and every fault is put on all the links at once.
   */
  moreTargets?: readonly { host: string; port: number }[];
  /**
   * A store that reaches the server through the proxy at `proxyAddress` (`127.0.0.1:<port>`),
   * with connect and command timeouts short enough for the test (well under its 60 s).
   * `proxies` maps each target (`host:port`, `targetHost:targetPort` first) to its proxy's address.
   */
  createStore(proxyAddress: string, fault: LinkFault, proxies: ReadonlyMap<string, string>): SecretStore;
}

/** One proxy per target, faulted together; the first one's address stands for them all. */
export class ProxyGroup {
  readonly #proxies: [string, TcpProxy][];
  constructor(targets: readonly { host: string; port: number }[]) {
    this.#proxies = targets.map(({ host, port }) => [
      `${host}:${port}`,
      new TcpProxy({ targetHost: host, targetPort: port }),
    ]);
  }
  get address(): string {
    return this.#proxies[0]?.[1].address ?? '';
  }
  get addresses(): ReadonlyMap<string, string> {
    return new Map(this.#proxies.map(([target, proxy]) => [target, proxy.address]));
  }
  get connections(): number {
    return this.#proxies.reduce((sum, [, proxy]) => sum + proxy.connections, 0);
  }
  async start(): Promise<void> {
    await Promise.all(this.#proxies.map(([, proxy]) => proxy.start()));
  }
  async cut(): Promise<void> {
    await Promise.all(this.#proxies.map(([, proxy]) => proxy.cut()));
  }
  async restore(): Promise<void> {
    await Promise.all(this.#proxies.map(([, proxy]) => proxy.restore()));
  }
  stall(): void {
    for (const [, proxy] of this.#proxies) proxy.stall();
  }
  async close(): Promise<void> {
    await Promise.all(this.#proxies.map(([, proxy]) => proxy.close()));
  }
}

const STORE_UNAVAILABLE = 'ERR_STORE_UNAVAILABLE';

/**
 * Link fault tests for a store that talks to a server: registers one vitest `describe` block with
 * a cut link (503 meanwhile, recovery by itself) and a half-open link (503, recovery on a new
 * connection), each through a `TcpProxy` in front of the real server.
 */
export function linkFaultSuite(name: string, options: LinkFaultSuiteOptions): void {
  const { targetHost, targetPort, createStore } = options;
  const targets = [{ host: targetHost, port: targetPort }, ...(options.moreTargets ?? [])];

  describe(`${name} (link faults)`, () => {
    it('fails with 503 while the link is cut and recovers by itself when it is back', async () => {
      const proxy = new ProxyGroup(targets);
      await proxy.start();
      const store = createStore(proxy.address, 'cut', proxy.addresses);
      const clientKey = uniqueClientKey('fault');
      const installation = sampleInstallation(clientKey);
      try {
        await store.set(installation);
        expect(await store.get(clientKey)).toEqual(installation);

        const token = await createJwt(clientKey, installation.sharedSecret, { uri: '/panel' });
        const request = { method: 'GET', url: '/panel', headers: { authorization: `JWT ${token}` } };
        await expect(verifyRequest(request, { store })).resolves.toMatchObject({ clientKey });

        await proxy.cut();
        // What an adapter answers meanwhile: 503 with Retry-After, never a 401.
        const failure = await verifyRequest(request, { store }).catch((error: unknown) => error);
        expect(toErrorResponse(failure)).toMatchObject({
          status: 503,
          headers: { 'retry-after': '1' },
          body: { code: STORE_UNAVAILABLE },
        });
        for (let i = 0; i < 3; i++) {
          await expect(store.get(clientKey)).rejects.toMatchObject({ code: STORE_UNAVAILABLE, status: 503 });
        }
        await expect(store.set(installation)).rejects.toMatchObject({ code: STORE_UNAVAILABLE });

        await proxy.restore();
        expect(await eventually(() => store.get(clientKey))).toEqual(installation);
        await expect(verifyRequest(request, { store })).resolves.toMatchObject({ clientKey });
        // The recovery went through the proxy, not around it.
        expect(proxy.connections).toBeGreaterThan(0);
      } finally {
        await store.close?.();
        await proxy.close();
      }
    }, 60_000);

    it('a link that goes silent without closing (half-open) fails with 503 and recovers once the server answers', async () => {
      const proxy = new ProxyGroup(targets);
      await proxy.start();
      const store = createStore(proxy.address, 'stall', proxy.addresses);
      const clientKey = uniqueClientKey('stall');
      const installation = sampleInstallation(clientKey);
      try {
        await store.set(installation);
        proxy.stall();
        await expect(store.get(clientKey)).rejects.toMatchObject({ code: STORE_UNAVAILABLE, status: 503 });
        await proxy.restore();
        // The stalled connection never answers again: only a new one can recover.
        expect(await eventually(() => store.get(clientKey))).toEqual(installation);
      } finally {
        await store.close?.();
        await proxy.close();
      }
    }, 60_000);
  });
}
