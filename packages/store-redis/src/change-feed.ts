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
  openTimeout: number,
): FeedSource {
  return {
    async open(deliver, lost): Promise<FeedLink> {
      let client: FeedConnection | undefined;
      let opened = false;
      let abandoned = false;
      let heartbeat: NodeJS.Timeout | undefined;
      const fail = (error: unknown) => {
        clearInterval(heartbeat);
        if (opened) {
          opened = false;
          lost(error);
        }
      };
      // node-redis bounds the TCP connect, not the handshake after it (nor a cluster's node lookup):
      // on a silent link the open would wait forever and the feed never try again. So it has a deadline.
      const subscribing = (async () => {
        const made = await connection();
        client = made;
        if (abandoned) throw new Error('abandoned');
        made.on('error', fail);
        await made.connect();
        await made.subscribe(channel, (message) => {
          const change = parseChange(message);
          if (change !== undefined) deliver(change);
        });
        return made;
      })();
      try {
        client = await within(subscribing, openTimeout, `Redis did not subscribe within ${openTimeout} ms`);
      } catch (error) {
        abandoned = true;
        if (client !== undefined) destroyQuietly(client);
        throw error;
      }
      const subscribed = client;
      opened = true;
      heartbeat = setInterval(() => {
        within(subscribed.ping(), replyTimeout, `Redis did not answer a PING within ${replyTimeout} ms`).catch(fail);
      }, HEARTBEAT_MS);
      heartbeat.unref();
      return {
        end: () => {
          opened = false;
          clearInterval(heartbeat);
          destroyQuietly(subscribed);
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

// `pending`, or a rejection after `ms`; a late outcome of `pending` is ignored.
function within<T>(pending: Promise<T>, ms: number, message: string): Promise<T> {
  pending.catch(() => {});
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([pending, deadline]).finally(() => clearTimeout(timer));
}
