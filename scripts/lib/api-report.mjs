// The public surface of every published package, as API Extractor reports (`etc/*.api.md` in each
// package): one report per entry of the package's `exports` map, read from the built `.d.ts`.
// `npm run api` rewrites them all; the release run fails when one differs from what is checked in,
// so adding, removing or changing an export is a diff a reviewer reads.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Extractor, ExtractorConfig, ExtractorLogLevel } from '@microsoft/api-extractor';
import { publicPackages } from './pack.mjs';

/** Every entry point of every public package: its `.d.ts` and the report that describes it. */
export function apiEntries() {
  return publicPackages().flatMap(({ dir, manifest }) =>
    Object.entries(manifest.exports ?? {})
      .filter(([subpath, target]) => subpath !== './package.json' && typeof target === 'object')
      .map(([subpath, target]) => {
        const unscoped = manifest.name.replace(/^@[^/]+\//, '');
        const suffix = subpath === '.' ? '' : `-${subpath.slice(2).replaceAll('/', '-')}`;
        return {
          packageName: manifest.name,
          entry: subpath === '.' ? manifest.name : `${manifest.name}/${subpath.slice(2)}`,
          dir,
          typesFile: join(dir, target.types),
          reportName: `${unscoped}${suffix}`,
          reportFile: join(dir, 'etc', `${unscoped}${suffix}.api.md`),
        };
      }),
  );
}

// Release tags (@public, @beta) and TSDoc style are not how this repository documents: only the
// surface itself is reported. Anything else API Extractor finds (a name it cannot resolve) stays
// a warning that fails the run.
const SILENCED = ['ae-missing-release-tag', 'ae-internal-missing-underscore', 'ae-forgotten-export', 'ae-undocumented'];

/**
 * Runs API Extractor on one entry. `write`: rewrite the report; otherwise only compare. Returns
 * whether the report matched (or was written) and the problems it found.
 */
function runEntry(entry, { write }) {
  const temp = mkdtempSync(join(tmpdir(), 'connect-jwt-api-'));
  if (write) mkdirSync(join(entry.dir, 'etc'), { recursive: true });
  const problems = [];
  try {
    const config = ExtractorConfig.prepare({
      configObject: {
        projectFolder: entry.dir,
        mainEntryPointFilePath: entry.typesFile,
        bundledPackages: [],
        compiler: {
          // Only the declaration graph of this entry, resolved as a user's nodenext project would.
          overrideTsconfig: {
            compilerOptions: {
              module: 'nodenext',
              moduleResolution: 'nodenext',
              target: 'es2022',
              strict: true,
              skipLibCheck: true,
              types: ['node'],
            },
            files: [entry.typesFile],
          },
        },
        apiReport: {
          enabled: true,
          reportFileName: entry.reportName,
          reportFolder: join(entry.dir, 'etc'),
          reportTempFolder: temp,
          includeForgottenExports: false,
        },
        docModel: { enabled: false },
        dtsRollup: { enabled: false },
        tsdocMetadata: { enabled: false },
        newlineKind: 'lf',
        messages: {
          compilerMessageReporting: { default: { logLevel: 'warning' } },
          extractorMessageReporting: {
            default: { logLevel: 'warning' },
            ...Object.fromEntries(SILENCED.map((id) => [id, { logLevel: 'none' }])),
          },
          tsdocMessageReporting: { default: { logLevel: 'none' } },
        },
      },
      configObjectFullPath: undefined,
      packageJsonFullPath: join(entry.dir, 'package.json'),
    });
    const result = Extractor.invoke(config, {
      localBuild: write,
      messageCallback: (message) => {
        message.handled = true;
        if (message.logLevel === ExtractorLogLevel.Error || message.logLevel === ExtractorLogLevel.Warning) {
          // Its notes about the report file itself (created, changed) are what `matches` reports.
          if (!String(message.messageId).startsWith('console-api-report-')) {
            problems.push(message.formatMessageWithoutLocation?.() ?? message.text);
          }
        }
      },
    });
    return { matches: write || !result.apiReportChanged, problems };
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}

/** Checks (or, with `write`, rewrites) every report; returns one line per report that differs or fails. */
export function apiReports({ write = false } = {}) {
  const failures = [];
  for (const entry of apiEntries()) {
    const { matches, problems } = runEntry(entry, { write });
    const file = entry.reportFile.slice(entry.reportFile.indexOf('packages/'));
    if (!matches) failures.push(`${entry.entry}: the surface differs from ${file}`);
    for (const problem of problems) failures.push(`${entry.entry}: ${problem}`);
  }
  return failures;
}
