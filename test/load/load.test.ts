// Each example add-on, in its own process on its default store (a SQLite file), under autocannon:
// 80% valid host tokens (iframe, header, context token, webhook; four installations installed through
// the real signed-install route) and 20% invalid ones. Every answer is checked against its
// request: valid 200 naming the right installation, invalid 401 with the right code, nothing else.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type KeyServer, startKeyServer } from '@connect-jwt/testing';
import { afterEach, describe, expect, inject, it } from 'vitest';
import {
  type AddonProcess,
  buildPool,
  FRAMEWORKS,
  installInstallations,
  type LoadRun,
  MiB,
  runLoad,
  startAddonProcess,
} from '../support/reliability/harness.ts';
import { recordRow } from '../support/reliability/report.ts';
import { settings } from '../support/reliability/settings.ts';

const INSTALLATIONS = 4;
const POOL_SIZE = 400;
const cleanUps: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const cleanUp of cleanUps.splice(0).reverse()) await cleanUp();
});

function summary(run: LoadRun): string {
  return `${run.requests} answers, ${Math.round(run.requestsPerSecond)} req/s, p99 ${run.p99Ms} ms, statuses ${JSON.stringify(run.statuses)}`;
}

describe.each(FRAMEWORKS)('%s example under load', (framework) => {
  it('answers every valid request 200 and every invalid one 401 with its code, with a bounded heap', async () => {
    const keyServer: KeyServer = await startKeyServer();
    cleanUps.push(() => keyServer.close());
    const dataDir = mkdtempSync(join(tmpdir(), 'connect-jwt-load-'));
    cleanUps.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const addon: AddonProcess = await startAddonProcess({
      framework,
      storeKind: 'sqlite',
      storeUrl: join(dataDir, 'installations.sqlite'),
      keyServerUrl: keyServer.url,
    });
    cleanUps.push(() => addon.stop());

    const installations = await installInstallations(addon.url, keyServer, INSTALLATIONS);
    const pool = await buildPool(addon.url, installations, POOL_SIZE, settings.invalidShare);
    const load = { url: addon.url, pool, connections: settings.connections };

    const warm = await runLoad({ ...load, duration: settings.warmUp });
    const heapWarm = await addon.heapAfterGc();
    const run = await runLoad({ ...load, duration: settings.loadDuration });
    const heapEnd = await addon.heapAfterGc();

    const growthMiB = (heapEnd - heapWarm) / MiB;
    const invalid = Object.entries(run.kinds)
      .filter(([kind]) => kind.startsWith('invalid'))
      .reduce((sum, [, count]) => sum + count, 0);
    const ok =
      warm.problemCount + run.problemCount === 0 &&
      run.errors + run.timeouts + warm.errors + warm.timeouts === 0 &&
      run.status5xx === 0 &&
      growthMiB <= settings.heapBoundMiB &&
      addon.exited() === undefined;
    console.log(
      `load ${framework}: ${Math.round(run.requestsPerSecond)} req/s, p99 ${run.p99Ms} ms, ${run.requests} requests ` +
        `(${invalid} invalid), heap ${(heapWarm / MiB).toFixed(1)} -> ${(heapEnd / MiB).toFixed(1)} MiB`,
    );
    recordRow(inject('reliabilityResultsDir'), {
      suite: 'load',
      tried: `${framework} example (SQLite store, child process): valid host tokens for 4 installations on /hello (query and header), /api/context (context token), POST webhook; ${Math.round(settings.invalidShare * 100)}% invalid (wrong secret, expired, other qsh, garbage, unknown issuer, alg none, context token on a strict route, no token)`,
      amount: `${settings.warmUp} s warm-up + ${settings.loadDuration} s, ${settings.connections} connections, ${run.requests} checked answers (${invalid} invalid)`,
      result: ok
        ? `all valid 200 for the right installation, all invalid 401 with the right code; 0 5xx, 0 socket errors, 0 timeouts; ${Math.round(run.requestsPerSecond)} req/s, p99 ${run.p99Ms} ms; heap after GC ${(heapWarm / MiB).toFixed(1)} → ${(heapEnd / MiB).toFixed(1)} MiB (bound +${settings.heapBoundMiB} MiB)`
        : `${run.problemCount + warm.problemCount} wrong answers, ${run.errors} errors, ${run.timeouts} timeouts, ${run.status5xx} 5xx, heap +${growthMiB.toFixed(1)} MiB: ${run.problems.slice(0, 3).join('; ')}`,
      ok,
      load: {
        framework,
        requestsPerSecond: run.requestsPerSecond,
        p99Ms: run.p99Ms,
        requests: run.requests,
        heapWarmMiB: heapWarm / MiB,
        heapEndMiB: heapEnd / MiB,
      },
    });

    expect(warm.problems, summary(warm)).toEqual([]);
    expect(run.problems, summary(run)).toEqual([]);
    expect({ errors: run.errors, timeouts: run.timeouts, status5xx: run.status5xx }).toEqual({
      errors: 0,
      timeouts: 0,
      status5xx: 0,
    });
    expect({ errors: warm.errors, timeouts: warm.timeouts }).toEqual({ errors: 0, timeouts: 0 });
    // Every kind of request was sent and answered, in the planned proportion.
    expect(Object.keys(run.kinds).sort()).toEqual([...new Set(pool.map((entry) => entry.kind))].sort());
    expect(invalid / run.requests).toBeGreaterThan(settings.invalidShare - 0.02);
    expect(invalid / run.requests).toBeLessThan(settings.invalidShare + 0.02);
    expect(growthMiB, `heap ${heapWarm} -> ${heapEnd} bytes`).toBeLessThanOrEqual(settings.heapBoundMiB);
    expect(addon.exited(), addon.output()).toBeUndefined();
  });
});
