import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

// atlassian-connect-express itself, mounted on an Express app as an ACE add-on does (`ace(app)`):
// its descriptor route, its webhook routes, its authenticate() and the session tokens it signs.
const require = createRequire(import.meta.url);
const ace = require('atlassian-connect-express') as AceFactory & {
  store: { register(name: string, factory: () => unknown): void };
};

type AceFactory = (
  app: object,
  opts: { config: Record<string, unknown> },
  logger: Record<string, () => void>,
  fileNames: { descriptorFilename: string; configFileName: string },
) => AceAddon;

/** The parts of ACE's Addon the tests call. */
export interface AceAddon {
  key: string;
  authenticate(skipQsh?: boolean): (req: unknown, res: unknown, next: unknown) => void;
  settings: { saveInstallation(value: unknown, clientKey: string): Promise<unknown> };
}

/** ACE's settings in a Map, with the calls its middleware makes: the store is not what is tested here. */
class AceMapStore {
  readonly #values = new Map<string, unknown>();
  async get(key: string, clientKey: string) {
    return this.#values.get(`${clientKey}:${key}`) ?? null;
  }
  async set(key: string, value: unknown, clientKey: string) {
    this.#values.set(`${clientKey}:${key}`, typeof value === 'string' ? JSON.parse(value) : value);
    return this.get(key, clientKey);
  }
  async saveInstallation(value: unknown, clientKey: string) {
    return this.set('clientInfo', value, clientKey);
  }
  async del(key: string, clientKey: string) {
    this.#values.delete(`${clientKey}:${key}`);
  }
}

ace.store.register('connect-jwt-test-map', () => new AceMapStore());

const quiet = { info() {}, warn() {}, error() {}, debug() {} };

/**
 * `ace(app)` (app: an Express app) with `descriptor` written to `dir`, an in-memory store and no config file. ACE adds
 * its routes on the next tick, as it does in an add-on (after the app's synchronous setup).
 */
export function mountAce(app: object, descriptor: Record<string, unknown>, dir: string): AceAddon {
  const descriptorFilename = join(dir, 'atlassian-connect.json');
  writeFileSync(descriptorFilename, JSON.stringify(descriptor));
  const settings = { store: { adapter: 'connect-jwt-test-map' }, setupInstallRoute: false, validateDescriptor: false };
  const config = { development: settings, test: settings, production: settings };
  return ace(app, { config }, quiet, { descriptorFilename, configFileName: join(dir, 'no-config.json') });
}
