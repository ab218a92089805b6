// Every published entry point's surface, as API Extractor reports it from the built .d.ts, must be
// the one checked in (packages/*/etc/*.api.md): adding, removing or changing an export shows in
// review as a diff of those files. `npm run api` rewrites them all after a deliberate change.
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { apiEntries, apiReports } from '../../scripts/lib/api-report.mjs';

describe('API reports', () => {
  it('has one report per entry point of every public package', () => {
    const entries = apiEntries();
    expect(entries.map((entry) => entry.entry)).toEqual(
      expect.arrayContaining(['@connect-jwt/core', '@connect-jwt/core/adapter', '@connect-jwt/store-url']),
    );
    for (const entry of entries) expect(existsSync(entry.reportFile), entry.reportFile).toBe(true);
  });

  it('matches every public surface to its checked-in report', () => {
    const failures = apiReports();
    expect(failures, 'the public surface changed: run `npm run api`, review the etc/*.api.md diff, commit it').toEqual(
      [],
    );
  }, 600_000);
});
