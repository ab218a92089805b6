import { InvalidInstallError } from '../errors.js';
import { sha256Hex } from '../qsh/hash.js';
import { callStore } from '../store/contract.js';
import { rememberOnceIn } from '../store/remember.js';
import type { ConnectRequest } from '../types/request.js';
import type { Installation } from '../types/store.js';
import { type LifecycleEvent, readInstallPayload } from './install-payload.js';
import { type VerifiedInstallToken, verifyInstallToken } from './install-token.js';
import { createInstallKeyProvider } from './key-provider.js';
import { type LifecycleOptions, validateLifecycleOptions } from './options.js';

/** The two lifecycle operations, verified and written; the request `body` is the parsed JSON. */
export interface LifecycleHandler {
  readonly installedPath: string;
  readonly uninstalledPath: string;
  /** Largest body a caller should read, in bytes. */
  readonly maxBodyBytes: number;
  /** Verifies a signed install and upserts the installation; returns what was stored. */
  installed(request: ConnectRequest): Promise<Installation>;
  /** Verifies a signed uninstall and deletes the installation. */
  uninstalled(request: ConnectRequest): Promise<void>;
}

/**
 * Validates the options once (TypeError naming the option) and returns the two lifecycle
 * operations. Every check (signature, claims, body, iss = clientKey) passes before the
 * store is touched, so a forged or broken callback can never plant or replace a secret.
 */
export function createLifecycleHandler(options: LifecycleOptions, caller = 'createLifecycleHandler'): LifecycleHandler {
  const resolved = validateLifecycleOptions(options, caller);
  const keys = createInstallKeyProvider({
    keyServerUrl: resolved.keyServerUrl,
    timeoutMs: resolved.keyFetchTimeoutMs,
    ttlMs: resolved.keyCacheTtlMs,
    maxEntries: resolved.keyCacheMaxEntries,
    missingKeyTtlMs: resolved.missingKeyTtlMs,
    maxFetchesPerMinute: resolved.maxKeyFetchesPerMinute,
    maxFetchesInFlight: resolved.maxKeyFetchesInFlight,
  });

  const authenticate = async (
    request: ConnectRequest,
    event: LifecycleEvent,
  ): Promise<{ installation: Installation; token: VerifiedInstallToken }> => {
    const token = await verifyInstallToken(request, {
      keys,
      audiences: resolved.audiences,
      clockTolerance: resolved.clockTolerance,
    });
    const installation = readInstallPayload(request.body, event);
    // Atlassian signed a callback for `iss`; a body naming another clientKey would let the
    // holder of one valid token overwrite any other installation's secret.
    if (installation.clientKey !== token.clientKey) {
      throw new InvalidInstallError('the lifecycle body clientKey is not the install token issuer');
    }
    return { installation, token };
  };

  // The install token's qsh covers `POST&/installed&` only, not the body: a captured token could
  // carry an attacker's sharedSecret and baseUrl until it expires. So each accepted token is
  // remembered with its body, where the installations live (every instance sees it): the same
  // body again is Atlassian retrying, any other body is refused before anything is written.
  const acceptOnce = async (token: VerifiedInstallToken, body: unknown): Promise<void> => {
    const exp = token.payload.exp as number;
    const ttlMs = Math.max(1000, (exp + resolved.clockTolerance) * 1000 - Date.now());
    const bodyHash = sha256Hex(JSON.stringify(body));
    const held = await callStore(() =>
      rememberOnceIn(resolved.store(), `install-token:${sha256Hex(token.token)}`, bodyHash, ttlMs),
    );
    if (held !== bodyHash) {
      throw new InvalidInstallError('this install token was already accepted with another body');
    }
  };

  const installed = async (request: ConnectRequest): Promise<Installation> => {
    const { installation, token } = await authenticate(request, 'installed');
    await acceptOnce(token, request.body);
    await callStore(() => resolved.store().set(installation));
    await resolved.onInstalled?.({ ...installation });
    return installation;
  };

  const uninstalled = async (request: ConnectRequest): Promise<void> => {
    const { clientKey } = (await authenticate(request, 'uninstalled')).installation;
    const store = resolved.store();
    const existing = await callStore(() => store.get(clientKey));
    if (existing === undefined || existing === null || existing.clientKey !== clientKey) {
      throw new InvalidInstallError('the uninstall names an installation this add-on does not know');
    }
    await callStore(() => store.delete(clientKey));
    await resolved.onUninstalled?.(clientKey);
  };

  return {
    installedPath: resolved.installedPath,
    uninstalledPath: resolved.uninstalledPath,
    maxBodyBytes: resolved.maxBodyBytes,

    installed,
    uninstalled,
  };
}
