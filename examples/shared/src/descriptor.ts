import { readFileSync } from 'node:fs';

/** The parts of an `atlassian-connect.json` the add-on itself reads. */
export interface Descriptor {
  key: string;
  name: string;
  baseUrl: string;
  lifecycle?: { installed?: string; uninstalled?: string };
  [field: string]: unknown;
}

/** What tells the example add-ons apart in a product: their key and their name. */
export interface AddonIdentity {
  key: string;
  name: string;
}

// The three examples serve the same routes, so they share one descriptor.
const EXAMPLE_DESCRIPTOR = new URL('../atlassian-connect.json', import.meta.url);

/**
 * A descriptor with its `baseUrl` filled in. The file keeps `{{baseUrl}}` because the URL the
 * product must call depends on where the add-on runs (a tunnel, a port, a host).
 */
export function loadDescriptor(file: URL | string, baseUrl: string, identity?: AddonIdentity): Descriptor {
  const descriptor = JSON.parse(readFileSync(file, 'utf8')) as Descriptor;
  const filled = { ...descriptor, ...identity, baseUrl: baseUrl.replace(/\/+$/, '') };
  if (typeof filled.key !== 'string' || filled.key === '' || filled.key.includes('{{')) {
    throw new TypeError(`loadDescriptor: ${String(file)} has no "key"`);
  }
  return filled;
}

/** The examples' shared descriptor, for the add-on named by `identity`. */
export function exampleDescriptor(baseUrl: string, identity: AddonIdentity): Descriptor {
  return loadDescriptor(EXAMPLE_DESCRIPTOR, baseUrl, identity);
}
