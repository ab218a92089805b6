import { type PlanEntry, showKey } from './plan.js';
import type { ImportAceReport } from './run.js';

/** How many entries took each action. */
export function countActions(entries: PlanEntry[]): Record<PlanEntry['action'], number> {
  const counts = { import: 0, overwrite: 0, unchanged: 0, conflict: 0, skip: 0 };
  for (const entry of entries) counts[entry.action]++;
  return counts;
}

/**
 * The report as lines for a terminal. Only clientKeys, counts and reasons appear: never a
 * shared secret or any other field of a record, and URLs without their password.
 */
export function formatReport(report: ImportAceReport): string[] {
  const counts = countActions(report.plan.entries);
  const imported = counts.import + counts.overwrite;
  const skipped = counts.skip + counts.conflict;
  const lines = [`import-ace: ${report.from} -> ${report.to}${report.dryRun ? ' (dry run: nothing written)' : ''}`];
  for (const entry of report.plan.entries) {
    if (entry.action === 'skip') lines.push(`skipped   ${showKey(entry.clientKey)}: ${entry.reason}`);
    if (entry.action === 'conflict') {
      lines.push(
        `conflict  ${showKey(entry.clientKey)}: the target holds a different record (reinstalled since?); kept it, --overwrite replaces it`,
      );
    }
    if (entry.action === 'overwrite')
      lines.push(`overwrite ${showKey(entry.clientKey)}: replaced the differing record`);
  }
  for (const note of report.plan.notes) lines.push(`note      ${note}`);
  if (report.plan.entries.length > 0) {
    lines.push(
      'note      ACE keeps a site after it uninstalls, so uninstalled sites are imported too; ' +
        'they stay unused until the site installs again',
    );
  }
  const verb = report.dryRun ? 'would import' : 'imported';
  const detail = [
    counts.overwrite > 0 ? `${counts.overwrite} overwritten` : '',
    counts.conflict > 0 ? `${counts.conflict} conflict${counts.conflict === 1 ? '' : 's'}` : '',
    counts.skip > 0 ? `${counts.skip} invalid` : '',
  ].filter(Boolean);
  lines.push(
    `${verb} ${imported}, unchanged ${counts.unchanged}, skipped ${skipped}${detail.length > 0 ? ` (${detail.join(', ')})` : ''}`,
  );
  return lines;
}
