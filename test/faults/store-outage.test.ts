// The load of test/load, while the link between the add-on process and its Redis (then its
// PostgreSQL) store is cut for a few seconds by a TCP proxy in this process. The store is used
// directly, as the examples use it (no cachedStore in front), so every request needs the store.
// Judged per answer, by when it was sent and answered:
//   before the cut               exactly the normal answer
//   sent after the cut, answered before the link came back
//                                503 ERR_STORE_UNAVAILABLE if the answer needs the store
//                                (never a 401 for a valid token), the normal answer otherwise
//   around the cut and the return 503 ERR_STORE_UNAVAILABLE or the normal answer
//   from `settle` after the return exactly the normal answer again
// and no socket error, no answer slower than the per-request timeout, no crash or restart.
import { randomBytes } from 'node:crypto';
import type { SecretStore } from '@connect-jwt/core';
import { PostgresStore } from '@connect-jwt/store-postgres';
import { RedisStore } from '@connect-jwt/store-redis';
import { TcpProxy } from '@connect-jwt/store-test-suite';
import { type KeyServer, startKeyServer } from '@connect-jwt/testing';
import pg from 'pg';
import { afterEach, describe, expect, inject, it } from 'vitest';
import {
  type Answer,
  appKeyOf,
  buildPool,
  codeProblem,
  exactProblem,
  FRAMEWORKS,
  installInstallations,
  newInstallation,
  runLoad,
  sendInstall,
  startAddonProcess,
} from '../support/reliability/harness.ts';
import { recordRow } from '../support/reliability/report.ts';
import { settings } from '../support/reliability/settings.ts';

const REDIS = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const POSTGRES = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test');
/** Per-request timeout (s): an answer later than this is a hang and autocannon counts it. */
const REQUEST_TIMEOUT = 5;
// After the link returns: a store call already waiting (up to its timeout), the client's reconnect
// back-off (Redis: at most 1 s) and one more timeout of slack.
const SETTLE_MS = 2 * settings.storeTimeoutMs + 1000;

const cleanUps: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanUp of cleanUps.splice(0).reverse()) await cleanUp();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface StoreTarget {
  kind: 'redis' | 'postgres';
  port: number;
  /** The URL the add-on uses, through the proxy on `proxyPort`. */
  url(proxyPort: number): string;
  namespace(): string;
  /** A store in this process, straight to the server, to look at what the add-on wrote. */
  open(namespace: string): SecretStore;
  drop(namespace: string, store: SecretStore, clientKeys: string[]): Promise<void>;
}

