import { type CryptoKey, importSPKI } from 'jose';
import { InvalidInstallError, StoreUnavailableError } from '../errors.js';
import { Cache } from '../lib/cache.js';
import { readBoundedText } from '../lib/read-bounded.js';

export interface InstallKeyProviderOptions {
  /** Keys are fetched from `${keyServerUrl}/${kid}` (no trailing `/`). */
  keyServerUrl: string;
  timeoutMs: number;
  ttlMs: number;
  maxEntries: number;
  /** How long a kid the key server said it does not have is answered 401 without asking again. */
  missingKeyTtlMs: number;
  /** Most key fetches started in any 60 seconds; past it, 503 with Retry-After. */
  maxFetchesPerMinute: number;
  /** Most key fetches waiting for the server at once; past it, 503 with Retry-After. */
  maxFetchesInFlight: number;
}

/** Fetches and caches the RSA public keys that sign install tokens, by `kid`. */
export interface InstallKeyProvider {
  /** The key for `kid`; InvalidInstallError (401) for a bad or unknown kid, StoreUnavailableError (503) when the key server fails. */
  getKey(kid: unknown): Promise<CryptoKey>;
}

// The kid goes into a URL path: a safe charset and no `..` stop a token from steering the
// fetch to another path (`../../evil`), another host (`@evil`, `//evil`) or a query.
const SAFE_KID = /^[A-Za-z0-9._-]{1,128}$/;
// A PEM public key is well under 2 KiB; a bound stops a hostile or broken server filling memory.
const MAX_KEY_RESPONSE_BYTES = 16 * 1024;

export function isSafeKid(kid: unknown): kid is string {
  return typeof kid === 'string' && SAFE_KID.test(kid) && !kid.includes('..');
}

const MINUTE_MS = 60_000;
// Bounds the memory of forged kids; beyond it the oldest are forgotten (and cost a fetch again).
const MAX_MISSING_KIDS = 10_000;

export function createInstallKeyProvider(options: InstallKeyProviderOptions): InstallKeyProvider {
  const cache = new Cache<string, CryptoKey>({ max: options.maxEntries, ttlMs: options.ttlMs });
  // Concurrent installs signed with one new key share one fetch instead of stampeding the server.
  const inFlight = new Map<string, Promise<CryptoKey>>();
  // Forged installs with random kids would otherwise buy one key-server fetch each: a kid the
  // server does not have is remembered for a while, and new fetches have a budget.
  const missing = new Cache<string, true>({ max: MAX_MISSING_KIDS, ttlMs: options.missingKeyTtlMs });
  const fetchStarts: number[] = [];

  const assertBudget = (now: number) => {
    while (fetchStarts.length > 0 && (fetchStarts[0] as number) <= now - MINUTE_MS) fetchStarts.shift();
    if (inFlight.size >= options.maxFetchesInFlight) {
      throw new StoreUnavailableError('too many install keys are being fetched at once; try again shortly', {
        retryAfter: 1,
      });
    }
    if (fetchStarts.length >= options.maxFetchesPerMinute) {
      const retryAfter = Math.max(1, Math.ceil(((fetchStarts[0] as number) + MINUTE_MS - now) / 1000));
      throw new StoreUnavailableError('the install key fetch budget for this minute is spent; try again later', {
        retryAfter,
      });
    }
    fetchStarts.push(now);
  };

  return {
    async getKey(kid) {
      if (!isSafeKid(kid)) {
        throw new InvalidInstallError(
          'the install token "kid" header is missing or has characters a key id cannot have',
        );
      }
      const cached = cache.get(kid);
      if (cached !== undefined) return cached;
      let pending = inFlight.get(kid);
      if (pending === undefined) {
        if (missing.get(kid) !== undefined) {
          throw new InvalidInstallError('the key server has no public key for this install token');
        }
        assertBudget(Date.now());
        pending = fetchKey(`${options.keyServerUrl}/${kid}`, options.timeoutMs).then(
          (key) => {
            inFlight.delete(kid);
            cache.set(kid, key);
            return key;
          },
          (error: unknown) => {
            inFlight.delete(kid);
            // Only the server's own "no such key" (a 4xx) is remembered: an outage is not an answer.
            if (error instanceof InvalidInstallError && options.missingKeyTtlMs > 0) missing.set(kid, true);
            throw error;
          },
        );
        inFlight.set(kid, pending);
      }
      return pending;
    },
  };
}

async function fetchKey(url: string, timeoutMs: number): Promise<CryptoKey> {
  let response: Response;
  let text: string;
  try {
    // No redirects: the key must come from the configured server, not wherever it points.
    response = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(timeoutMs) });
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => {});
      if (response.status >= 400 && response.status < 500) {
        // The server answered that it has no such key: the token was not signed by Atlassian.
        throw new InvalidInstallError(
          `the key server has no public key for this install token (HTTP ${response.status})`,
        );
      }
      throw new StoreUnavailableError(`the install key server answered HTTP ${response.status}`);
    }
    text = await readBoundedText(
      response,
      MAX_KEY_RESPONSE_BYTES,
      () => new StoreUnavailableError('the install key server answered with more than a public key'),
    );
  } catch (cause) {
    if (cause instanceof InvalidInstallError || cause instanceof StoreUnavailableError) throw cause;
    throw new StoreUnavailableError('the install key server could not be reached in time', { cause });
  }
  if (!text.includes('-----BEGIN PUBLIC KEY-----')) {
    throw new StoreUnavailableError('the install key server did not answer with a PEM public key');
  }
  try {
    return await importSPKI(text.trim(), 'RS256');
  } catch (cause) {
    throw new StoreUnavailableError('the install key server answered with a key that cannot be used for RS256', {
      cause,
    });
  }
}
