// What the load and fault suites share: an example add-on in a child process, installations installed
// through its real lifecycle route, a pool of tagged requests (valid and invalid host tokens) and
// an autocannon run that checks every single answer against what its request should get.
import { randomBytes, randomUUID } from 'node:crypto';
import { nowSeconds, unsignedToken } from '@connect-jwt/adapter-test-suite';
import { installPayload, type KeyServer, mintContextToken, mintHostToken, signInstall } from '@connect-jwt/testing';
import autocannon from 'autocannon';
import { type AddonProcess, launchAddonProcess } from '../addon-process/launch.ts';

export type { AddonProcess };

export type Framework = 'express' | 'koa' | 'fastify';
export const FRAMEWORKS: Framework[] = ['express', 'koa', 'fastify'];

export interface AddonProcessOptions {
  framework: Framework;
  storeKind: 'sqlite' | 'redis' | 'postgres';
  /** SQLite file, or the Redis/Postgres URL (through a proxy for fault runs). */
  storeUrl: string;
  storeNamespace?: string;
  storeTimeoutMs?: number;
  keyServerUrl: string;
  /** The public base URL shared by a fleet of instances (default: the instance's own address). */
  baseUrl?: string;
  /** The fleet setup: `cachedStore(encryptedStore(store, encryptionKey), { ttl: cacheTtl })`. */
  fleet?: { encryptionKey: string; cacheTtl: number };
}

/** Starts an example add-on in a child process (launch.ts, the one add-on process launcher). */
export function startAddonProcess(options: AddonProcessOptions): Promise<AddonProcess> {
  return launchAddonProcess(
    'example-addon',
    {
      FRAMEWORK: options.framework,
      STORE_KIND: options.storeKind,
      STORE_URL: options.storeUrl,
      STORE_NAMESPACE: options.storeNamespace ?? '',
      STORE_TIMEOUT_MS: options.storeTimeoutMs ? String(options.storeTimeoutMs) : '',
      KEY_SERVER_URL: options.keyServerUrl,
      BASE_URL: options.baseUrl ?? '',
      ENCRYPTION_KEY: options.fleet?.encryptionKey ?? '',
      CACHE_TTL: options.fleet ? String(options.fleet.cacheTtl) : '',
    },
    `${options.framework} add-on`,
  );
}

export interface Installation {
  clientKey: string;
  sharedSecret: string;
  accountId: string;
}

/** Reads the add-on key from the descriptor, as the product does before installing. */
export async function appKeyOf(addonUrl: string): Promise<string> {
  const response = await fetch(`${addonUrl}/atlassian-connect.json`);
  const descriptor = (await response.json()) as { key: string };
  return descriptor.key;
}

/** POSTs a signed install (RS256 by the key server's key) for a installation; returns the response. */
export async function sendInstall(
  addonUrl: string,
  key: Parameters<typeof signInstall>[0]['key'],
  appKey: string,
  installation: Pick<Installation, 'clientKey' | 'sharedSecret'>,
): Promise<Response> {
  const payload = installPayload({
    key: appKey,
    clientKey: installation.clientKey,
    sharedSecret: installation.sharedSecret,
  });
  const token = signInstall({ key, addonBaseUrl: addonUrl, payload });
  return fetch(`${addonUrl}/installed`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `JWT ${token}` },
    body: JSON.stringify(payload),
  });
}

export function newInstallation(): Installation {
  return {
    clientKey: randomUUID(),
    sharedSecret: randomBytes(32).toString('base64url'),
    accountId: `5b10ac8d82e05b22cc7d4ef5${randomBytes(4).toString('hex')}`,
  };
}

/** Installs `count` installations through the add-on's own `/installed` route. */
export async function installInstallations(
  addonUrl: string,
  keyServer: KeyServer,
  count: number,
): Promise<Installation[]> {
  const appKey = await appKeyOf(addonUrl);
  const installations: Installation[] = [];
  for (let i = 0; i < count; i++) {
    const installation = newInstallation();
    const response = await sendInstall(addonUrl, keyServer.key, appKey, installation);
    if (response.status !== 204 && response.status !== 200) {
      throw new Error(`install ${i} answered ${response.status}: ${await response.text()}`);
    }
    installations.push(installation);
  }
  return installations;
}

