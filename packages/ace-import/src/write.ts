import type { SecretStore } from '@connect-jwt/core';
import type { ImportPlan } from './plan.js';

/**
 * Writes what the plan imports or overwrites, one record at a time, and returns how many were
 * written. Every other entry (unchanged, conflict, skip) is left alone.
 */
export async function writePlan(plan: ImportPlan, target: Pick<SecretStore, 'set'>): Promise<number> {
  let written = 0;
  for (const entry of plan.entries) {
    if (entry.action !== 'import' && entry.action !== 'overwrite') continue;
    await target.set(entry.installation);
    written++;
  }
  return written;
}
