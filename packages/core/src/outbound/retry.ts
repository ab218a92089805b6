// Rate limits on calls to the product: Atlassian answers 429 (and some 503s) with Retry-After, and
// enforces points-based quotas on apps. One policy for productFetch and forgeFetch.

/** How `productFetch` and `forgeFetch` retry a rate-limited call; `retry: false` turns it off. */
export interface RetryOptions {
  /** Retries at most (after the first attempt); default 4. */
  retries?: number;
  /** No single wait longer than this, in ms; a longer Retry-After ends the retries at once. Default 30 000. */
  maxWaitMs?: number;
  /** Waiting in all at most this, in ms; default 60 000. */
  maxTotalWaitMs?: number;
  /** Methods retried besides the idempotent ones (GET, HEAD, OPTIONS, PUT, DELETE), e.g. `['POST']`. */
  methods?: readonly string[];
  /** Called before each wait: log it, count it, or watch the quota headers. */
  onRetry?: (event: RetryEvent) => void;
  /**
   * How a wait is spent; default a timer that `init.signal` cuts short. Tests pass one that
   * advances a fake clock instead of waiting.
   */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** One retry about to happen. */
export interface RetryEvent {
  /** 1 for the first retry, 2 for the second… */
  attempt: number;
  /** Milliseconds it waits before sending again. */
  waitMs: number;
  /** The status that caused it: 429 or 503. */
  status: number;
  method: string;
  url: string;
  /** The `Retry-After` header as received, when there was one. */
  retryAfter: string | undefined;
  /** `RateLimit-Reason` (e.g. `jira-quota-tenant-based`), when sent. */
  rateLimitReason: string | undefined;
  /**
   * The quota headers of Atlassian's points-based limits, lower-cased (`beta-ratelimit`,
   * `beta-ratelimit-policy`, `x-beta-ratelimit-reason`, `x-beta-ratelimit-nearlimit`,
   * `x-beta-ratelimit-reset`, and the `x-ratelimit-*` ones), as received.
   */
  quota: Record<string, string>;
}

const IDEMPOTENT = ['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE'];
/** The first backoff's ceiling without Retry-After; doubles each retry. */
const BACKOFF_BASE_MS = 1000;

/** A RetryOptions checked once, with its defaults filled in. */
export interface RetryPolicy {
  retries: number;
  maxWaitMs: number;
  maxTotalWaitMs: number;
  methods: ReadonlySet<string>;
  onRetry: ((event: RetryEvent) => void) | undefined;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
}

const DEFAULT_POLICY: RetryPolicy = {
  retries: 4,
  maxWaitMs: 30_000,
  maxTotalWaitMs: 60_000,
  methods: new Set(IDEMPOTENT),
  onRetry: undefined,
  sleep: abortableSleep,
};

/** The policy for `retry` (undefined: the defaults; false: none). A bad option is a TypeError naming it. */
export function retryPolicy(retry: RetryOptions | false | undefined, where: string): RetryPolicy | undefined {
  if (retry === undefined) return DEFAULT_POLICY;
  if (retry === false) return undefined;
  if (retry === null || typeof retry !== 'object') throw new TypeError(`${where}: retry must be an object or false`);
  const count = (name: 'retries' | 'maxWaitMs' | 'maxTotalWaitMs') => {
    const value = retry[name];
    if (value === undefined) return DEFAULT_POLICY[name];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
      throw new TypeError(`${where}: retry.${name} must be a non-negative integer`);
    }
    return value;
  };
  const methods = new Set(IDEMPOTENT);
  if (retry.methods !== undefined) {
    if (!Array.isArray(retry.methods) || !retry.methods.every((m) => typeof m === 'string' && m !== '')) {
      throw new TypeError(`${where}: retry.methods must be an array of HTTP method names`);
    }
    for (const method of retry.methods) methods.add(method.toUpperCase());
  }
  for (const name of ['onRetry', 'sleep'] as const) {
    if (retry[name] !== undefined && typeof retry[name] !== 'function') {
      throw new TypeError(`${where}: retry.${name} must be a function`);
    }
  }
  return {
    retries: count('retries'),
    maxWaitMs: count('maxWaitMs'),
    maxTotalWaitMs: count('maxTotalWaitMs'),
    methods,
    onRetry: retry.onRetry,
    sleep: retry.sleep ?? abortableSleep,
  };
}

