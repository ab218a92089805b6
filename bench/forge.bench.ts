// `npm run bench` (Forge rows): the cost of verifying one Forge Invocation Token, side by side in
// one process — verifyForgeInvocation with a warm key, jose's jwtVerify with a cached remote JWKS,
// the per-request pattern of atlassian-connect-express (a new remote JWKS per request, here
// against a JWKS on 127.0.0.1, so no CDN latency is counted), and a node:crypto floor that does
// only the unavoidable work. Goal: verifyForgeInvocation within 1.2× the floor.
// Flags: --rounds N, --round-ms N, --json.
import { spawn } from 'node:child_process';
import { verify } from 'node:crypto';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { parseJwks } from '../packages/core/src/forge/key-set.js';
import { verifyForgeInvocation } from '../packages/core/src/index.js';
import { createFakeForge } from '../packages/testing/src/index.js';
import { type BenchCase, formatTable, onOtherClock, runBench } from './lib/harness.js';

const { values: flags } = parseArgs({
  options: {
    rounds: { type: 'string', default: '9' },
    'round-ms': { type: 'string', default: '300' },
    json: { type: 'boolean', default: false },
  },
});

const forge = await createFakeForge();
// The JWKS the jose and ACE rows fetch is served by another process, so serving it is not counted
// against (or left running during) the rows measured here; only the fetching client is.
const jwksServer = spawn(
  process.execPath,
  [
    '-e',
    `const body = process.env.JWKS;
     require('node:http').createServer((q, r) => r.writeHead(200, { 'content-type': 'application/json' }).end(body))
       .listen(0, '127.0.0.1', function () { process.stdout.write(String(this.address().port) + '\\n'); });`,
  ],
  { env: { JWKS: await (await fetch(forge.jwksUrl)).text() }, stdio: ['ignore', 'pipe', 'inherit'] },
);
const [portLine] = (await once(jwksServer.stdout, 'data')) as [Buffer];
const remoteJwksUrl = new URL(`http://127.0.0.1:${portLine.toString().trim()}/.well-known/jwks.json`);
// Long-lived so the run never crosses expiry.
const headers = forge.headers({ expiresIn: 24 * 3600 });
const token = (headers.authorization as string).slice('Bearer '.length);
const request = { method: 'POST', url: '/forge/events', headers };
const options = { appId: forge.appId, jwksUrl: forge.jwksUrl };
const claimsCheck = { audience: forge.appId, issuer: 'forge/invocation-token', algorithms: ['RS256'] };

// The floor: the RSA verification with a KeyObject already in hand, and one JSON.parse of the claims.
const keyObject = parseJwks(await (await fetch(forge.jwksUrl)).text()).get(forge.kid);
if (keyObject === undefined) throw new Error('floor: the JWKS has no key for the token');
const firstDot = token.indexOf('.');
const lastDot = token.lastIndexOf('.');
function floor(): void {
  const signature = Buffer.from(token.slice(lastDot + 1), 'base64url');
  if (!verify('sha256', Buffer.from(token.slice(0, lastDot)), keyObject as never, signature)) {
    throw new Error('floor: bad signature');
  }
  const payload = JSON.parse(Buffer.from(token.slice(firstDot + 1, lastDot), 'base64url').toString('utf8'));
  if (payload.aud !== forge.appId) throw new Error('floor: bad aud');
}

async function connectJwtPath(): Promise<void> {
  await verifyForgeInvocation(request, options);
}

// jose as favourably as it can be used: one remote JWKS for the process, already warm.
const cachedJwks = createRemoteJWKSet(remoteJwksUrl);
async function joseCached(): Promise<void> {
  await jwtVerify(token, cachedJwks, claimsCheck);
}

// atlassian-connect-express 11.5 builds the remote JWKS inside the request handler: every request
// fetches the JWKS again.
async function acePerRequest(): Promise<void> {
  await jwtVerify(token, createRemoteJWKSet(remoteJwksUrl), claimsCheck);
}

const ours: BenchCase = { name: 'verifyForgeInvocation (warm key)', fn: connectJwtPath };
const floorCase: BenchCase = { name: 'node:crypto RS256 floor', fn: floor };
const alternatives: BenchCase[] = [
  { name: 'jose jwtVerify (cached remote JWKS)', fn: joseCached },
  { name: 'ACE pattern (new remote JWKS per request)', fn: acePerRequest },
];

// Every path must succeed on this token before it is timed.
for (const benchCase of [ours, floorCase, ...alternatives]) await benchCase.fn();

const benchOptions = { rounds: Number(flags.rounds), roundMs: Number(flags['round-ms']) };
const report = (title: string, results: Awaited<ReturnType<typeof runBench>>) => {
  console.log(`\n${title}: wall time`);
  console.log(formatTable(results, floorCase.name));
  // CPU time is what compares on a machine shared with other work: their load moves wall time.
  console.log(`\n${title}: CPU time of this process (the JWKS server is another process)`);
  console.log(formatTable(onOtherClock(results), floorCase.name));
};
console.log(`\nForge Invocation Token: ${token.length} bytes, RS256; JWKS on 127.0.0.1`);
// Measured on their own first: jose verifies through WebCrypto (the libuv thread pool) and the
// ACE row opens a connection per call, and interleaved slices of those disturb the wall clock of
// the rows around them. Goal: verifyForgeInvocation within 1.2x the floor.
const goal = await runBench([ours, floorCase], benchOptions);
report('verifyForgeInvocation vs the floor', goal);
const all = await runBench([ours, ...alternatives, floorCase], benchOptions);
report('with jose and the ACE pattern', all);
if (flags.json) console.log(JSON.stringify({ goal, all }));
jwksServer.kill();
await forge.close();
