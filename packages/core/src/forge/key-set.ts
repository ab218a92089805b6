import { createPublicKey, type KeyObject } from 'node:crypto';
import { InvalidSignatureError, KeysUnavailableError } from '../errors.js';
import { readBoundedText } from '../lib/read-bounded.js';

export interface ForgeKeySetOptions {
  /** Milliseconds before a JWKS fetch is abandoned; default 5000. */
  timeoutMs?: number;
  /** Milliseconds a fetched JWKS is used before it is refreshed; default 10 minutes. */
  maxAgeMs?: number;
  /** Milliseconds after a fetch during which an unknown `kid` does not fetch again; default 30 s. */
  cooldownMs?: number;
  /** Largest JWKS response accepted, in bytes; default 1 MiB. */
  maxBytes?: number;
}

const DEFAULTS: Required<ForgeKeySetOptions> = {
  timeoutMs: 5000,
  maxAgeMs: 10 * 60_000,
  cooldownMs: 30_000,
  maxBytes: 1024 * 1024,
};
// Smaller RSA moduli are breakable; a JWKS offering one is broken or not Forge's.
const MIN_MODULUS_BITS = 2048;

/**
 * The RS256 public keys of one JWKS URL, by `kid`.
 *
 * Why not jose's createRemoteJWKSet: it drops every key when a refresh fails (we keep known keys
 * verifying while the JWKS is down), reads responses of any size, and hands out CryptoKeys that
 * only verify through the asynchronous WebCrypto API, which measures several times slower per
 * token than node:crypto's verify with a KeyObject (see `pnpm bench`).
 */
export class ForgeKeySet {
  readonly url: string;
  readonly #options: Required<ForgeKeySetOptions>;
  #keys = new Map<string, KeyObject>();
  /** performance.now() of the last successful fetch; -Infinity before the first. */
  #fetchedAt = Number.NEGATIVE_INFINITY;
  /** performance.now() of the last fetch attempt, successful or not. */
  #attemptedAt = Number.NEGATIVE_INFINITY;
  #lastFailure: unknown;
  #inFlight: Promise<void> | undefined;
  /** JWKS requests made, to see caching and coalescing in tests. */
  fetchCount = 0;

  constructor(url: string, options: ForgeKeySetOptions = {}) {
    this.url = url;
    this.#options = { ...DEFAULTS, ...options };
  }

  /**
   * The key for `kid` when it is known, without waiting: the hot path. A key older than `maxAgeMs`
   * is still returned (a refresh starts in the background), so an unreachable JWKS never stops
   * keys that were already trusted.
   */
  peek(kid: string): KeyObject | undefined {
    const key = this.#keys.get(kid);
    if (key !== undefined && performance.now() - this.#fetchedAt > this.#options.maxAgeMs && this.#mayFetch()) {
      this.#refresh().catch(() => {});
    }
    return key;
  }

  /**
   * The key for `kid`, fetching the JWKS when it is unknown (at most once per cooldown; concurrent
   * misses share one fetch). InvalidSignatureError when the JWKS does not hold it,
   * KeysUnavailableError when the JWKS could not be fetched and so cannot tell.
   */
  async load(kid: string): Promise<KeyObject> {
    const known = this.peek(kid);
    if (known !== undefined) return known;
    if (this.#inFlight !== undefined || this.#mayFetch()) {
      try {
        await this.#refresh();
      } catch {
        // Reported below: a failed fetch leaves the key unknown.
      }
    }
    const key = this.#keys.get(kid);
    if (key !== undefined) return key;
    if (this.#lastFailure !== undefined) {
      const reason = this.#lastFailure instanceof Error ? ` (${this.#lastFailure.message})` : '';
      throw new KeysUnavailableError(`no known key has this "kid" and the Forge JWKS could not be fetched${reason}`, {
        cause: this.#lastFailure,
      });
    }
    throw new InvalidSignatureError('the token "kid" names no key of the Forge JWKS');
  }

  #mayFetch(): boolean {
    return performance.now() - this.#attemptedAt >= this.#options.cooldownMs;
  }

  #refresh(): Promise<void> {
    this.#inFlight ??= this.#fetch().finally(() => {
      this.#inFlight = undefined;
    });
    return this.#inFlight;
  }

  async #fetch(): Promise<void> {
    this.#attemptedAt = performance.now();
    this.fetchCount++;
    try {
      const keys = await fetchJwks(this.url, this.#options);
      this.#keys = keys;
      this.#fetchedAt = performance.now();
      this.#lastFailure = undefined;
    } catch (error) {
      // Known keys stay: they were published by Forge, and an outage is no reason to distrust them.
      this.#lastFailure = error;
      throw error;
    }
  }
}

async function fetchJwks(url: string, options: Required<ForgeKeySetOptions>): Promise<Map<string, KeyObject>> {
  let text: string;
  try {
    // No redirects: keys must come from the configured URL, never from wherever it points.
    const response = await fetch(url, {
      redirect: 'error',
      signal: AbortSignal.timeout(options.timeoutMs),
      headers: { accept: 'application/json' },
    });
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => {});
      throw new KeysUnavailableError(`the Forge JWKS answered HTTP ${response.status}`);
    }
    text = await readBoundedText(
      response,
      options.maxBytes,
      () => new KeysUnavailableError(`the Forge JWKS is larger than ${options.maxBytes} bytes`),
    );
  } catch (cause) {
    if (cause instanceof KeysUnavailableError) throw cause;
    throw new KeysUnavailableError('the Forge JWKS could not be fetched in time', { cause });
  }
  return parseJwks(text);
}

/** The usable RS256 signing keys of a JWKS document; keys of other types or uses are skipped. */
export function parseJwks(text: string): Map<string, KeyObject> {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (cause) {
    throw new KeysUnavailableError('the Forge JWKS is not JSON', { cause });
  }
  const entries = (document as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(entries)) throw new KeysUnavailableError('the Forge JWKS has no "keys" array');
  const keys = new Map<string, KeyObject>();
  for (const jwk of entries) {
    if (jwk === null || typeof jwk !== 'object') continue;
    const { kty, kid, use, alg, n, e } = jwk as Record<string, unknown>;
    if (kty !== 'RSA' || typeof kid !== 'string' || typeof n !== 'string' || typeof e !== 'string') continue;
    if ((use !== undefined && use !== 'sig') || (alg !== undefined && alg !== 'RS256')) continue;
    try {
      const key = createPublicKey({ key: { kty, n, e }, format: 'jwk' });
      if ((key.asymmetricKeyDetails?.modulusLength ?? 0) >= MIN_MODULUS_BITS) keys.set(kid, key);
    } catch {
      // One malformed entry must not take the others down with it.
    }
  }
  return keys;
}

const shared = new Map<string, ForgeKeySet>();

/** The key set of `url` shared by every verifier in this process: one cache, one fetch at a time. */
export function sharedForgeKeySet(url: string): ForgeKeySet {
  let keySet = shared.get(url);
  if (keySet === undefined) {
    keySet = new ForgeKeySet(url);
    shared.set(url, keySet);
  }
  return keySet;
}