/** What a request of the pool is and what its answer must be. */
export interface PoolEntry {
  kind: string;
  valid: boolean;
  /** Whether the answer needs the store (a store outage turns it into a 503). */
  usesStore: boolean;
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
  status: number;
  /** `code` of a refusal, or the clientKey a 200 must name. */
  code?: string;
  /** Text a 200 body must contain. */
  contains: string;
}

const INVALID_KINDS = [
  'wrong-secret',
  'expired',
  'other-qsh',
  'garbage',
  'unknown-issuer',
  'alg-none',
  'context-token-on-strict-route',
  'no-token',
] as const;

function iframeQuery(installation: Installation, n: number): string {
  return (
    `xdm_e=${encodeURIComponent('https://example.atlassian.net')}&xdm_c=channel-hello&cp=&lic=none&cv=1001.0.0` +
    `&user_id=${installation.accountId}&n=${n}`
  );
}

function garbageToken(n: number): string {
  const shapes = [
    'not-a-token',
    `${randomBytes(24).toString('base64url')}.${randomBytes(24).toString('base64url')}`,
    `eyJhbGciOiJIUzI1NiJ9.${randomBytes(40).toString('base64url')}.${randomBytes(32).toString('base64url')}`,
    `${'a'.repeat(20)}..${'b'.repeat(20)}`,
    `${randomBytes(30).toString('base64url')}.!!!.${randomBytes(10).toString('base64url')}`,
  ];
  return shapes[n % shapes.length] as string;
}

async function validEntry(addonUrl: string, installation: Installation, n: number): Promise<PoolEntry> {
  const identity = {
    clientKey: installation.clientKey,
    sharedSecret: installation.sharedSecret,
    addonBaseUrl: addonUrl,
  };
  const common = { kind: '', valid: true, usesStore: true, status: 200, code: installation.clientKey };
  switch (n % 4) {
    case 0: {
      // The iframe load: token in the query, bound to the whole URL.
      const path = `/hello?${iframeQuery(installation, n)}`;
      const token = await mintHostToken(identity, { url: path, accountId: installation.accountId });
      return {
        ...common,
        kind: 'valid: iframe GET /hello (jwt in query)',
        method: 'GET',
        path: `${path}&jwt=${token}`,
        headers: {},
        contains: installation.accountId,
      };
    }
    case 1: {
      const path = `/hello?n=${n}&space=a%20b`;
      const token = await mintHostToken(identity, { url: path, accountId: installation.accountId });
      return {
        ...common,
        kind: 'valid: GET /hello (header)',
        method: 'GET',
        path,
        headers: { Authorization: `JWT ${token}` },
        contains: installation.accountId,
      };
    }
    case 2: {
      const token = await mintContextToken(identity, { accountId: installation.accountId, context: { n } });
      return {
        ...common,
        kind: 'valid: context token GET /api/context',
        method: 'GET',
        path: '/api/context',
        headers: { Authorization: `JWT ${token}` },
        contains: `"clientKey":"${installation.clientKey}"`,
      };
    }
    default: {
      // connectWebhooks: handled once per identifier through the store, answered 204; each send of
      // this entry is a new delivery (freshDelivery).
      const path = '/webhooks/issue-created';
      const token = await mintHostToken(identity, { method: 'POST', url: path, accountId: installation.accountId });
      return {
        ...common,
        kind: 'valid: webhook POST /webhooks/issue-created',
        method: 'POST',
        path,
        headers: {
          Authorization: `JWT ${token}`,
          'Content-Type': 'application/json',
          'X-Atlassian-Webhook-Identifier': `load-${randomBytes(8).toString('hex')}`,
          'X-Atlassian-Webhook-Flow': 'Primary',
        },
        body: JSON.stringify({ webhookEvent: 'jira:issue_created', issue: { key: `TEST-${n}` } }),
        status: 204,
        contains: '',
      };
    }
  }
}

