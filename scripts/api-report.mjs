#!/usr/bin/env node
// `npm run api`: rewrites every package's API report (etc/*.api.md) from the built .d.ts.
// `--check` compares instead, as the release run does. Build first (`npx tsc -b`).
import { apiReports } from './lib/api-report.mjs';

const check = process.argv.includes('--check');
const failures = apiReports({ write: !check });
for (const failure of failures) console.error(failure);
if (failures.length > 0) {
  if (check) console.error('\nrun `npm run api` to rewrite the reports, then review and commit the diff');
  process.exit(1);
}
console.log(check ? 'API reports match' : 'API reports written');
