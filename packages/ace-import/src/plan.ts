import { type Installation, InvalidInstallError, type SecretStore, toInstallation } from '@connect-jwt/core';
import type { AceInstallationLink, AceSnapshot } from './sources/types.js';

/** What the import does with one ACE record. */
export type PlanEntry =
  | { action: 'import' | 'overwrite'; clientKey: string; installation: Installation }
  | { action: 'unchanged' | 'conflict'; clientKey: string }
  | { action: 'skip'; clientKey: string | null; reason: string };

export interface ImportPlan {
  entries: PlanEntry[];
  /** Things worth knowing that change nothing: duplicates resolved, Forge links left out. */
  notes: string[];
}

export interface PlanOptions {
  /** Replace a target record that differs from ACE's; default false (listed as a conflict). */
  overwrite?: boolean;
}

const REQUIRED = ['clientKey', 'sharedSecret', 'baseUrl'] as const;

/** JSON with sorted keys, so two records with the same fields compare equal whatever their order. */
function canonical(record: Record<string, unknown>): string {
  return JSON.stringify(record, Object.keys(record).sort());
}

function linksByClientKey(links: AceInstallationLink[]): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const { installationId, clientKey } of links) {
    const ids = map.get(clientKey) ?? [];
    ids.push(installationId);
    map.set(clientKey, ids);
  }
  return map;
}

/**
 * Decides, record by record, what an import of `snapshot` into `target` does. Reads the target;
 * writes nothing. A record is kept only with the fields connect-jwt's own install keeps.
 */
export async function planImport(
  snapshot: AceSnapshot,
  target: Pick<SecretStore, 'get'>,
  options: PlanOptions = {},
): Promise<ImportPlan> {
  const entries: PlanEntry[] = [];
  const notes: string[] = [];
  const links = linksByClientKey(snapshot.links);
  const seen = new Set<string>();

  for (const { clientKey, value, rows } of snapshot.clientInfos) {
    if (clientKey === null || clientKey === '') {
      entries.push({ action: 'skip', clientKey: null, reason: 'an ACE record has no clientKey' });
      continue;
    }
    seen.add(clientKey);
    if (rows > 1) {
      notes.push(`${showKey(clientKey)}: ${rows} clientInfo rows in ACE; took the one ACE's own get() returns`);
    }
    let installation: Installation;
    try {
      installation = toInstallation(value, { required: REQUIRED, what: 'clientInfo' });
    } catch (error) {
      if (!(error instanceof InvalidInstallError)) throw error;
      entries.push({ action: 'skip', clientKey, reason: error.message });
      continue;
    }
    if (installation.clientKey !== clientKey) {
      entries.push({
        action: 'skip',
        clientKey,
        reason: 'clientInfo.clientKey differs from the clientKey ACE files the record under',
      });
      continue;
    }
    const linked = links.get(clientKey) ?? [];
    if (installation.installationId === undefined && linked.length === 1) {
      installation.installationId = linked[0];
    } else if (installation.installationId === undefined && linked.length > 1) {
      notes.push(
        `${showKey(clientKey)}: ${linked.length} Forge installations link to it in ACE; installationId left unset`,
      );
    }

    const existing = await target.get(clientKey);
    if (existing === undefined) {
      entries.push({ action: 'import', clientKey, installation });
    } else if (canonical(existing) === canonical(installation)) {
      entries.push({ action: 'unchanged', clientKey });
    } else if (options.overwrite) {
      entries.push({ action: 'overwrite', clientKey, installation });
    } else {
      entries.push({ action: 'conflict', clientKey });
    }
  }

  const orphans = snapshot.links.filter((link) => !seen.has(link.clientKey)).length;
  if (orphans > 0) notes.push(`${orphans} ACE Forge link(s) point to no clientInfo record: nothing to attach them to`);
  return { entries, notes };
}

/** A clientKey as printed: as is when plain, JSON-quoted when it holds anything a terminal would act on. */
export function showKey(clientKey: string | null): string {
  if (clientKey === null) return '(none)';
  return /^[\x21-\x7e]+$/.test(clientKey) ? clientKey : JSON.stringify(clientKey);
}
