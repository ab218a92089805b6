import type { AceStore } from './ace-stores.js';
import { installBody, uniqueClientKey } from './ace-stores.js';

/** What `writeAceSites` put in an ACE store, to compare an import with. */
export interface AceSites {
  /** Sites an import brings over, with the install body ACE stored. */
  valid: Record<string, unknown>[];
  /** clientKeys of records an import must skip, with the reason it gives. */
  malformed: { clientKey: string; reason: string }[];
  /** A site whose Forge link sits only in ACE's link table (not in its clientInfo). */
  linkedOnly: { clientKey: string; installationId: string };
  /** Every shared secret written, none of which may ever be printed. */
  secrets: string[];
}

/**
 * Installs sites through ACE's own adapter calls, as ACE's /installed handler does
 * (`saveInstallation(body, clientKey)`), plus what real ACE stores also hold: Forge links, the
 * add-on's own per-site keys, and records an import cannot use.
 */
export async function writeAceSites(store: AceStore, label: string): Promise<AceSites> {
  const jira = installBody(uniqueClientKey(`${label}-jira`), { oauthClientId: 'oauth-client-1' });
  const confluenceKey = uniqueClientKey(`${label}-wiki`);
  const confluence = installBody(confluenceKey, {
    productType: 'confluence',
    baseUrl: `https://${confluenceKey}.atlassian.net/wiki`,
    installationId: `ari:cloud:ecosystem::installation/${confluenceKey}`,
    // Not a field connect-jwt's install keeps: stays behind.
    capabilities: { forge: true },
  });
  const linkedKey = uniqueClientKey(`${label}-linked`);
  const linked = installBody(linkedKey);
  const linkedOnly = { clientKey: linkedKey, installationId: `ari:cloud:ecosystem::installation/${linkedKey}` };
  for (const body of [jira, confluence, linked]) await store.saveInstallation(body, body.clientKey as string);
  await store.associateInstallations(linkedOnly.installationId, linkedKey);
  // The add-on's own per-site data in the same table / keyspace: never an installation.
  await store.set('lastSync', { at: '2026-11-30' }, jira.clientKey as string);

  const noSecret = uniqueClientKey(`${label}-nosecret`);
  const noBaseUrl = uniqueClientKey(`${label}-nobaseurl`);
  const notJson = uniqueClientKey(`${label}-notjson`);
  const badUrl = uniqueClientKey(`${label}-badurl`);
  const noSecretBody = installBody(noSecret);
  delete noSecretBody.sharedSecret;
  const noBaseUrlBody = installBody(noBaseUrl);
  delete noBaseUrlBody.baseUrl;
  const badUrlBody = installBody(badUrl, { baseUrl: 'javascript:alert(1)' });
  await store.set('clientInfo', noSecretBody, noSecret);
  await store.set('clientInfo', noBaseUrlBody, noBaseUrl);
  await store.set('clientInfo', 'this is not JSON', notJson);
  await store.set('clientInfo', badUrlBody, badUrl);

  return {
    valid: [jira, confluence, linked],
    malformed: [
      { clientKey: noSecret, reason: 'clientInfo has no "sharedSecret"' },
      { clientKey: noBaseUrl, reason: 'clientInfo has no "baseUrl"' },
      { clientKey: notJson, reason: 'clientInfo is not a JSON object' },
      { clientKey: badUrl, reason: 'clientInfo baseUrl is not an http(s) URL' },
    ],
    linkedOnly,
    secrets: [jira, confluence, linked, noBaseUrlBody, badUrlBody].map((body) => body.sharedSecret as string),
  };
}

/** The record an import should write for an ACE install body: the fields connect-jwt's install keeps. */
export function expectedInstallation(body: Record<string, unknown>, installationId?: string): Record<string, unknown> {
  const { capabilities: _dropped, ...kept } = body;
  return installationId === undefined ? kept : { ...kept, installationId };
}