async function invalidEntry(addonUrl: string, installation: Installation, n: number): Promise<PoolEntry> {
  const kind = INVALID_KINDS[n % INVALID_KINDS.length] as (typeof INVALID_KINDS)[number];
  const identity = {
    clientKey: installation.clientKey,
    sharedSecret: installation.sharedSecret,
    addonBaseUrl: addonUrl,
  };
  const path = `/hello?n=${n}`;
  const entry = (token: string | undefined, code: string, usesStore: boolean): PoolEntry => ({
    kind: `invalid: ${kind}`,
    valid: false,
    usesStore,
    method: 'GET',
    path,
    headers: token === undefined ? {} : { Authorization: `JWT ${token}` },
    status: 401,
    code,
    contains: '',
  });
  switch (kind) {
    case 'wrong-secret':
      return entry(
        await mintHostToken({ ...identity, sharedSecret: randomBytes(32).toString('base64url') }, { url: path }),
        'ERR_INVALID_SIGNATURE',
        true,
      );
    case 'expired':
      return entry(await mintHostToken(identity, { url: path, now: Date.now() - 3600_000 }), 'ERR_TOKEN_EXPIRED', true);
    case 'other-qsh':
      return entry(await mintHostToken(identity, { url: `/hello?n=${n + 1}` }), 'ERR_QSH_MISMATCH', true);
    case 'garbage':
      return entry(garbageToken(n), 'ERR_TOKEN_MALFORMED', false);
    case 'unknown-issuer':
      return entry(
        await mintHostToken({ ...identity, clientKey: randomUUID() }, { url: path }),
        'ERR_INVALID_ISSUER',
        true,
      );
    case 'alg-none': {
      const iat = nowSeconds();
      const token = unsignedToken({ alg: 'none', typ: 'JWT' }, { iss: installation.clientKey, iat, exp: iat + 180 });
      return entry(token, 'ERR_ALG_UNSUPPORTED', false);
    }
    case 'context-token-on-strict-route':
      return entry(await mintContextToken(identity), 'ERR_QSH_MISMATCH', true);
    default:
      return entry(undefined, 'ERR_TOKEN_MISSING', false);
  }
}

/**
 * `size` tagged requests over the installations, `invalidShare` of them invalid (evenly over the invalid
 * kinds), in a fixed interleaving so every stretch of the run sees every kind.
 */
export async function buildPool(
  addonUrl: string,
  installations: Installation[],
  size: number,
  invalidShare: number,
): Promise<PoolEntry[]> {
  const pool: PoolEntry[] = [];
  const every = Math.round(1 / invalidShare);
  let valid = 0;
  let invalid = 0;
  for (let i = 0; i < size; i++) {
    const installation = installations[i % installations.length] as Installation;
    pool.push(
      i % every === every - 1
        ? await invalidEntry(addonUrl, installation, invalid++)
        : await validEntry(addonUrl, installation, valid++),
    );
  }
  return pool;
}

/** An answer as the load run saw it. */
export interface Answer {
  entry: PoolEntry;
  status: number;
  body: string;
  /** ms since the run's origin (performance.now()) */
  sentAt: number;
  answeredAt: number;
}

/** The answer a request must get when every dependency is up; undefined when it did. */
export function exactProblem(answer: Answer): string | undefined {
  const { entry, status, body } = answer;
  if (status !== entry.status)
    return `${entry.kind}: status ${status}, expected ${entry.status} (${body.slice(0, 160)})`;
  if (entry.status === 204) return body === '' ? undefined : `${entry.kind}: 204 with a body (${body.slice(0, 160)})`;
  if (entry.status === 200) {
    if (!body.includes(entry.contains)) return `${entry.kind}: 200 body lacks ${entry.contains}`;
    if (entry.path.startsWith('/api/') || entry.path.startsWith('/webhooks/')) {
      const clientKey = (JSON.parse(body) as { clientKey?: string }).clientKey;
      if (clientKey !== entry.code) return `${entry.kind}: answered for clientKey ${clientKey}, not ${entry.code}`;
    }
    return undefined;
  }
  return codeProblem(answer, entry.code as string);
}

