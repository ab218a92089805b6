import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { trimTrailingSlashes } from '@connect-jwt/core/adapter';

export interface ServeOptions {
  /** Default 0: any free port. */
  port?: number;
  /** Interface to listen on; default all of them, announced as `localhost`. */
  host?: string;
  /** The public base URL (a tunnel, a proxy); default the listening address. */
  baseUrl?: string;
}

/** What `serveAddon`'s builder returns: the app as a `node:http` listener, and how to stop it. */
export interface AddonHandler {
  /** An Express app, Koa's `app.callback()`, or `(req, res) => fastify.routing(req, res)` after `ready()`. */
  handler: RequestListener;
  close?: () => Promise<void>;
}

export interface RunningAddon {
  /** Where this process listens, e.g. `http://localhost:3000`. */
  url: string;
  /** The base URL the descriptor and the lifecycle `aud` check use. */
  baseUrl: string;
  server: Server;
  close(): Promise<void>;
}

/**
 * Listens first, then builds the app with the real base URL: with port 0 that URL (which the
 * descriptor announces, and install tokens must name as `aud`) is only known once the port is, and
 * `FakeProduct.install()` only succeeds when the add-on's `baseUrl` is where it listens.
 */
export async function serveAddon(
  options: ServeOptions,
  buildHandler: (baseUrl: string) => AddonHandler | Promise<AddonHandler>,
): Promise<RunningAddon> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host =
    options.host === undefined ? 'localhost' : options.host.includes(':') ? `[${options.host}]` : options.host;
  const url = `http://${host}:${port}`;
  const baseUrl = trimTrailingSlashes(options.baseUrl ?? url);
  let app: AddonHandler;
  try {
    app = await buildHandler(baseUrl);
  } catch (error) {
    server.close();
    throw error;
  }
  server.on('request', app.handler);
  return {
    url,
    baseUrl,
    server,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await app.close?.();
    },
  };
}
