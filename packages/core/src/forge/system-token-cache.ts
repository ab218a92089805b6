import { bareInstallationId } from './ari.js';
import type { ForgeAuth } from './types.js';

export interface SystemTokenCacheOptions {
  /** Seconds before a token's `exp` from which it is no longer handed out; default 60. */
  marginSeconds?: number;
  /** Installations kept at most; the oldest entry goes first beyond it. Default 10 000. */
  maxEntries?: number;
}

/** The latest system token of each installation, for work done outside a request (scheduled jobs). */
export interface SystemTokenCache {
  /** Keeps `auth.systemToken` for its installation, when it has one with a readable `exp`. */
  remember(auth: Pick<ForgeAuth, 'installationId' | 'systemToken'>): void;
  /** A system token for the installation (ARI or bare uuid) that is still valid, or undefined. */
  get(installationId: string): string | undefined;
  delete(installationId: string): void;
  clear(): void;
  readonly size: number;
}

interface Entry {
  token: string;
  /** Seconds since the epoch. */
  exp: number;
}

/**
 * Forge sends a system token (valid 2–4 h) with each invocation; a job that runs later reuses the
 * newest one. Entries end at their `exp` (less a margin, so a call made just before does not fail
 * on the way): a cache that kept expired tokens would hand jobs credentials the product refuses.
 */
export function createSystemTokenCache(options: SystemTokenCacheOptions = {}): SystemTokenCache {
  const margin = options.marginSeconds ?? 60;
  const maxEntries = options.maxEntries ?? 10_000;
  if (typeof margin !== 'number' || !Number.isFinite(margin) || margin < 0) {
    throw new TypeError('createSystemTokenCache: options.marginSeconds must be a non-negative number');
  }
  if (!Number.isInteger(maxEntries) || maxEntries < 1) {
    throw new TypeError('createSystemTokenCache: options.maxEntries must be a positive integer');
  }
  const entries = new Map<string, Entry>();
  const usable = (entry: Entry) => entry.exp - margin > Date.now() / 1000;

  return {
    remember(auth) {
      const token = auth.systemToken;
      if (typeof token !== 'string' || typeof auth.installationId !== 'string') return;
      const exp = expiryOf(token);
      if (exp === undefined) return;
      const key = bareInstallationId(auth.installationId);
      const current = entries.get(key);
      // A late request carrying an older token must not replace a fresher one.
      if (current !== undefined && usable(current) && current.exp >= exp) return;
      const entry = { token, exp };
      if (!usable(entry)) return;
      entries.delete(key);
      entries.set(key, entry);
      if (entries.size > maxEntries) {
        const oldest = entries.keys().next().value;
        if (oldest !== undefined) entries.delete(oldest);
      }
    },
    get(installationId) {
      const key = bareInstallationId(installationId);
      const entry = entries.get(key);
      if (entry === undefined) return undefined;
      if (usable(entry)) return entry.token;
      entries.delete(key);
      return undefined;
    },
    delete(installationId) {
      entries.delete(bareInstallationId(installationId));
    },
    clear() {
      entries.clear();
    },
    get size() {
      return entries.size;
    },
  };
}

/** The `exp` of a JWT-shaped token, read without verifying it (it is Forge's to check, only its lifetime is ours). */
function expiryOf(token: string): number | undefined {
  const first = token.indexOf('.');
  const second = token.indexOf('.', first + 1);
  if (first === -1 || second === -1) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(token.slice(first + 1, second), 'base64url').toString('utf8'));
    const exp = (claims as { exp?: unknown } | null)?.exp;
    return typeof exp === 'number' && Number.isFinite(exp) ? exp : undefined;
  } catch {
    return undefined;
  }
}