/** A refusal must be JSON with the given code and never echo the token. */
export function codeProblem(answer: Answer, code: string): string | undefined {
  let parsed: { code?: unknown; message?: unknown };
  try {
    parsed = JSON.parse(answer.body);
  } catch {
    return `${answer.entry.kind}: ${answer.status} body is not JSON: ${answer.body.slice(0, 160)}`;
  }
  if (parsed.code !== code) return `${answer.entry.kind}: code ${String(parsed.code)}, expected ${code}`;
  const token = /JWT (\S+)/.exec(answer.entry.headers.Authorization ?? '')?.[1];
  if (token && token.length > 8 && answer.body.includes(token))
    return `${answer.entry.kind}: the body echoes the token`;
  return undefined;
}

export interface LoadRun {
  requests: number;
  requestsPerSecond: number;
  p99Ms: number;
  maxLatencyMs: number;
  errors: number;
  timeouts: number;
  status5xx: number;
  statuses: Record<string, number>;
  /** answers per kind */
  kinds: Record<string, number>;
  problems: string[];
  problemCount: number;
}

export interface LoadOptions {
  url: string;
  pool: PoolEntry[];
  duration: number;
  connections: number;
  /** Per-request timeout in seconds (autocannon counts a longer wait as a timeout). */
  timeout?: number;
  /** Returns a description when the answer is wrong; default `exactProblem`. */
  check?: (answer: Answer) => string | undefined;
  /** Called with every answer (fault runs keep them to judge by phase). */
  onAnswer?: (answer: Answer) => void;
}

/** Runs autocannon against the pool for `duration` seconds and checks every answer. */
/**
 * A webhook entry as a new delivery each time it is sent, as a product sends each event: replayed
 * with one identifier, a send whose `done` mark was lost to a store outage would meet its own
 * claim (409 until the lease ends) instead of the 204 a new event gets.
 */
function freshDelivery(headers: Record<string, string>, sendNumber: number): Record<string, string> {
  const identifier = headers['X-Atlassian-Webhook-Identifier'];
  if (identifier === undefined) return headers;
  return { ...headers, 'X-Atlassian-Webhook-Identifier': `${identifier}-${sendNumber}` };
}

export async function runLoad(options: LoadOptions): Promise<LoadRun> {
  const { pool } = options;
  const check = options.check ?? exactProblem;
  let next = 0;
  const kinds: Record<string, number> = {};
  const statuses: Record<string, number> = {};
  const problems: string[] = [];
  let problemCount = 0;
  let maxLatencyMs = 0;

  interface Context {
    index?: number;
    sentAt?: number;
  }
  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.duration,
    timeout: options.timeout ?? 10,
    requests: [
      {
        setupRequest(request: Record<string, unknown>, context: Context) {
          const index = next++ % pool.length;
          const entry = pool[index] as PoolEntry;
          context.index = index;
          context.sentAt = performance.now();
          return {
            ...request,
            method: entry.method,
            path: entry.path,
            headers: freshDelivery(entry.headers, next),
            ...(entry.body !== undefined && { body: entry.body }),
          };
        },
        onResponse(status: number, body: string, context: Context) {
          const answeredAt = performance.now();
          const entry = pool[context.index ?? -1];
          if (!entry) return;
          const answer: Answer = { entry, status, body, sentAt: context.sentAt ?? answeredAt, answeredAt };
          maxLatencyMs = Math.max(maxLatencyMs, answeredAt - answer.sentAt);
          kinds[entry.kind] = (kinds[entry.kind] ?? 0) + 1;
          statuses[status] = (statuses[status] ?? 0) + 1;
          options.onAnswer?.(answer);
          const problem = check(answer);
          if (problem) {
            problemCount++;
            if (problems.length < 20) problems.push(problem);
          }
        },
      },
    ],
  } as autocannon.Options);
  const status5xx = Object.entries(statuses)
    .filter(([status]) => status.startsWith('5'))
    .reduce((sum, [, count]) => sum + count, 0);
  return {
    requests: Object.values(kinds).reduce((sum, count) => sum + count, 0),
    requestsPerSecond: result.requests.average,
    p99Ms: result.latency.p99,
    maxLatencyMs: Math.round(maxLatencyMs),
    errors: result.errors,
    timeouts: result.timeouts,
    status5xx,
    statuses,
    kinds,
    problems,
    problemCount,
  };
}

export const MiB = 1024 * 1024;
