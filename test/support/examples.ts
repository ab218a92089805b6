import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunningAddon, StartOptions } from '@connect-jwt/example-shared';
import { SqliteStore } from '@connect-jwt/store-sqlite';
import { createFakeForge, createFakeProduct } from '@connect-jwt/testing';
import { startAddon as startExpressAddon } from '../../examples/express-addon/src/app.js';
import { startAddon as startFastifyAddon } from '../../examples/fastify-addon/src/app.js';
import { startAddon as startKoaAddon } from '../../examples/koa-addon/src/app.js';

export type StartExample = (options: StartOptions) => Promise<RunningAddon>;

/** The three example add-ons: name, add-on key, and how to start one. */
export const EXAMPLES: [string, string, StartExample][] = [
  ['express', 'connect-jwt-express-example', startExpressAddon],
  ['koa', 'connect-jwt-koa-example', startKoaAddon],
  ['fastify', 'connect-jwt-fastify-example', startFastifyAddon],
];

/**
 * A fake product (and, `withForge`, a fake Forge whose app id the add-on is configured with) and an example add-on on a port of its own, keeping installations in a SQLite
 * file in a temp dir (reachable from a loopback-only namespace too); `cleanUps` gets what to close.
 */
export async function startExampleWithProduct(
  start: StartExample,
  productType: 'jira' | 'confluence',
  cleanUps: (() => Promise<void> | void)[],
  withForge = false,
) {
  const forge = withForge ? await createFakeForge() : undefined;
  if (forge) cleanUps.push(() => forge.close());
  const product = await createFakeProduct({ productType });
  cleanUps.push(() => product.close());
  const dataDir = mkdtempSync(join(tmpdir(), 'connect-jwt-example-'));
  cleanUps.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const store = new SqliteStore(join(dataDir, 'installations.sqlite'));
  cleanUps.push(() => store.close());
  const addon = await start({
    port: 0,
    host: '127.0.0.1',
    store,
    keyServerUrl: product.keyServerUrl,
    authorizationServerUrl: product.authorizationServerUrl,
    ...(forge && { forge: { appId: forge.appId, jwksUrl: forge.jwksUrl } }),
  });
  cleanUps.push(() => addon.close());
  return { product, addon, store, forge };
}
