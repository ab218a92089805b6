import { connect, createServer, type Server, type Socket } from 'node:net';

export interface TcpProxyOptions {
  /** Where connections are forwarded. */
  targetHost?: string;
  targetPort: number;
  /** Port to listen on (127.0.0.1); default 0, an ephemeral port kept across `cut()`/`restore()`. */
  port?: number;
}

/**
 * A TCP proxy for fault tests: put it between a client and a real server, then `cut()` the link
 * (every open connection is reset and new ones are refused), `restore()` it, `blackhole()` it
 * (connections are accepted but nothing is forwarded: requests hang until the client's timeout),
 * or `stall()` it (open connections go silent without closing, like a peer that vanished).
 */
export class TcpProxy {
  readonly targetHost: string;
  readonly targetPort: number;
  #port: number;
  #server: Server | undefined;
  #mode: 'forward' | 'blackhole' = 'forward';
  readonly #sockets = new Set<Socket>();
  readonly #clients = new Set<Socket>();
  readonly #pairs = new Map<Socket, Socket>();

  constructor(options: TcpProxyOptions) {
    this.targetHost = options.targetHost ?? '127.0.0.1';
    this.targetPort = options.targetPort;
    this.#port = options.port ?? 0;
  }

  /** The port clients connect to (known once started). */
  get port(): number {
    return this.#port;
  }

  /** `127.0.0.1:<port>`. */
  get address(): string {
    return `127.0.0.1:${this.#port}`;
  }

  /** How many client connections are open through the proxy now. */
  get connections(): number {
    return this.#clients.size;
  }

  /** Starts listening; resolves with the port. */
  async start(): Promise<number> {
    if (this.#server) return this.#port;
    const server = createServer((client) => this.#accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.#server = server;
    const address = server.address();
    if (address && typeof address === 'object') this.#port = address.port;
    return this.#port;
  }

  /** Drops the link: resets every open connection and stops accepting new ones (connection refused). */
  async cut(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const socket of this.#sockets) socket.resetAndDestroy();
    this.#sockets.clear();
    this.#clients.clear();
    this.#pairs.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Brings the link back on the same port, forwarding again. */
  async restore(): Promise<void> {
    this.#mode = 'forward';
    await this.start();
  }

  /** Keeps accepting connections but forwards nothing (existing connections are cut first). */
  async blackhole(): Promise<void> {
    await this.cut();
    this.#mode = 'blackhole';
    await this.start();
  }

  /**
   * A half-open link: open connections stay open but carry nothing more in either direction (no
   * FIN, no RST: the client only notices through its own timeouts), and new connections are
   * accepted but not forwarded. `restore()` forwards new connections again; stalled ones stay
   * silent, as a connection to a vanished peer does.
   */
  stall(): void {
    this.#mode = 'blackhole';
    for (const [client, upstream] of this.#pairs) {
      client.unpipe(upstream);
      upstream.unpipe(client);
      client.pause();
      upstream.pause();
    }
    this.#pairs.clear();
  }

  /** Stops the proxy for good. */
  async close(): Promise<void> {
    await this.cut();
  }

  #accept(client: Socket): void {
    this.#track(client);
    this.#clients.add(client);
    client.on('close', () => this.#clients.delete(client));
    client.on('error', () => client.destroy());
    if (this.#mode === 'blackhole') return;
    const upstream = connect({ host: this.targetHost, port: this.targetPort });
    this.#track(upstream);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    this.#pairs.set(client, upstream);
    client.on('close', () => this.#pairs.delete(client));
    client.pipe(upstream);
    upstream.pipe(client);
  }

  #track(socket: Socket): void {
    this.#sockets.add(socket);
    socket.on('close', () => this.#sockets.delete(socket));
  }
}

/** A port on 127.0.0.1 that nothing listens on (it was free a moment ago). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address !== 'object') throw new Error('no port was assigned');
  return address.port;
}
