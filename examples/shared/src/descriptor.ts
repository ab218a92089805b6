import { readFileSync } from 'node:fs';
import { type ConnectDescriptor, connectDescriptor } from '@connect-jwt/core';

/** What tells the example add-ons apart in a product: their key and their name. */
export interface AddonIdentity {
  key: string;
  name: string;
}

// The three examples serve the same routes, so they share one descriptor. It keeps `{{baseUrl}}`
// because the URL the product must call depends on where the add-on runs (a tunnel, a port).
const EXAMPLE_TEMPLATE = readFileSync(new URL('../atlassian-connect.json', import.meta.url), 'utf8');

/** The examples' shared descriptor, for the add-on named by `identity`, checked by core. */
export function exampleDescriptor(baseUrl: string, identity: AddonIdentity): ConnectDescriptor {
  return connectDescriptor(EXAMPLE_TEMPLATE, { baseUrl, appKey: identity.key, values: { name: identity.name } });
}
