import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { type ErrorResponse, toErrorResponse } from '../adapter/error-response.js';
import { InvalidInstallError, isConnectJwtError, StoreUnavailableError } from '../errors.js';
import type { ConnectRequest } from '../request/types.js';
import type { Installation } from '../store/types.js';
import { type LifecycleEvent, readInstallPayload } from './install-payload.js';
import { verifyInstallToken } from './install-token.js';
import { readJsonBody } from './json-body.js';
import { createInstallKeyProvider } from './key-provider.js';
import { type LifecycleOptions, validateLifecycleOptions } from './options.js';

/** What an adapter calls for the two lifecycle routes; the request `body` is the parsed JSON. */
export interface LifecycleHandler {
  readonly installedPath: string;
  readonly uninstalledPath: string;
  /** Largest body the adapter should read, in bytes. */
  readonly maxBodyBytes: number;
  /** Verifies a signed install and upserts the installation; returns what was stored. */
  installed(request: ConnectRequest): Promise<Installation>;
  /** Verifies a signed uninstall and deletes the installation. */
  uninstalled(request: ConnectRequest): Promise<void>;
  /** Which lifecycle route a request is for, if any (for adapters that route by hand). */
  routeOf(method: string, path: string): LifecycleEvent | undefined;
  /**
   * One callback end to end, for adapters: reads the JSON body from the Node stream, verifies,
   * writes, and says what to answer (204, or the error's JSON). Errors that are not a
   * ConnectJwtError (a throwing hook) are rethrown for the framework's error handling.
   */
  respond(event: LifecycleEvent, request: LifecycleHttpRequest): Promise<LifecycleAnswer>;
}

/** The raw lifecycle request as an adapter has it. */
export interface LifecycleHttpRequest {
  method: string;
  /** The raw request target (Express `originalUrl`, Koa `originalUrl`, Fastify `url`). */
  url: string;
  /** The Node request stream the JSON body is read from. */
  stream: Readable & { headers: IncomingHttpHeaders };
  /** A body an app-wide parser already produced, if any. */
  parsedBody?: unknown;
}

/** What the adapter sends: `body` undefined means an empty 204. */
export interface LifecycleAnswer {
  status: number;
  headers: Record<string, string>;
  body?: ErrorResponse['body'];
}

/**
 * Validates the options once (TypeError naming the option) and returns the two lifecycle
 * operations. Every check (signature, claims, body, iss = clientKey) passes before the
 * store is touched, so a forged or broken callback can never plant or replace a secret.
 */
export function createLifecycleHandler(options: LifecycleOptions, where = 'createLifecycleHandler'): LifecycleHandler {
  const resolved = validateLifecycleOptions(options, where);
  const keys = createInstallKeyProvider({
    keyServerUrl: resolved.keyServerUrl,
    timeoutMs: resolved.keyFetchTimeoutMs,
    ttlMs: resolved.keyCacheTtlMs,
    maxEntries: resolved.keyCacheMaxEntries,
  });

  const authenticate = async (request: ConnectRequest, event: LifecycleEvent): Promise<Installation> => {
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
    return installation;
  };

  const installed = async (request: ConnectRequest): Promise<Installation> => {
    const installation = await authenticate(request, 'installed');
    await useStore(() => resolved.store().set(installation));
    await resolved.onInstalled?.({ ...installation });
    return installation;
  };

  const uninstalled = async (request: ConnectRequest): Promise<void> => {
    const { clientKey } = await authenticate(request, 'uninstalled');
    const store = resolved.store();
    const existing = await useStore(() => store.get(clientKey));
    if (existing === undefined || existing === null) {
      throw new InvalidInstallError('the uninstall names an installation this add-on does not know');
    }
    await useStore(() => store.delete(clientKey));
    await resolved.onUninstalled?.(clientKey);
  };

  return {
    installedPath: resolved.installedPath,
    uninstalledPath: resolved.uninstalledPath,
    maxBodyBytes: resolved.maxBodyBytes,

    installed,
    uninstalled,

    async respond(event, request) {
      try {
        const body = await readJsonBody(request.stream, {
          maxBytes: resolved.maxBodyBytes,
          parsedBody: request.parsedBody,
        });
        const connectRequest: ConnectRequest = {
          method: request.method,
          url: request.url,
          headers: request.stream.headers,
          body,
        };
        await (event === 'installed' ? installed(connectRequest) : uninstalled(connectRequest));
        return { status: 204, headers: {} };
      } catch (error) {
        if (!isConnectJwtError(error)) throw error;
        return toErrorResponse(error);
      }
    },

    routeOf(method, path) {
      if (method.toUpperCase() !== 'POST') return undefined;
      if (path === resolved.installedPath) return 'installed';
      if (path === resolved.uninstalledPath) return 'uninstalled';
      return undefined;
    },
  };
}

async function useStore<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (cause) {
    if (cause instanceof StoreUnavailableError) throw cause;
    throw new StoreUnavailableError('the secret store could not be reached', { cause });
  }
}
