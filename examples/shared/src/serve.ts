import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ServeOptions {
  /** 0 picks a free port. */
  port: number;
  /** Interface to listen on; default all of them, announced as `localhost`. */
  host?: string;
  /** The public base URL (a tunnel, a proxy); default the listening address. */
  baseUrl?: string;
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
 * Listens first, then builds the app: with port 0 the base URL (which the descriptor announces and
 * install tokens must name as `aud`) is only known once the port is.
 */
export async function serveAddon(
  options: ServeOptions,
  buildHandler: (baseUrl: string) => Promise<{ handler: RequestListener; close?: () => Promise<void> }>,
): Promise<RunningAddon> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host =
    options.host === undefined ? 'localhost' : options.host.includes(':') ? `[${options.host}]` : options.host;
  const url = `http://${host}:${port}`;
  const baseUrl = (options.baseUrl ?? url).replace(/\/+$/, '');
  let app: Awaited<ReturnType<typeof buildHandler>>;
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
