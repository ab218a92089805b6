// What every store must be, and how its failures surface: written once for every caller.
import { isConnectJwtError, StoreUnavailableError } from '../errors.js';
import type { SecretStore, StoreChangeListener } from '../types/store.js';

/** True when `value` has the three SecretStore operations (get, set, delete). */
export function isSecretStore(value: unknown): value is SecretStore {
  const store = value as Partial<SecretStore> | null | undefined;
  return (
    store !== null &&
    typeof store === 'object' &&
    typeof store.get === 'function' &&
    typeof store.set === 'function' &&
    typeof store.delete === 'function'
  );
}

/**
 * What a store threw, as the 503 the caller reports: a StoreUnavailableError passes unchanged
 * (one from another copy of this library too); anything else (a driver's error, a bug in a
 * custom store) is wrapped with its cause kept, so it is never mistaken for a bad token. The one
 * wrap for callers of a store and for the stores themselves; `message` says what failed, without
 * the driver's text (which may hold a host or a password).
 */
export function storeFailure(cause: unknown, message = 'the secret store could not be reached'): StoreUnavailableError {
  if (cause instanceof StoreUnavailableError) return cause;
  if (isConnectJwtError(cause) && cause.code === StoreUnavailableError.code) return cause as StoreUnavailableError;
  return new StoreUnavailableError(message, { cause });
}

/** One store operation; whatever it throws surfaces as a storeFailure. */
export async function callStore<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (cause) {
    throw storeFailure(cause);
  }
}

/**
 * A wrapper's `watch`: the wrapped store's own feed, handed to another subscriber. A store without
 * one is a TypeError (a wiring mistake); its feed failing to start is a storeFailure.
 */
export async function watchWrapped(inner: SecretStore, listener: StoreChangeListener): Promise<() => Promise<void>> {
  if (typeof inner.watch !== 'function') throw new TypeError('watch: the wrapped store has no change feed');
  const watch = inner.watch.bind(inner);
  return callStore(() => watch(listener));
}

// The optional SecretStore members a wrapper passes through.
const OPTIONAL_MEMBERS = [
  'getByInstallationId',
  'replace',
  'remember',
  'recall',
  'forget',
  'watch',
  'installations',
] as const;

/**
 * Takes off `wrapper` each optional member `inner` lacks, so a caller can tell what the backend
 * can do (a Forge route refuses a store without the installationId lookup at setup; a shared
 * token cache one without remember; cachedStore keeps its ttl without a feed).
 */
export function withoutMissingMembers<T extends SecretStore>(wrapper: T, inner: SecretStore): T {
  for (const name of OPTIONAL_MEMBERS) {
    if (typeof inner[name] !== 'function') Object.defineProperty(wrapper, name, { value: undefined });
  }
  return wrapper;
}
