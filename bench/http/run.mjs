// `pnpm bench:http`: req/s, p99 latency and server CPU per request of one small JSON route,
// bare, behind atlassianJwt(), behind the node:crypto floor, and (Express) behind
// atlassian-connect-express's addon.authenticate(). Each server runs alone in a child process;
// its CPU is read from process.cpuUsage() around the measured autocannon run.
// Then the check alone (./middleware.mjs): each middleware called directly, many times, so the
// CPU it adds is not drowned by the framework's and the kernel's.
// Flags: --duration <s> (3), --rounds <n> (5), --connections <n> (10), --only <framework>,
// --middleware-iterations <n> (50000; 0 skips that part).
//
// Other load on the machine (or a hypervisor taking the vCPU) only ever adds CPU time, so the
// summary leads with the best round of each scenario and shows medians beside it.
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createJwt } from '@connect-jwt/core';
import autocannon from 'autocannon';
import { TENANT } from './tenant.mjs';

const { values: flags } = parseArgs({
  options: {
    duration: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '5' },
    connections: { type: 'string', default: '10' },
    only: { type: 'string' },
    'middleware-iterations': { type: 'string', default: '50000' },
  },
});
const DURATION = Number(flags.duration);
const ROUNDS = Number(flags.rounds);
const CONNECTIONS = Number(flags.connections);
const WARM_UP_SECONDS = 1;
const START_TIMEOUT_MS = 60_000;
const POOL_SIZE = 1000;
const MIDDLEWARE_ITERATIONS = Number(flags['middleware-iterations']);

const scenarios = [
  ...['express', 'koa', 'fastify'].flatMap((framework) =>
    ['bare', 'floor', 'connect-jwt'].map((variant) => ({ framework, variant })),
  ),
  { framework: 'express', variant: 'ace-memory' },
  { framework: 'express', variant: 'ace-sqlite' },
].filter((scenario) => flags.only === undefined || scenario.framework === flags.only);

/** Valid tokens for GET /data, all different, so no layer can cache one answer. */
const pool = await Promise.all(
  Array.from({ length: POOL_SIZE }, (_, i) =>
    createJwt(TENANT.clientKey, TENANT.sharedSecret, { uri: '/data', expiresIn: 3600, subject: `account-${i}` }),
  ),
);

/** A working directory with the config.json and descriptor that atlassian-connect-express reads from cwd. */
function aceDirectory(variant) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-ace-'));
  // ace-sqlite keeps ACE's default store: Sequelize on an in-memory SQLite database.
  const store = variant === 'ace-memory' ? { store: { adapter: 'bench-memory' } } : {};
  const production = { port: 3000, localBaseUrl: 'http://127.0.0.1:3000', watch: false, ...store };
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ production }));
  const descriptor = {
    key: 'bench-addon',
    name: 'Benchmark add-on',
    baseUrl: 'http://127.0.0.1:3000',
    authentication: { type: 'jwt' },
    lifecycle: { installed: '/installed', uninstalled: '/uninstalled' },
    scopes: ['READ'],
    modules: {},
  };
  writeFileSync(join(dir, 'atlassian-connect.json'), JSON.stringify(descriptor));
  return dir;
}

function askCpu(child) {
  return new Promise((resolve) => {
    const onMessage = (message) => {
      if (message.cpu === undefined) return;
      child.off('message', onMessage);
      resolve(message.cpu);
    };
    child.on('message', onMessage);
    child.send('cpu');
  });
}

function load(port, seconds) {
  let next = 0;
  return autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: CONNECTIONS,
    duration: seconds,
    requests: [
      {
        method: 'GET',
        path: '/data',
        setupRequest: (request) => {
          next = (next + 1) % pool.length;
          return { ...request, headers: { ...request.headers, authorization: `JWT ${pool[next]}` } };
        },
      },
    ],
  });
}

async function measure({ framework, variant }) {
  const cwd = variant.startsWith('ace-') ? aceDirectory(variant) : process.cwd();
  const child = fork(fileURLToPath(new URL('./server.mjs', import.meta.url)), [framework, variant], {
    cwd,
    env: { ...process.env, NODE_ENV: 'production' },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  try {
    const port = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('did not start in time')), START_TIMEOUT_MS);
      child.once('exit', (code) => reject(new Error(`exited with ${code}`)));
      child.on('message', (message) => {
        if (message.port === undefined) return;
        clearTimeout(timer);
        resolve(message.port);
      });
    });
    await load(port, WARM_UP_SECONDS);
    const before = await askCpu(child);
    const result = await load(port, DURATION);
    const after = await askCpu(child);
    const answered = result['2xx'];
    if (result.non2xx > 0 || result.errors > 0 || answered === 0) {
      throw new Error(`${result.non2xx} non-2xx answers, ${result.errors} errors`);
    }
    const cpu = after.user - before.user + (after.system - before.system);
    return { rps: answered / DURATION, p99: result.latency.p99, cpuPerRequest: cpu / answered };
  } finally {
    child.removeAllListeners('exit');
    child.kill();
    if (cwd !== process.cwd()) rmSync(cwd, { recursive: true, force: true });
  }
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};
const fixed = (value, digits, width) => value.toFixed(digits).padStart(width);
/** scenario key -> one measurement per round (undefined when that round failed) */
const results = new Map(scenarios.map((s) => [`${s.framework}/${s.variant}`, []]));
const runsOf = (name) => (results.get(name) ?? []).filter(Boolean);

