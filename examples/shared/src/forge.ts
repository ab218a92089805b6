import type { ConnectAuth, ForgeAuth } from '@connect-jwt/core';

/** The Forge side of an example (Connect on Forge): set FORGE_APP_ID to turn it on. */
export interface ForgeSettings {
  /** The app id from manifest.yml (`app.id`), as an ARI or a bare uuid. */
  appId: string;
  /** Default Forge's JWKS; tests pass a fake Forge's. */
  jwksUrl?: string | undefined;
}

/**
 * What `/api/context` answers for either kind of caller: the Connect iframe's context token or a
 * Forge UI's `invokeRemote` (the same route, told apart by the auth scheme). Narrowing on `kind`
 * picks the fields each kind has.
 */
export function describeCaller(auth: ConnectAuth | ForgeAuth): Record<string, unknown> {
  if (auth.kind === 'forge') {
    return {
      kind: 'forge',
      installationId: auth.installationId,
      // The Connect installation of the same site, found by the installationId of `installed`.
      clientKey: auth.installation?.clientKey ?? null,
      accountId: auth.accountId ?? null,
      context: auth.context,
    };
  }
  return { kind: 'connect', clientKey: auth.clientKey, accountId: auth.accountId, context: auth.context };
}

/** What the Forge trigger endpoint answers: the event it got, for which installation. */
export function forgeEventAnswer(auth: ConnectAuth | ForgeAuth, body: unknown): Record<string, unknown> {
  const event = (body as { eventType?: unknown } | null)?.eventType;
  if (auth.kind !== 'forge') return { event: null };
  return {
    event: typeof event === 'string' ? event : null,
    installationId: auth.installationId,
    clientKey: auth.installation?.clientKey ?? null,
    environment: auth.environment.type,
  };
}
