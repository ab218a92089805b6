import type { SecretStore } from '@connect-jwt/core';
import type { RunningAddon, ServeOptions } from '@connect-jwt/testing';
import type { ForgeSettings } from './forge.js';
import { openStore } from './store.js';

/** What every example's `createApp` takes. */
export interface AddonOptions {
  /** The add-on's public base URL: the descriptor's `baseUrl` and the accepted install `aud`. */
  baseUrl: string;
  store: SecretStore;
  /** Where install-token keys are fetched; default Atlassian's. A fake product passes its own. */
  keyServerUrl?: string | undefined;
  /** Connect on Forge: the app's Forge settings. Without them the add-on is Connect only. */
  forge?: ForgeSettings | undefined;
  /** Where user tokens come from (acting as a user); default Atlassian's. A fake product passes its own. */
  authorizationServerUrl?: string | undefined;
}

/** What every example's `startAddon` takes: where to listen, and the app's options. */
export type StartOptions = ServeOptions & Omit<AddonOptions, 'baseUrl'>;

/**
 * The `start` script of every example: reads PORT, HOST, BASE_URL, KEY_SERVER_URL, AUTHORIZATION_SERVER_URL and the store
 * URLs from the environment, serves the add-on and says where its descriptor is.
 */
export async function runFromEnv(
  name: string,
  startAddon: (options: StartOptions) => Promise<RunningAddon>,
): Promise<RunningAddon> {
  const env = process.env;
  const port = env.PORT ? Number(env.PORT) : 3000;
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new TypeError(`PORT must be a port number: ${env.PORT}`);
  const { store, description } = await openStore({ env });
  let addon: RunningAddon;
  try {
    addon = await startAddon({
      port,
      store,
      ...(env.HOST && { host: env.HOST }),
      ...(env.BASE_URL && { baseUrl: env.BASE_URL }),
      ...(env.KEY_SERVER_URL && { keyServerUrl: env.KEY_SERVER_URL }),
      ...(env.AUTHORIZATION_SERVER_URL && { authorizationServerUrl: env.AUTHORIZATION_SERVER_URL }),
      ...(env.FORGE_APP_ID && { forge: { appId: env.FORGE_APP_ID, jwksUrl: env.FORGE_JWKS_URL || undefined } }),
    });
  } catch (error) {
    await store.close?.();
    if ((error as { code?: string }).code === 'EADDRINUSE') {
      console.error(`${name}: port ${port} is in use; set PORT to another one (PORT=3001 npm start)`);
      process.exit(1);
    }
    throw error;
  }
  console.log(`${name} listening on ${addon.url} (store: ${description})`);
  console.log(`descriptor: ${addon.baseUrl}/atlassian-connect.json`);
  console.log(
    env.FORGE_APP_ID
      ? `Forge remote on: POST ${addon.baseUrl}/forge/events takes Forge Invocation Tokens for ${env.FORGE_APP_ID}`
      : 'Forge remote off (set FORGE_APP_ID to the app id of manifest.yml to turn it on)',
  );
  const stop = () => {
    addon
      .close()
      .then(() => store.close?.())
      .then(
        () => process.exit(0),
        () => process.exit(1),
      );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return addon;
}
