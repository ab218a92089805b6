import { isDeepStrictEqual } from 'node:util';
import { SecretDecryptionError } from '../errors.js';
import type { Installation, SecretStore } from '../types/store.js';
import { callStore, isSecretStore } from './contract.js';
import { EncryptedStore, type EncryptionKey, encryptionKeys } from './encrypted.js';

export interface ReencryptOptions {
  /** The keys rows may still be under, as `encryptedStore`'s `previousKeys`. */
  previousKeys?: readonly EncryptionKey[] | undefined;
  /** Count what would be rewritten, and write nothing. */
  dryRun?: boolean | undefined;
}

/** What a re-encrypt run found and did; clientKeys only, never a secret. */
export interface ReencryptReport {
  /** Installations listed. */
  listed: number;
  /** Rewritten under the current key (with `dryRun`: that would be). */
  rewritten: number;
  /** Already under the current key, left as they are. */
  current: number;
  /** Written by someone else (a reinstall) between the listing and the rewrite: that write is kept. */
  changed: number;
  /** The clientKeys of rows no listed key opens (or that were altered), left as they are. */
  unreadable: string[];
  /**
   * Whether each rewrite was a compare-and-set (the store has `replace`): false means a reinstall
   * landing between a row's re-read and its rewrite could have been overwritten.
   */
  atomic: boolean;
}

/**
 * Rewrites every installation of `store` (the backend, not wrapped in `encryptedStore`) under
 * `key`, so previous keys can be retired. Each row is rewritten through the store's own
 * `replace` (a compare-and-set on the row as listed; a change feed sees it), so a reinstall made
 * since is kept; a row already under `key` is left alone, so a second run rewrites nothing. Safe
 * while the add-on serves: every instance reads both keys (see the README's rotation steps). A
 * store without `replace` is re-read and then `set`: a reinstall landing in that round trip is
 * lost, which `report.atomic: false` says.
 */
export async function reencryptStore(
  store: SecretStore,
  key: EncryptionKey,
  options: ReencryptOptions = {},
): Promise<ReencryptReport> {
  if (!isSecretStore(store)) throw new TypeError('reencryptStore: store must be a SecretStore');
  if (typeof store.installations !== 'function') {
    throw new TypeError('reencryptStore: the store cannot list its installations (it has no installations())');
  }
  if (options === null || typeof options !== 'object') throw new TypeError('reencryptStore: options must be an object');
  const dryRun = options.dryRun ?? false;
  if (typeof dryRun !== 'boolean') throw new TypeError('reencryptStore: options.dryRun must be a boolean');
  const encrypted = new EncryptedStore(store, encryptionKeys(key, options.previousKeys, 'reencryptStore'), false);
  const report: ReencryptReport = {
    listed: 0,
    rewritten: 0,
    current: 0,
    changed: 0,
    unreadable: [],
    atomic: typeof store.replace === 'function',
  };

  for await (const row of store.installations()) {
    report.listed++;
    let opened: { installation: Installation; keyIndex: number };
    try {
      opened = encrypted.openRecord(row, row.clientKey);
    } catch (error) {
      if (!(error instanceof SecretDecryptionError)) throw error;
      report.unreadable.push(row.clientKey);
      continue;
    }
    // A v1 record that carries an installationId is rewritten too: the write binds the id (v2).
    const unbound = typeof row.installationId === 'string' && String(row.sharedSecret).startsWith('enc:v1:');
    if (opened.keyIndex === 0 && !unbound) {
      report.current++;
      continue;
    }
    if (!dryRun) {
      const sealed = encrypted.sealRecord(opened.installation, 'reencryptStore');
      if (typeof store.replace === 'function') {
        // Compare-and-set on the row as listed: a reinstall written since (under the current key)
        // makes the backend refuse, and it is kept.
        if (!(await callStore(async () => (await store.replace?.(row, sealed)) === true))) {
          report.changed++;
          continue;
        }
      } else {
        // A store without replace: this re-read narrows the race with a reinstall to one round
        // trip, but a reinstall landing inside it is overwritten with the old secret.
        const latest = await callStore(() => store.get(row.clientKey));
        if (latest === undefined || !isDeepStrictEqual({ ...latest, clientKey: row.clientKey }, row)) {
          report.changed++;
          continue;
        }
        await callStore(() => store.set(sealed));
      }
    }
    report.rewritten++;
  }
  return report;
}
