import type { createClient } from 'redis';
import { importDriver } from './driver.js';
import {
  type AceClientInfo,
  type AceInstallationLink,
  type AceSnapshot,
  type AceSource,
  AceSourceError,
  decodeAceValue,
} from './types.js';

// ACE's redis adapter: `<clientKey>:clientInfo` holds the record, `installation:<id>;` the
// clientKey a Forge installation maps to. The database index in the URL is its only namespace.
const CLIENT_INFO_SUFFIX = ':clientInfo';
const LINK_PREFIX = 'installation:';
const LINK_SUFFIX = ';';

/** ACE's Redis store, read with SCAN and GET only. */
export class AceRedisSource implements AceSource {
  readonly display: string;
  readonly #url: string;
  readonly #connectTimeout: number;

  constructor(url: string, display: string, options: { connectTimeout?: number } = {}) {
    this.#url = url;
    this.display = display;
    this.#connectTimeout = options.connectTimeout ?? 5000;
  }

  async read(): Promise<AceSnapshot> {
    const { createClient } = await importDriver(() => import('redis'), 'redis', this.display);
    // One attempt, no reconnection loop: an import that cannot reach the server should say so.
    const client = createClient({
      url: this.#url,
      socket: { connectTimeout: this.#connectTimeout, reconnectStrategy: false },
    });
    let lastError: unknown;
    client.on('error', (error) => {
      lastError = error;
    });
    try {
      await client.connect();
      const clientInfos: AceClientInfo[] = [];
      for (const key of await scan(client, `*${CLIENT_INFO_SUFFIX}`)) {
        const clientKey = key.slice(0, -CLIENT_INFO_SUFFIX.length);
        clientInfos.push({ clientKey, value: decodeAceValue(await getString(client, key)), rows: 1 });
      }
      const links: AceInstallationLink[] = [];
      for (const key of await scan(client, `${LINK_PREFIX}*`)) {
        if (!key.endsWith(LINK_SUFFIX)) continue;
        const clientKey = await getString(client, key);
        const installationId = key.slice(LINK_PREFIX.length, -LINK_SUFFIX.length);
        if (typeof clientKey === 'string') links.push({ installationId, clientKey });
      }
      return { clientInfos, links };
    } catch (cause) {
      const reason = (cause as Error).message || (lastError as Error | undefined)?.message || String(cause);
      throw new AceSourceError(`cannot read the ACE store at ${this.display}: ${reason}`, { cause });
    } finally {
      if (client.isOpen) await client.close().catch(() => {});
    }
  }

  async close(): Promise<void> {}
}

type Client = ReturnType<typeof createClient>;

async function scan(client: Client, pattern: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const batch of client.scanIterator({ MATCH: pattern, COUNT: 1000 })) {
    keys.push(...(Array.isArray(batch) ? batch : [batch]));
  }
  return keys;
}

/** The key's string value; a key of another type reads as undefined (ACE would fail on it too). */
async function getString(client: Client, key: string): Promise<string | undefined> {
  try {
    return (await client.get(key)) ?? undefined;
  } catch (error) {
    if (String((error as Error).message).startsWith('WRONGTYPE')) return undefined;
    throw error;
  }
}