/** Whether a body can be sent a second time: a stream is used up by the first attempt. */
export function isReplayableBody(body: RequestInit['body']): boolean {
  return (
    body === undefined ||
    body === null ||
    typeof body === 'string' ||
    body instanceof ArrayBuffer ||
    ArrayBuffer.isView(body) ||
    body instanceof URLSearchParams ||
    body instanceof Blob ||
    body instanceof FormData
  );
}

/**
 * Sends (`send` signs each attempt anew) and, while the product answers 429 or 503 with
 * Retry-After, waits and sends again within the policy. The last response is returned as fetch
 * would; only an abort of `signal` (during a wait too) throws.
 */
export async function sendWithRetry(
  send: () => Promise<Response>,
  policy: RetryPolicy | undefined,
  request: { method: string; url: string; body: RequestInit['body']; signal: AbortSignal | null | undefined },
): Promise<Response> {
  let response = await send();
  // The common case leaves here: one status check is all a 2xx costs.
  if (response.status !== 429 && response.status !== 503) return response;
  if (policy === undefined || !policy.methods.has(request.method) || !isReplayableBody(request.body)) return response;
  let waited = 0;
  for (let attempt = 1; attempt <= policy.retries; attempt++) {
    const waitMs = waitBefore(response, attempt, policy);
    // A wait past the limits would end in a refusal anyway: hand the answer back now.
    if (waitMs === undefined || waitMs > policy.maxWaitMs || waited + waitMs > policy.maxTotalWaitMs) break;
    policy.onRetry?.({
      attempt,
      waitMs,
      status: response.status,
      method: request.method,
      url: request.url,
      retryAfter: response.headers.get('retry-after') ?? undefined,
      rateLimitReason: response.headers.get('ratelimit-reason') ?? undefined,
      quota: quotaHeaders(response.headers),
    });
    // Frees the connection; this answer is never handed out.
    await response.body?.cancel().catch(() => {});
    await policy.sleep(waitMs, request.signal ?? undefined);
    waited += waitMs;
    response = await send();
    if (response.status !== 429 && response.status !== 503) break;
  }
  return response;
}

/** Milliseconds to wait before `attempt`, or undefined when this answer is not retried. */
function waitBefore(response: Response, attempt: number, policy: RetryPolicy): number | undefined {
  const header = response.headers.get('retry-after');
  const asked = header === null ? undefined : parseRetryAfter(header);
  if (asked !== undefined) return asked;
  // A 503 without Retry-After is an outage, not a limit: sending again would only add load.
  if (response.status === 503) return undefined;
  // Full jitter: a fleet of clients refused together spreads its retries over the whole window.
  const ceiling = Math.min(policy.maxWaitMs, BACKOFF_BASE_MS * 2 ** (attempt - 1));
  return Math.floor(Math.random() * ceiling);
}

/** Retry-After as milliseconds from now: delay-seconds or an HTTP date (RFC 9110); undefined when neither. */
export function parseRetryAfter(value: string, now = Date.now()): number | undefined {
  const trimmed = value.trim();
  if (/^\d{1,10}$/.test(trimmed)) return Number(trimmed) * 1000;
  // Only a date that names a weekday or month: Date.parse alone accepts almost anything.
  if (!/[A-Za-z]{3}/.test(trimmed)) return undefined;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function quotaHeaders(headers: Headers): Record<string, string> {
  const quota: Record<string, string> = {};
  headers.forEach((value, name) => {
    if (name.startsWith('beta-ratelimit') || name.startsWith('x-beta-ratelimit') || name.startsWith('x-ratelimit')) {
      quota[name] = value;
    }
  });
  return quota;
}

/** A timer that an abort of `signal` ends at once, rejecting with its reason as fetch does. */
function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
