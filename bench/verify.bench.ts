// `npm run bench`: the cost of authenticating one Jira request, side by side in one process —
// verifyRequest (MemoryStore), the atlassian-jwt npm package, jose's jwtVerify with our qsh, and
// a node:crypto floor that does only the unavoidable work. Goal: verifyRequest within
// 1.3× the floor. Flags: --rounds N, --round-ms N, --json.
import { createHmac, hash, timingSafeEqual } from 'node:crypto';
import { parseArgs } from 'node:util';
import * as atlassianJwt from 'atlassian-jwt';
import { jwtVerify } from 'jose';
import { canonicalRequest, computeQsh, createJwt, MemoryStore, verifyRequest } from '../packages/core/src/index.js';
import { hmacSha256 } from '../packages/core/src/lib/hmac-sha256.js';
import { type BenchCase, formatTable, onOtherClock, runBench } from './lib/harness.js';

const { values: flags } = parseArgs({
  options: {
    rounds: { type: 'string', default: '9' },
    'round-ms': { type: 'string', default: '300' },
    json: { type: 'boolean', default: false },
  },
});

const clientKey = '7d2c5b1e-4f8a-4b6e-9d3c-2a1f0e9b8c7d';
const sharedSecret = 'sKz3Hq9vN2wXr8TbLp4mYc6Ue1Jd5Fa7Gh0Ri2Ko9Ws3Vx';
const baseUrl = 'https://addon.example.com';
const method = 'GET';
const url =
  '/rest/api/3/issue/ABC-1?expand=renderedFields,names&fields=summary,status&properties=*all&fieldsByKeys=false&updateHistory=true';
const token = await createJwt(clientKey, sharedSecret, {
  method,
  uri: url,
  // Long-lived so the run never crosses expiry.
  expiresIn: 24 * 3600,
  subject: '557058:f0e1d2c3-b4a5-4968-8776-655443322110',
});

const store = new MemoryStore();
await store.set({ clientKey, sharedSecret, baseUrl: 'https://example.atlassian.net' });
const request = { method, url, headers: { authorization: `JWT ${token}` } };
const verifyOptions = { store, baseUrl };

// jose: the key imported once, as the most favourable way to call it.
const cryptoKey = await crypto.subtle.importKey(
  'raw',
  new TextEncoder().encode(sharedSecret),
  { name: 'HMAC', hash: 'SHA-256' },
  false,
  ['verify'],
);

// The floor: only the work no verifier can skip — one HMAC, a constant-time compare, one JSON.parse
// and one SHA-256 of the (already canonical) request string.
const canonical = canonicalRequest(method, url, { baseUrl });
const lastDot = token.lastIndexOf('.');
const firstDot = token.indexOf('.');

function floor(): void {
  const signingInput = token.slice(0, lastDot);
  const signature = Buffer.from(token.slice(lastDot + 1), 'base64url');
  const expected = createHmac('sha256', sharedSecret).update(signingInput).digest();
  if (!timingSafeEqual(signature, expected)) throw new Error('floor: bad signature');
  const payload = JSON.parse(Buffer.from(token.slice(firstDot + 1, lastDot), 'base64url').toString('utf8'));
  if (hash('sha256', canonical, 'hex') !== payload.qsh) throw new Error('floor: bad qsh');
}

// The same floor with the HMAC verifyRequest uses (padded key blocks cached per secret): shows how
// much of the gap is left once that saving is given to the floor too.
function floorCachedKey(): void {
  const signature = Buffer.from(token.slice(lastDot + 1), 'base64url');
  const expected = hmacSha256(sharedSecret, token.slice(0, lastDot));
  if (!timingSafeEqual(signature, expected)) throw new Error('floor: bad signature');
  const payload = JSON.parse(Buffer.from(token.slice(firstDot + 1, lastDot), 'base64url').toString('utf8'));
  if (hash('sha256', canonical, 'hex') !== payload.qsh) throw new Error('floor: bad qsh');
}

function atlassianJwtPath(): void {
  const payload = atlassianJwt.decodeSymmetric(token, sharedSecret, atlassianJwt.SymmetricAlgorithm.HS256);
  const qsh = atlassianJwt.createQueryStringHash(atlassianJwt.fromMethodAndUrl(method, url), false, baseUrl);
  if (qsh !== payload.qsh) throw new Error('atlassian-jwt: bad qsh');
}

async function josePath(): Promise<void> {
  const { payload } = await jwtVerify(token, cryptoKey, { algorithms: ['HS256'], clockTolerance: 30 });
  if (computeQsh(method, url, { baseUrl }) !== payload.qsh) throw new Error('jose: bad qsh');
}

async function connectJwtPath(): Promise<void> {
  await verifyRequest(request, verifyOptions);
}

const cases: BenchCase[] = [
  { name: 'verifyRequest (MemoryStore)', fn: connectJwtPath },
  { name: 'atlassian-jwt decode + qsh', fn: atlassianJwtPath },
  { name: 'jose jwtVerify (CryptoKey) + qsh', fn: josePath },
  { name: 'floor, HMAC key cached', fn: floorCachedKey },
  { name: 'node:crypto floor', fn: floor },
];

// Every path must succeed on this token before it is timed.
for (const benchCase of cases) await benchCase.fn();

console.log(`token: ${token.length} bytes; ${method} ${url}`);
const results = await runBench(cases, {
  rounds: Number(flags.rounds),
  roundMs: Number(flags['round-ms']),
});
console.log('\nwall time');
console.log(formatTable(results, 'node:crypto floor'));
// CPU time is what compares on a machine shared with other work: their load moves wall time.
console.log('\nCPU time of this process');
console.log(formatTable(onOtherClock(results), 'node:crypto floor'));
if (flags.json) console.log(JSON.stringify(results));
