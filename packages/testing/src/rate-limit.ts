/** A rate-limited answer the fake product gives instead of the next calls' real ones. */
export interface RateLimitOptions {
  /** 429 (default) or 503. */
  status?: 429 | 503;
  /**
   * `Retry-After`: seconds (a number), the header as given (a string, e.g. an HTTP date), or
   * `null` for none. Default 1.
   */
  retryAfter?: number | string | null;
  /** How many calls in a row get it; default 1. */
  times?: number;
  /** `RateLimit-Reason`; default `jira-quota-tenant-based`. */
  reason?: string;
  /** More headers on the answer (e.g. `Beta-RateLimit`). */
  headers?: Record<string, string>;
}

/** A scripted answer, ready to send. */
export interface LimitedAnswer {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/** Answers queued by `rateLimit()`, taken one per authenticated API call, in order. */
export interface RateLimitScript {
  add(options?: RateLimitOptions): void;
  /** The next scripted answer, or undefined when the call gets its real one. */
  take(): LimitedAnswer | undefined;
}

export function createRateLimitScript(): RateLimitScript {
  const queue: LimitedAnswer[] = [];
  return {
    add(options = {}) {
      const status = options.status ?? 429;
      if (status !== 429 && status !== 503) throw new TypeError('rateLimit: status must be 429 or 503');
      const times = options.times ?? 1;
      if (!Number.isInteger(times) || times < 1) throw new TypeError('rateLimit: times must be a positive integer');
      const retryAfter = options.retryAfter === undefined ? 1 : options.retryAfter;
      const headers: Record<string, string> = {
        'ratelimit-reason': options.reason ?? 'jira-quota-tenant-based',
        ...(retryAfter !== null && { 'retry-after': String(retryAfter) }),
        ...options.headers,
      };
      const body =
        status === 429
          ? { code: 429, message: 'Rate limit exceeded.' }
          : { code: 503, message: 'Service temporarily unavailable.' };
      for (let i = 0; i < times; i++) queue.push({ status, headers, body });
    },
    take() {
      return queue.shift();
    },
  };
}