const targets: StoreTarget[] = [
  {
    kind: 'redis',
    port: Number(REDIS.port || 6379),
    url: (proxyPort) => {
      const url = new URL(REDIS);
      url.hostname = '127.0.0.1';
      url.port = String(proxyPort);
      return url.toString();
    },
    namespace: () => `connect-jwt-reliability:${randomBytes(6).toString('hex')}:`,
    open: (namespace) => new RedisStore({ url: REDIS.toString(), prefix: namespace }),
    async drop(_namespace, store, clientKeys) {
      for (const clientKey of clientKeys) await store.delete(clientKey);
    },
  },
  {
    kind: 'postgres',
    port: Number(POSTGRES.port || 5432),
    url: (proxyPort) => {
      const url = new URL(POSTGRES);
      url.hostname = '127.0.0.1';
      url.port = String(proxyPort);
      return url.toString();
    },
    namespace: () => `reliability_${randomBytes(6).toString('hex')}`,
    open: (namespace) => new PostgresStore({ url: POSTGRES.toString(), schema: namespace }),
    async drop(namespace) {
      const client = new pg.Client({ connectionString: POSTGRES.toString() });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS "${namespace}" CASCADE`);
      } finally {
        await client.end();
      }
    },
  },
];

async function setUp(target: StoreTarget, framework: (typeof FRAMEWORKS)[number], keyServerUrl?: string) {
  const keyServer: KeyServer = await startKeyServer();
  cleanUps.push(() => keyServer.close());
  const proxy = new TcpProxy({ targetPort: target.port });
  await proxy.start();
  cleanUps.push(() => proxy.close());
  const namespace = target.namespace();
  const direct = target.open(namespace);
  const clientKeys: string[] = [];
  cleanUps.push(async () => {
    await target.drop(namespace, direct, clientKeys);
    await direct.close?.();
  });
  const addon = await startAddonProcess({
    framework,
    storeKind: target.kind,
    storeUrl: target.url(proxy.port),
    storeNamespace: namespace,
    storeTimeoutMs: settings.storeTimeoutMs,
    keyServerUrl: keyServerUrl ?? keyServer.url,
  });
  cleanUps.push(() => addon.stop());
  return { keyServer, proxy, direct, addon, clientKeys };
}

describe.each(targets)('$kind store cut under load', (target) => {
  it.each(FRAMEWORKS)('%s: 503 during the outage, 200 again after it, no crash', async (framework) => {
    const { keyServer, proxy, direct, addon, clientKeys } = await setUp(target, framework);
    const installations = await installInstallations(addon.url, keyServer, 4);
    clientKeys.push(...installations.map((installation) => installation.clientKey));
    const pool = await buildPool(addon.url, installations, 400, settings.invalidShare);

    const answers: Answer[] = [];
    const times = { cutStart: Infinity, cutDone: Infinity, restoreStart: Infinity, restored: Infinity };
    // An install during the outage (its key already cached, so only the store write can fail).
    const appKey = await appKeyOf(addon.url);
    const newcomer = newInstallation();
    clientKeys.push(newcomer.clientKey);
    let installDuring: { status: number; code: unknown } | undefined;
    const outage = (async () => {
      await sleep(settings.faultBefore * 1000);
      times.cutStart = performance.now();
      await proxy.cut();
      times.cutDone = performance.now();
      const outageEnds = performance.now() + settings.faultOutage * 1000;
      const response = await sendInstall(addon.url, keyServer.key, appKey, newcomer);
      installDuring = { status: response.status, code: ((await response.json()) as { code?: unknown }).code };
      await sleep(Math.max(0, outageEnds - performance.now()));
      times.restoreStart = performance.now();
      await proxy.restore();
      times.restored = performance.now();
    })();
    const run = await runLoad({
      url: addon.url,
      pool,
      connections: settings.connections,
      duration: settings.faultBefore + settings.faultOutage + settings.faultAfter,
      timeout: REQUEST_TIMEOUT,
      check: () => undefined,
      onAnswer: (answer) => answers.push(answer),
    });
    await outage;

    const counts = { before: 0, outage503: 0, outageOther: 0, transition503: 0, after200: 0, after: 0 };
    const problems: string[] = [];
    let outageMaxMs = 0;
    for (const answer of answers) {
      let problem: string | undefined;
      if (answer.answeredAt < times.cutStart) {
        counts.before++;
        problem = exactProblem(answer);
      } else if (answer.sentAt >= times.cutDone && answer.answeredAt <= times.restoreStart) {
        outageMaxMs = Math.max(outageMaxMs, answer.answeredAt - answer.sentAt);
        if (answer.entry.usesStore) {
          counts.outage503++;
          problem =
            answer.status === 503
              ? codeProblem(answer, 'ERR_STORE_UNAVAILABLE')
              : `${answer.entry.kind} during the outage: ${answer.status}, expected 503`;
        } else {
          counts.outageOther++;
          problem = exactProblem(answer);
        }
      } else if (answer.sentAt >= times.restored + SETTLE_MS) {
        counts.after++;
        if (answer.entry.valid && (answer.status === 200 || answer.status === 204)) counts.after200++;
        problem = exactProblem(answer);
      } else if (answer.status === 503) {
        counts.transition503++;
        problem = answer.entry.usesStore
          ? codeProblem(answer, 'ERR_STORE_UNAVAILABLE')
          : `${answer.entry.kind} needs no store but got 503`;
      } else {
        problem = exactProblem(answer);
      }
      if (problem && problems.length < 20) problems.push(problem);
    }
    const storedNewcomer = await direct.get(newcomer.clientKey);
    if (installDuring?.status !== 503 || installDuring.code !== 'ERR_STORE_UNAVAILABLE') {
      problems.push(`install during the outage answered ${JSON.stringify(installDuring)}, expected 503`);
    }
    if (storedNewcomer !== undefined) problems.push('the install refused during the outage was stored');
    const problemCount = problems.length;
    const heap = await addon.heapAfterGc().catch(() => Number.NaN);
    const alive = addon.exited() === undefined && Number.isFinite(heap);
    const ok =
      problemCount === 0 &&
      run.errors + run.timeouts === 0 &&
      counts.outage503 > 0 &&
      counts.after200 > 0 &&
      counts.before > 0 &&
      alive;
    console.log(
      `faults ${target.kind} ${framework}: ${JSON.stringify(counts)}, slowest outage answer ${Math.round(outageMaxMs)} ms, ` +
        `statuses ${JSON.stringify(run.statuses)}, errors ${run.errors}, timeouts ${run.timeouts}`,
    );
    recordRow(inject('reliabilityResultsDir'), {
      suite: 'faults',
      tried: `${framework} example on ${target.kind === 'redis' ? 'Redis' : 'PostgreSQL'} (store used directly, no cachedStore; ${settings.storeTimeoutMs} ms store timeouts): link cut by a TCP proxy under the load mix`,
      amount: `${settings.faultBefore} s before, ${settings.faultOutage} s outage, ${settings.faultAfter} s after; ${settings.connections} connections; ${run.requests} answers`,
      result: ok
        ? `before: ${counts.before} normal answers; outage: ${counts.outage503} store-bound requests all 503 ERR_STORE_UNAVAILABLE (slowest ${Math.round(outageMaxMs)} ms, none past ${REQUEST_TIMEOUT} s), ${counts.outageOther} store-free refusals still 401; transitions: ${counts.transition503} 503s; from ${SETTLE_MS / 1000} s after the return: ${counts.after} normal answers (${counts.after200} valid 200); an install during the outage refused 503 and not stored; 0 socket errors; same process throughout`
        : `${problemCount} wrong answers, ${run.errors} errors, ${run.timeouts} timeouts, alive ${alive}: ${problems.slice(0, 3).join('; ')}`,
      ok,
    });

    expect(problems).toEqual([]);
    expect(installDuring).toEqual({ status: 503, code: 'ERR_STORE_UNAVAILABLE' });
    expect(storedNewcomer).toBeUndefined();
    expect({ errors: run.errors, timeouts: run.timeouts }).toEqual({ errors: 0, timeouts: 0 });
    expect(counts.before).toBeGreaterThan(0);
    expect(counts.outage503).toBeGreaterThan(0);
    expect(counts.after200).toBeGreaterThan(0);
    expect(addon.exited(), addon.output()).toBeUndefined();
    expect(heap).toBeGreaterThan(0);
  });
});
