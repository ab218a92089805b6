// Forge names apps and installations by ARI (`ari:cloud:ecosystem::app/<uuid>`), while manifests,
// the CLI and older payloads often carry the bare uuid: both spellings name one thing.

const APP_ARI_PREFIX = 'ari:cloud:ecosystem::app/';
const INSTALLATION_ARI_PREFIX = 'ari:cloud:ecosystem::installation/';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An app id as its ARI: a bare uuid gains the app prefix, anything else is kept as it is. */
export function toAppAri(appId: string): string {
  return UUID.test(appId) ? `${APP_ARI_PREFIX}${appId.toLowerCase()}` : appId;
}

/**
 * The key an installation id is stored and looked up under: the bare uuid, lower-cased, for the
 * ARI and the uuid alike (any other shape is kept as it is, so it still only matches itself).
 */
export function bareInstallationId(installationId: string): string {
  const bare = installationId.startsWith(INSTALLATION_ARI_PREFIX)
    ? installationId.slice(INSTALLATION_ARI_PREFIX.length)
    : installationId;
  return UUID.test(bare) ? bare.toLowerCase() : installationId;
}

/** Every spelling a store may hold for this installation id (bare uuid and ARI, as received). */
export function installationIdSpellings(installationId: string): string[] {
  const key = bareInstallationId(installationId);
  if (key === installationId && !UUID.test(key)) return [installationId];
  return [...new Set([key, `${INSTALLATION_ARI_PREFIX}${key}`, installationId])];
}

/** True when two installation ids (ARI or bare uuid) name the same installation. */
export function sameInstallation(a: unknown, b: string): boolean {
  return typeof a === 'string' && bareInstallationId(a) === bareInstallationId(b);
}
