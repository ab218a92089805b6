// `npm run bench:fleet`: what running several instances costs, in one run. Needs Redis,
// PostgreSQL and the Redis Cluster that scripts/services.sh starts (REDIS_URL, DATABASE_URL,
// REDIS_CLUSTER_URL; localhost defaults). Flags: --rounds N, --round-ms N, --samples N, --sizes a,b,c, --json.
//   1. The cached hit path: verifyRequest over cachedStore(RedisStore), today's cachedStore against
//      the one before the change feed (must not cost more), on this process's CPU clock.
//   2. Propagation: two instances (two stores, two caches, one backend) in this process; one
//      writes a new secret, the other polls its cache until it serves it. p50/p99 per store.
//   3. A flood of forged tokens for a known iss: backend reads per request (bounded by the
//      re-read limit: one per second per key).
//   4. Installation counts 10 … 100 000, requests spread evenly: CPU per verify and backend reads
//      per verify, with today's defaults and with the cache before (default max 1000).
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { runInNewContext } from 'node:vm';
import { cachedStore, createJwt, type Installation, type SecretStore, verifyRequest } from '@connect-jwt/core';
import { PostgresStore } from '@connect-jwt/store-postgres';
import { RedisStore } from '@connect-jwt/store-redis';
import { SqliteStore } from '@connect-jwt/store-sqlite';
import pg from 'pg';
import { formatTable } from '../lib/harness.js';
import { runDualClockBench } from '../stores/cpu-clock.js';
import { baselineCachedStore } from './baseline-cached-store.js';

const { values: flags } = parseArgs({
  options: {
    rounds: { type: 'string', default: '7' },
    'round-ms': { type: 'string', default: '300' },
    samples: { type: 'string', default: '200' },
    sizes: { type: 'string', default: '10,100,1000,2000,10000,50000,100000' },
    json: { type: 'boolean', default: false },
  },
});

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const clusterUrl = process.env.REDIS_CLUSTER_URL ?? 'redis+cluster://127.0.0.1:7101,127.0.0.1:7102,127.0.0.1:7103';
const runId = randomBytes(5).toString('hex');
const directory = mkdtempSync(join(tmpdir(), 'connect-jwt-bench-fleet-'));
const prefix = `connect-jwt-bench-fleet:${runId}:`;
const schema = `connect_jwt_bench_fleet_${runId}`;
const quiet = { onFeedStatus: () => {} };
const report: Record<string, unknown> = {};
const print = (line = '') => {
  if (!flags.json) console.log(line);
};

/** An install payload as Atlassian sends it (what one cache entry holds), about 0.7 KB as JSON. */
function realisticInstallation(): Installation {
  const site = randomBytes(6).toString('hex');
  return {
    key: 'com.example.my-addon',
    clientKey: randomUUID(),
    publicKey: `MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQ${randomBytes(120).toString('base64')}`,
    sharedSecret: randomBytes(48).toString('base64url'),
    serverVersion: '100263',
    pluginsVersion: '1001.0.0-SNAPSHOT',
    baseUrl: `https://${site}.atlassian.net`,
    displayUrl: `https://${site}.atlassian.net`,
    productType: 'jira',
    description: 'Atlassian JIRA at https://example.atlassian.net ',
    serviceEntitlementNumber: String(1_000_000 + Math.floor(Math.random() * 1e6)),
    eventType: 'installed',
    installationId: `ari:cloud:ecosystem::installation/${randomUUID()}`,
  };
}

/** Counts the reads that reach the backend (what a cache saves). */
function counting(store: SecretStore): SecretStore & { reads: number } {
  const counted: SecretStore & { reads: number } = {
    reads: 0,
    get: (clientKey) => {
      counted.reads++;
      return store.get(clientKey);
    },
    set: (installation) => store.set(installation),
    delete: (clientKey) => store.delete(clientKey),
    close: () => store.close?.() ?? Promise.resolve(),
  };
  if (store.watch) counted.watch = (listener) => store.watch?.(listener) as ReturnType<typeof counted.watch & {}>;
  return counted;
}

const url = '/rest/api/3/issue/ABC-1?expand=renderedFields,names&fields=summary,status';
const tokenFor = (installation: Installation, secret = installation.sharedSecret) =>
  createJwt(installation.clientKey, secret, { uri: url, expiresIn: 24 * 3600 });
const requestWith = (token: string) => ({ method: 'GET', url, headers: { authorization: `JWT ${token}` } });

const opened: SecretStore[] = [];
function open<T extends SecretStore>(store: T): T {
  opened.push(store);
  return store;
}
const redis = () => open(new RedisStore({ url: redisUrl, prefix }));

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;

