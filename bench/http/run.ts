// `pnpm bench:http`: req/s, p99 latency and server CPU per request of one small JSON route,
// bare, behind atlassianJwt(), behind the node:crypto floor, and (Express) behind
// atlassian-connect-express's addon.authenticate(). Each server runs alone in a child process;
// its CPU is read from process.cpuUsage() around the measured autocannon run.
// Flags: --duration <s> (5), --rounds <n> (1), --connections <n> (10), --only <framework>.
import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createJwt } from '@connect-jwt/core';
import autocannon from 'autocannon';

const { values: flags } = parseArgs({
  options: {
    duration: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '1' },
    connections: { type: 'string', default: '10' },
    only: { type: 'string' },
  },
});
const DURATION = Number(flags.duration);
const ROUNDS = Number(flags.rounds);
const CONNECTIONS = Number(flags.connections);
const WARM_UP_SECONDS = 1;
const POOL_SIZE = 1000;
const TENANT = { clientKey: 'bench-tenant', sharedSecret: 'bench-shared-secret-0123456789abcdef0123' };

interface Scenario {
  framework: 'express' | 'koa' | 'fastify';
  variant: 'bare' | 'floor' | 'connect-jwt' | 'ace-memory' | 'ace-sqlite';
}
interface Measurement {
  rps: number;
  p99: number;
  cpuPerRequest: number;
}

const scenarios: Scenario[] = [
  ...(['express', 'koa', 'fastify'] as const).flatMap((framework) =>
    (['bare', 'floor', 'connect-jwt'] as const).map((variant) => ({ framework, variant })),
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

/** A working directory with the config.json and descriptor atlassian-connect-express reads from cwd. */
function aceDirectory(variant: Scenario['variant']): string {
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

function askCpu(child: ChildProcess): Promise<NodeJS.CpuUsage> {
  return new Promise((resolve) => {
    const onMessage = (message: { cpu?: NodeJS.CpuUsage }) => {
      if (message.cpu === undefined) return;
      child.off('message', onMessage);
      resolve(message.cpu);
    };
    child.on('message', onMessage);
    child.send('cpu');
  });
}

function load(port: number, seconds: number): Promise<autocannon.Result> {
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

async function measure({ framework, variant }: Scenario): Promise<Measurement> {
  const cwd = variant.startsWith('ace-') ? aceDirectory(variant) : process.cwd();
  const child = fork(fileURLToPath(new URL('./server.ts', import.meta.url)), [framework, variant], {
    cwd,
    execArgv: ['--import', import.meta.resolve('tsx')],
    env: { ...process.env, NODE_ENV: 'production' },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${framework}/${variant} did not start in 60 s`)), 60_000);
      child.once('exit', (code) => reject(new Error(`${framework}/${variant} exited with ${code}`)));
      child.on('message', (message: { port?: number }) => {
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
      throw new Error(`${framework}/${variant}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
    }
    const cpu = after.user - before.user + (after.system - before.system);
    return { rps: answered / DURATION, p99: result.latency.p99, cpuPerRequest: cpu / answered };
  } finally {
    child.removeAllListeners('exit');
    child.kill();
    if (cwd !== process.cwd()) rmSync(cwd, { recursive: true, force: true });
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
};
const key = (s: Scenario) => `${s.framework}/${s.variant}`;
const results = new Map<string, Measurement[]>();

console.log(
  `HTTP benchmark: ${DURATION} s per run after ${WARM_UP_SECONDS} s warm-up, ${CONNECTIONS} connections, ` +
    `${POOL_SIZE} tokens, ${ROUNDS} round(s), Node ${process.version}`,
);
for (let round = 1; round <= ROUNDS; round++) {
  for (const scenario of scenarios) {
    let measurement: Measurement;
    try {
      measurement = await measure(scenario);
    } catch (error) {
      console.log(`round ${round} ${key(scenario).padEnd(22)} FAILED: ${(error as Error).message}`);
      continue;
    }
    results.set(key(scenario), [...(results.get(key(scenario)) ?? []), measurement]);
    console.log(
      `round ${round} ${key(scenario).padEnd(22)} ${measurement.rps.toFixed(0).padStart(7)} req/s  ` +
        `p99 ${String(measurement.p99).padStart(3)} ms  ${measurement.cpuPerRequest.toFixed(1).padStart(6)} µs CPU/req`,
    );
  }
}

const get = (framework: string, variant: string) => results.get(`${framework}/${variant}`) ?? [];
console.log('\nmedians over rounds');
console.log('scenario                  req/s   ×bare   p99 ms   CPU µs/req');
for (const [name, runs] of results) {
  const bare = get(name.split('/')[0] as string, 'bare');
  const rps = median(runs.map((run) => run.rps));
  const vsBare = bare.length ? (rps / median(bare.map((run) => run.rps))).toFixed(2) : '-';
  console.log(
    `${name.padEnd(22)} ${rps.toFixed(0).padStart(8)}  ${vsBare.padStart(6)}  ${median(runs.map((run) => run.p99))
      .toFixed(0)
      .padStart(7)}  ${median(runs.map((run) => run.cpuPerRequest))
      .toFixed(1)
      .padStart(11)}`,
  );
}

console.log('\nratios per round (goals: added CPU ≤ 1.3× the floor; Express req/s ≥ 1.5× ACE in-memory)');
for (const framework of ['express', 'koa', 'fastify']) {
  const [bare, floor, jwt] = ['bare', 'floor', 'connect-jwt'].map((variant) => get(framework, variant));
  if (!bare?.length || !floor?.length || !jwt?.length) continue;
  const rounds = Math.min(bare.length, floor.length, jwt.length);
  const ratios = Array.from({ length: rounds }, (_, i) => {
    const base = (bare[i] as Measurement).cpuPerRequest;
    return ((jwt[i] as Measurement).cpuPerRequest - base) / ((floor[i] as Measurement).cpuPerRequest - base);
  });
  console.log(
    `${framework.padEnd(8)} CPU added by atlassianJwt() / added by the floor: ${ratios.map((r) => r.toFixed(2)).join(', ')}` +
      ` (median ${median(ratios).toFixed(2)})`,
  );
}
for (const peer of ['ace-memory', 'ace-sqlite']) {
  const jwt = get('express', 'connect-jwt');
  const ace = get('express', peer);
  const rounds = Math.min(jwt.length, ace.length);
  if (rounds === 0) continue;
  const ratios = Array.from({ length: rounds }, (_, i) => (jwt[i] as Measurement).rps / (ace[i] as Measurement).rps);
  console.log(
    `express  req/s atlassianJwt() / atlassian-connect-express (${peer}): ${ratios.map((r) => r.toFixed(2)).join(', ')}` +
      ` (median ${median(ratios).toFixed(2)})`,
  );
}
