import { generateKeyPairSync, type KeyObject, randomUUID } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An RSA key pair the fake product signs install tokens with, named by `kid`. */
export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  /** SPKI PEM, as the install-keys CDN serves it. */
  publicKeyPem: string;
}

/**
 * How the key server answers for one kid: `serve` the PEM, `not-found` (404), `error` (500),
 * `garbage` (200 with something that is not a key), or `hang` (never answer, until close()).
 */
export type KeyResponse = 'serve' | 'not-found' | 'error' | 'garbage' | 'hang';

export interface KeyServer {
  /** Base URL to pass as `keyServerUrl`, e.g. `http://127.0.0.1:40123`. */
  readonly url: string;
  /** A key served from the start. */
  readonly key: SigningKey;
  /** A new RSA key pair; served unless `serve: false` (a key Atlassian never published). */
  createKey(options?: { kid?: string; serve?: boolean }): SigningKey;
  /** Changes how `GET /<kid>` is answered. */
  respond(kid: string, response: KeyResponse): void;
  /** How many times `GET /<kid>` was requested (to see caching and coalescing). */
  requestCount(kid: string): number;
  close(): Promise<void>;
}

export function generateSigningKey(kid: string = randomUUID()): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { kid, privateKey, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

/**
 * A real HTTP key server on 127.0.0.1 (ephemeral port) standing in for Atlassian's install-keys
 * CDN: `GET /<kid>` answers the SPKI PEM of that key, 404 for a kid it does not know.
 */
export async function startKeyServer(): Promise<KeyServer> {
  const keys = new Map<string, string>();
  const responses = new Map<string, KeyResponse>();
  const counts = new Map<string, number>();
  const hanging = new Set<ServerResponse>();

  const server = createServer((request, response) => {
    const kid = kidOf(request.url ?? '/');
    counts.set(kid, (counts.get(kid) ?? 0) + 1);
    const pem = keys.get(kid);
    const mode = responses.get(kid) ?? (pem === undefined ? 'not-found' : 'serve');
    if (request.method !== 'GET' || mode === 'not-found' || (mode === 'serve' && pem === undefined)) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found');
    } else if (mode === 'serve') {
      response.writeHead(200, { 'content-type': 'application/x-pem-file' }).end(pem);
    } else if (mode === 'error') {
      response.writeHead(500, { 'content-type': 'text/plain' }).end('Internal Server Error');
    } else if (mode === 'garbage') {
      response.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>not a key</body></html>');
    } else {
      hanging.add(response);
      response.on('close', () => hanging.delete(response));
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  const keyServer: KeyServer = {
    url: `http://127.0.0.1:${port}`,
    key: undefined as unknown as SigningKey,
    createKey(options = {}) {
      const key = generateSigningKey(options.kid);
      if (options.serve !== false) keys.set(key.kid, key.publicKeyPem);
      return key;
    },
    respond(kid, response) {
      responses.set(kid, response);
    },
    requestCount(kid) {
      return counts.get(kid) ?? 0;
    },
    close() {
      for (const response of hanging) response.destroy();
      server.closeAllConnections();
      return new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
  return Object.assign(keyServer, { key: keyServer.createKey() });
}

/** The kid a request asks for; a malformed escape is kept as it is rather than crashing the server. */
function kidOf(url: string): string {
  const raw = url.slice(1).split('?')[0] ?? '';
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}