console.log(
  `HTTP benchmark: ${DURATION} s per run after ${WARM_UP_SECONDS} s warm-up, ${CONNECTIONS} connections, ` +
    `${POOL_SIZE} tokens, ${ROUNDS} round(s), Node ${process.version}`,
);
for (let round = 1; round <= ROUNDS; round++) {
  for (const scenario of scenarios) {
    const name = `${scenario.framework}/${scenario.variant}`;
    let measurement;
    try {
      measurement = await measure(scenario);
      console.log(
        `round ${round} ${name.padEnd(22)} ${fixed(measurement.rps, 0, 7)} req/s  p99 ${fixed(measurement.p99, 0, 4)} ms` +
          `  ${fixed(measurement.cpuPerRequest, 1, 7)} µs CPU/req`,
      );
    } catch (error) {
      console.log(`round ${round} ${name.padEnd(22)} FAILED: ${error.message}`);
    }
    results.get(name).push(measurement);
  }
}

console.log('\nscenario               best req/s  median req/s  median p99 ms  best CPU µs/req  median CPU µs/req');
for (const name of results.keys()) {
  const runs = runsOf(name);
  if (runs.length === 0) continue;
  const rps = runs.map((run) => run.rps);
  const cpu = runs.map((run) => run.cpuPerRequest);
  console.log(
    `${name.padEnd(22)} ${fixed(Math.max(...rps), 0, 11)}  ${fixed(median(rps), 0, 12)}  ` +
      `${fixed(median(runs.map((run) => run.p99)), 0, 13)}  ${fixed(Math.min(...cpu), 1, 15)}  ${fixed(median(cpu), 1, 17)}`,
  );
}

console.log(
  '\nratios (goals: CPU added by atlassianJwt() ≤ 1.3× that added by the floor; Express req/s ≥ 1.5× ACE in-memory)',
);
const best = (name) => Math.min(...runsOf(name).map((run) => run.cpuPerRequest));
for (const framework of ['express', 'koa', 'fastify']) {
  const [bare, floor, jwt] = ['bare', 'floor', 'connect-jwt'].map((variant) => `${framework}/${variant}`);
  if (!runsOf(bare).length || !runsOf(floor).length || !runsOf(jwt).length) continue;
  const fromBest = (best(jwt) - best(bare)) / (best(floor) - best(bare));
  const perRound = results
    .get(bare)
    .map((b, i) => {
      const f = results.get(floor)[i];
      const j = results.get(jwt)[i];
      return b && f && j ? (j.cpuPerRequest - b.cpuPerRequest) / (f.cpuPerRequest - b.cpuPerRequest) : undefined;
    })
    .filter((ratio) => ratio !== undefined);
  console.log(
    `${framework.padEnd(8)} added CPU atlassianJwt()/floor: best rounds ${fromBest.toFixed(2)}` +
      ` (adds ${(best(jwt) - best(bare)).toFixed(1)} vs ${(best(floor) - best(bare)).toFixed(1)} µs/req);` +
      ` per round ${perRound.map((r) => r.toFixed(2)).join(', ')}`,
  );
}
for (const peer of ['ace-memory', 'ace-sqlite']) {
  const jwt = results.get('express/connect-jwt') ?? [];
  const ace = results.get(`express/${peer}`) ?? [];
  const perRound = jwt.map((j, i) => (j && ace[i] ? j.rps / ace[i].rps : undefined)).filter((r) => r !== undefined);
  if (perRound.length === 0) continue;
  const bestRps = (name) => Math.max(...runsOf(name).map((run) => run.rps));
  console.log(
    `express  req/s atlassianJwt()/ACE ${peer}: best rounds ${(bestRps('express/connect-jwt') / bestRps(`express/${peer}`)).toFixed(2)};` +
      ` per round ${perRound.map((r) => r.toFixed(2)).join(', ')} (median ${median(perRound).toFixed(2)})`,
  );
}

if (MIDDLEWARE_ITERATIONS > 0) {
  const results = {};
  for (let round = 1; round <= ROUNDS; round++) {
    for (const framework of ['express', 'koa', 'fastify', 'core']) {
      for (const variant of ['floor', 'jwt']) {
        const child = fork(fileURLToPath(new URL('./middleware.mjs', import.meta.url)), [
          framework,
          variant,
          String(MIDDLEWARE_ITERATIONS),
        ]);
        const cpu = await new Promise((resolve, reject) => {
          child.once('message', (message) => resolve(message.cpuPerCall));
          child.once('exit', (code) => reject(new Error(`middleware.mjs ${framework} ${variant} exited with ${code}`)));
        }).finally(() => child.removeAllListeners('exit'));
        results[`${framework}/${variant}`] = [...(results[`${framework}/${variant}`] ?? []), cpu];
      }
    }
  }
  console.log(
    `\nthe check alone: CPU per call over ${MIDDLEWARE_ITERATIONS} calls, ${ROUNDS} round(s) (best / median)`,
  );
  for (const framework of ['express', 'koa', 'fastify', 'core']) {
    const floor = results[`${framework}/floor`];
    const jwt = results[`${framework}/jwt`];
    const perRound = floor.map((f, i) => jwt[i] / f);
    console.log(
      `${(framework === 'core' ? 'verifyRequest' : framework).padEnd(13)} floor ${fixed(Math.min(...floor), 2, 6)} / ${fixed(median(floor), 2, 6)} µs` +
        `   atlassianJwt() ${fixed(Math.min(...jwt), 2, 6)} / ${fixed(median(jwt), 2, 6)} µs` +
        `   atlassianJwt()/floor: best ${(Math.min(...jwt) / Math.min(...floor)).toFixed(2)},` +
        ` per round ${perRound.map((r) => r.toFixed(2)).join(', ')} (median ${median(perRound).toFixed(2)})`,
    );
  }
}