try {
  // 1. The hit path.
  {
    const installation = realisticInstallation();
    const today = cachedStore(redis(), quiet);
    const before = baselineCachedStore(redis());
    await today.set(installation);
    const request = requestWith(await tokenFor(installation));
    const settings = { rounds: Number(flags.rounds), roundMs: Number(flags['round-ms']), warmupMs: 500 };
    const results = await runDualClockBench(
      [
        { name: 'cachedStore before the feed', fn: () => verifyRequest(request, { store: before }) },
        { name: 'cachedStore with the feed', fn: () => verifyRequest(request, { store: today }) },
      ],
      settings,
    );
    // The lookup alone: the cache's own cost, which other load on the machine distorts far less
    // than a whole verifyRequest (see bench/stores).
    const lookups = await runDualClockBench(
      [
        { name: 'get, before the feed', fn: () => before.get(installation.clientKey) },
        { name: 'get, with the feed', fn: () => today.get(installation.clientKey) },
      ],
      settings,
    );
    print('1. verifyRequest on the cached hit path, RedisStore behind (CPU time of this process):\n');
    print(formatTable(results.cpu, 'cachedStore before the feed'));
    const nanos = (list: typeof lookups.cpu, index: number) => 1e9 / (list[index]?.opsPerSecond ?? Number.NaN);
    const verifyBefore = nanos(results.cpu, 0);
    const getBefore = nanos(lookups.cpu, 0);
    const getToday = nanos(lookups.cpu, 1);
    print(
      `\n   store.get alone: ${getBefore.toFixed(0)} ns before, ${getToday.toFixed(0)} ns with the feed; a verify costs ${((verifyBefore + getToday - getBefore) / verifyBefore).toFixed(3)}× what it did (from get, ${verifyBefore.toFixed(0)} ns per verify)`,
    );
    report.hitPath = {
      beforeNanosPerVerify: verifyBefore,
      todayNanosPerVerify: nanos(results.cpu, 1),
      beforeNanosPerGet: getBefore,
      todayNanosPerGet: getToday,
    };
  }

  // 2. Propagation between two instances, per store.
  {
    const samples = Number(flags.samples);
    const sqliteFile = join(directory, 'fleet.sqlite');
    const pairs: Array<[string, () => SecretStore]> = [
      ['Redis', () => new RedisStore({ url: redisUrl, prefix })],
      ['Postgres', () => new PostgresStore({ url: databaseUrl, schema })],
      ['SQLite (one file)', () => new SqliteStore(sqliteFile)],
    ];
    pairs.push(['Redis Cluster', () => new RedisStore({ url: clusterUrl, prefix })]);
    const rows: Record<string, unknown> = {};
    print('\n2. Propagation: a write through one instance until another serves it (ms, write included):\n');
    for (const [name, create] of pairs) {
      const writerBackend = open(create());
      const readerBackend = open(create());
      if (typeof readerBackend.watch !== 'function') {
        print(`  ${name.padEnd(18)} no change feed: seen after the ttl (30 000 ms by default)`);
        rows[name] = 'no change feed';
        continue;
      }
      const writer = cachedStore(writerBackend, quiet);
      const reader = cachedStore(readerBackend, quiet);
      const installation = realisticInstallation();
      await writer.set(installation);
      await sleepUntil(async () => (await reader.get(installation.clientKey)) !== undefined);
      // Let the reader's feed come up before the first sample.
      await new Promise((resolve) => setTimeout(resolve, 300));
      const latencies: number[] = [];
      let timeouts = 0;
      for (let i = 0; i < samples; i++) {
        await reader.get(installation.clientKey); // cached in the reader
        const secret = randomBytes(24).toString('base64url');
        const started = performance.now();
        await writer.set({ ...installation, sharedSecret: secret });
        const seen = await sleepUntil(
          async () => (await reader.get(installation.clientKey))?.sharedSecret === secret,
          5000,
        );
        if (seen) latencies.push(performance.now() - started);
        else timeouts++;
      }
      latencies.sort((a, b) => a - b);
      const row = { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies.at(-1), timeouts };
      rows[name] = row;
      print(
        `  ${name.padEnd(18)} p50 ${row.p50.toFixed(2).padStart(7)}  p99 ${row.p99.toFixed(2).padStart(7)}  max ${(row.max ?? Number.NaN).toFixed(2).padStart(7)}  (${samples} writes${timeouts ? `, ${timeouts} not seen in 5 s` : ''})`,
      );
      await writer.delete(installation.clientKey);
    }
    report.propagation = rows;
  }

  // 3. Forged tokens for a known iss.
  {
    const backend = counting(redis());
    const store = cachedStore(backend, quiet);
    const installation = realisticInstallation();
    await store.set(installation);
    await verifyRequest(requestWith(await tokenFor(installation)), { store });
    const forged = requestWith(await tokenFor(installation, 'an-attacker-guess'));
    const readsBefore = backend.reads;
    const started = performance.now();
    let requests = 0;
    while (performance.now() - started < 3000) {
      await Promise.all(
        Array.from({ length: 100 }, () =>
          verifyRequest(forged, { store }).then(
            () => {
              throw new Error('a forged token was accepted');
            },
            () => {},
          ),
        ),
      );
      requests += 100;
    }
    const seconds = (performance.now() - started) / 1000;
    const reads = backend.reads - readsBefore;
    report.forgedFlood = { requests, reads, seconds, readsPerRequest: reads / requests };
    print(
      `\n3. Forged tokens for a known iss: ${requests} requests in ${seconds.toFixed(1)} s made ${reads} backend reads (${(reads / requests).toExponential(1)} per request, ${(reads / seconds).toFixed(2)} per second)`,
    );
  }

  // 4. Installation counts.
  {
    const sizes = flags.sizes.split(',').map(Number);
    const largest = Math.max(...sizes);
    print(`\n4. Requests spread evenly over N installations, RedisStore behind, defaults (installing ${largest})…`);
    const writer = redis();
    const installations: Installation[] = [];
    for (let i = 0; i < largest; i += 500) {
      const batch = Array.from({ length: Math.min(500, largest - i) }, realisticInstallation);
      await Promise.all(batch.map((installation) => writer.set(installation)));
      installations.push(...batch);
    }
    const requests = await Promise.all(installations.map(async (i) => requestWith(await tokenFor(i))));
    const rows: unknown[] = [];
    print(
      `\n  ${'installations'.padStart(13)}  ${'CPU µs/verify'.padStart(14)} ${'reads/verify'.padStart(13)}  │ before: ${'CPU µs/verify'.padStart(14)} ${'reads/verify'.padStart(13)}`,
    );
    for (const size of sizes) {
      const measured = Math.max(20_000, 2 * size);
      const row: Record<string, number> = { installations: size };
      for (const [label, make] of [
        ['today', (backend: SecretStore) => cachedStore(backend, quiet)],
        ['before', (backend: SecretStore) => baselineCachedStore(backend)],
      ] as const) {
        const backend = counting(redis());
        const store = make(backend);
        // The feed first (a cache subscribes on its first lookup, and what it read before the
        // feed was up is not kept), then one pass to fill the cache, then the measured passes.
        await store.get(installations[0]?.clientKey ?? '');
        await new Promise((resolve) => setTimeout(resolve, 200));
        await spread(requests, size, size, store);
        const reads = backend.reads;
        const cpu = process.cpuUsage();
        await spread(requests, size, measured, store);
        const used = process.cpuUsage(cpu);
        row[`${label}CpuMicros`] = (used.user + used.system) / measured;
        row[`${label}Reads`] = (backend.reads - reads) / measured;
        await store.close?.();
      }
      rows.push(row);
      print(
        `  ${size.toLocaleString('en-US').padStart(13)}  ${row.todayCpuMicros?.toFixed(1).padStart(14)} ${row.todayReads?.toFixed(3).padStart(13)}  │         ${row.beforeCpuMicros?.toFixed(1).padStart(14)} ${row.beforeReads?.toFixed(3).padStart(13)}`,
      );
    }
    report.installations = rows;

    // The memory of one cached entry, from a full cache of the largest size.
    // cpu-clock.ts turned --expose-gc on; a new context sees the gc function.
    const gc = runInNewContext('gc') as (() => void) | undefined;
    if (typeof gc === 'function') {
      const store = cachedStore(writer, quiet);
      gc();
      const heap = process.memoryUsage().heapUsed;
      for (let i = 0; i < installations.length; i += 500) {
        await Promise.all(installations.slice(i, i + 500).map((installation) => store.get(installation.clientKey)));
      }
      gc();
      const perEntry = (process.memoryUsage().heapUsed - heap) / installations.length;
      report.bytesPerEntry = perEntry;
      print(`\n  heap per cached installation: ${perEntry.toFixed(0)} bytes (${installations.length} cached)`);
    }
  }

  if (flags.json) console.log(JSON.stringify(report, null, 2));
} finally {
  await Promise.allSettled(opened.map((store) => store.close?.()));
  const { createClient } = await import('redis');
  const client = createClient({ url: redisUrl });
  await client.connect();
  for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) {
    if (keys.length) await client.del(keys);
  }
  await client.close();
  const admin = new pg.Pool({ connectionString: databaseUrl, max: 1 });
  await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await admin.end();
  rmSync(directory, { recursive: true, force: true });
}

/** `count` verifications over the first `size` requests, round robin from a random start, 64 at a time. */
async function spread(
  requests: ReturnType<typeof requestWith>[],
  size: number,
  count: number,
  store: SecretStore,
): Promise<void> {
  const options = { store };
  let next = Math.floor(Math.random() * size);
  for (let done = 0; done < count; done += 64) {
    const batch: Promise<unknown>[] = [];
    for (let i = 0; i < 64 && done + i < count; i++) {
      batch.push(verifyRequest(requests[next] as ReturnType<typeof requestWith>, options));
      next = (next + 1) % size;
    }
    await Promise.all(batch);
  }
}

/** Polls `check` (yielding to the event loop between tries) until it holds or `timeoutMs` passes. */
async function sleepUntil(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<boolean> {
  const started = performance.now();
  while (!(await check())) {
    if (performance.now() - started > timeoutMs) return false;
    await yieldToLoop();
  }
  return true;
}
