// What the adapters' test apps share: a started HTTP server on 127.0.0.1, its URL and a close()
// that does not wait for kept-alive connections.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

/** Waits until `server` listens, then answers its URL and how to close it. */
export async function listen(server: Server): Promise<RunningServer> {
  if (!server.listening) await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
