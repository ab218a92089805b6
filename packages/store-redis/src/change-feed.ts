import type { StoreChange } from '@connect-jwt/core';
import type { FeedLink, FeedSource } from '@connect-jwt/core/store-kit';

/** A node-redis client, not yet connected, that gives up on its first lost connection. */
export interface FeedConnection {
  connect(): Promise<unknown>;
  subscribe(channel: string, listener: (message: string) => void): Promise<unknown>;
  /** Allowed on a subscribed connection: the heartbeat. */
  ping(): Promise<unknown>;
  on(event: 'error', listener: (error: unknown) => void): unknown;
  destroy(): void;
}

// A subscribed connection that stops answering (a half-open link: the peer gone without FIN or
// RST) would otherwise look up until TCP gives up, minutes later, missing every change meanwhile.
const HEARTBEAT_MS = 5000;

/** The message a write publishes: what a cache must drop. */
export function changeMessage(clientKey: string, installationId: unknown): string {
  const change: StoreChange = { clientKey };
  if (typeof installationId === 'string' && installationId !== '') change.installationId = installationId;
  return JSON.stringify(change);
}

// Anyone who can PUBLISH on the server can write on the channel: only a well-formed change is passed on.
function parseChange(message: string): StoreChange | undefined {
  try {
    const { clientKey, installationId } = JSON.parse(message) as Record<string, unknown>;
    if (typeof clientKey !== 'string') return undefined;
    return typeof installationId === 'string' ? { clientKey, installationId } : { clientKey };
  } catch {
    return undefined;
  }
}

/**
 * The Redis half of the store kit's ChangeFeed: each link is a connection of its own, subscribed to
 * `channel` (a connection in subscriber mode can send nothing else). The connection does not
 * reconnect by itself: the kit's feed opens a new link after a loss, so every resubscription
 * passes through it and is reported `up`, and a loss is reported `down` at once.
 */
export function redisFeedSource(
  channel: string,
  connection: () => Promise<FeedConnection>,
  replyTimeout: number,
): FeedSource {
  return {
    async open(deliver, lost): Promise<FeedLink> {
      const client = await connection();
      let opened = false;
      let heartbeat: NodeJS.Timeout | undefined;
      const fail = (error: unknown) => {
        clearInterval(heartbeat);
        if (opened) {
          opened = false;
          lost(error);
        }
      };
      client.on('error', fail);
      try {
        await client.connect();
        await client.subscribe(channel, (message) => {
          const change = parseChange(message);
          if (change !== undefined) deliver(change);
        });
      } catch (error) {
        destroyQuietly(client);
        throw error;
      }
      opened = true;
      heartbeat = setInterval(() => {
        let timer: NodeJS.Timeout | undefined;
        const silent = new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`Redis did not answer a PING within ${replyTimeout} ms`)),
            replyTimeout,
          );
        });
        Promise.race([client.ping(), silent])
          .catch(fail)
          .finally(() => clearTimeout(timer));
      }, HEARTBEAT_MS);
      heartbeat.unref();
      return {
        end: () => {
          opened = false;
          clearInterval(heartbeat);
          destroyQuietly(client);
        },
      };
    },
  };
}

// A client whose connection already failed is closed: destroying it again throws, to no purpose.
function destroyQuietly(client: FeedConnection): void {
  try {
    client.destroy();
  } catch {}
}
