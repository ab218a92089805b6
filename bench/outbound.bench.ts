// `npm run bench` (outbound rows): the CPU cost of one productFetch to a product on 127.0.0.1,
// as the add-on (a JWT signed per call) and as a user with a cached Bearer token, side by side in
// one run. The product is another process, so only the calling side is counted. Goal: the user
// call adds at most 5 µs of CPU over the plain one (it signs no JWT, so it usually costs less);
// the cache lookup alone is timed too. Flags: --rounds N, --round-ms N, --json.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { getUserAccessToken, type Installation, productFetch } from '../packages/core/src/index.js';
import { type BenchCase, formatTable, median, onOtherClock, runBench } from './lib/harness.js';

const { values: flags } = parseArgs({
  options: {
    rounds: { type: 'string', default: '9' },
    'round-ms': { type: 'string', default: '300' },
    json: { type: 'boolean', default: false },
  },
});

// The product and its authorization server in one small process: every call answers `{}`, a
// token request a Bearer token that outlives the run.
const product = spawn(
  process.execPath,
  [
    '-e',
    `require('node:http').createServer((q, r) => {
       const body = q.url === '/oauth2/token'
         ? JSON.stringify({ access_token: 'bench-user-token', expires_in: 24 * 3600, token_type: 'Bearer' })
         : '{}';
       q.resume();
       q.on('end', () => r.writeHead(200, { 'content-type': 'application/json' }).end(body));
     }).listen(0, '127.0.0.1', function () { process.stdout.write(String(this.address().port) + '\\n'); });`,
  ],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
const [portLine] = (await once(product.stdout, 'data')) as [Buffer];
const baseUrl = `http://127.0.0.1:${portLine.toString().trim()}`;
const installation: Installation = {
  clientKey: '7d2c5b1e-4f8a-4b6e-9d3c-2a1f0e9b8c7d',
  sharedSecret: 'sKz3Hq9vN2wXr8TbLp4mYc6Ue1Jd5Fa7Gh0Ri2Ko9Ws3Vx',
  baseUrl,
  oauthClientId: 'bench-oauth-client',
};
const path = '/rest/api/3/issue/ABC-1?fields=summary,status';
const appKey = 'com.example.bench';
const as = { accountId: '557058:f0e1d2c3-b4a5-4968-8776-655443322110' };
const asUser = { appKey, as, authorizationServerUrl: baseUrl };
// Warm: the user token is in the cache before anything is timed.
await getUserAccessToken(installation, { ...as, authorizationServerUrl: baseUrl });

async function plain(): Promise<void> {
  await (await productFetch(installation, { appKey }, path)).arrayBuffer();
}
async function user(): Promise<void> {
  await (await productFetch(installation, asUser, path)).arrayBuffer();
}

const plainCase: BenchCase = { name: 'productFetch as the add-on (JWT per call)', fn: plain };
const userCase: BenchCase = { name: 'productFetch as a user (cached token)', fn: user };
for (const benchCase of [plainCase, userCase]) await benchCase.fn();
// What the user path does besides fetch, alone: checking the options and finding the cached token.
const lookup = { ...as, authorizationServerUrl: baseUrl };
const lookupCase: BenchCase = {
  name: 'getUserAccessToken (cache hit)',
  fn: () => getUserAccessToken(installation, lookup),
};

const results = await runBench([userCase, plainCase], {
  rounds: Number(flags.rounds),
  roundMs: Number(flags['round-ms']),
});
const cpu = onOtherClock(results);
console.log('\nproductFetch to 127.0.0.1: wall time');
console.log(formatTable(results, plainCase.name));
console.log('\nproductFetch to 127.0.0.1: CPU time of this process (the product is another process)');
console.log(formatTable(cpu, plainCase.name));
// Per round, the CPU µs a user call costs beyond a plain one; the median over rounds.
const [userCpu, plainCpu] = cpu as [(typeof cpu)[number], (typeof cpu)[number]];
const addedMicros = median(userCpu.rounds.map((ops, round) => 1e6 / ops - 1e6 / (plainCpu.rounds[round] as number)));
console.log(
  `\nas a user adds ${addedMicros.toFixed(2)} µs of CPU per call over a plain productFetch (goal: at most 5 µs): ${addedMicros <= 5 ? 'met' : 'MISSED'}`,
);
const [lookupResult] = await runBench([lookupCase], {
  rounds: Number(flags.rounds),
  roundMs: Number(flags['round-ms']),
});
const lookupMicros = 1e6 / (lookupResult?.otherClock?.opsPerSecond ?? Number.NaN);
console.log(`getUserAccessToken with the token cached: ${lookupMicros.toFixed(2)} µs of CPU per call`);
if (flags.json) console.log(JSON.stringify({ results, addedMicros, lookupMicros }));
product.kill();
