// The reliability run's global setup: a fresh directory where each test records its row, and on
// teardown the rows rendered into RELIABILITY_DOC (default .vitest-results/reliability.md;
// `npm run test:load` writes docs/reliability.md).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { renderReport } from './report.ts';
import { settings } from './settings.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    reliabilityResultsDir: string;
  }
}

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

export default function setup(project: TestProject) {
  const resultsDir = mkdtempSync(join(tmpdir(), 'connect-jwt-reliability-'));
  project.provide('reliabilityResultsDir', resultsDir);
  return () => {
    const doc = resolve(root, process.env.RELIABILITY_DOC ?? '.vitest-results/reliability.md');
    try {
      const markdown = renderReport(resultsDir, {
        profile: settings.profile,
        command: settings.profile === 'full' ? 'npm run test:load' : 'npm test',
        settings: { ...settings },
      });
      mkdirSync(dirname(doc), { recursive: true });
      writeFileSync(doc, markdown);
      // The per-framework figures again, together, at the end of the run's output.
      const figures = markdown.split('## Load figures')[1]?.split('\n## ')[0]?.trim();
      if (figures) console.log(`\nLoad figures (${settings.profile} profile):\n${figures}`);
      console.log(`reliability report: ${doc}`);
    } finally {
      rmSync(resultsDir, { recursive: true, force: true });
    }
  };
}
