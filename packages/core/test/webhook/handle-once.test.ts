import { MemoryStore } from '@connect-jwt/core';
import { describe, expect, it } from 'vitest';
import { sharedValuesIn } from '../../src/store/remember.js';
import { handleOnce } from '../../src/webhook/handle-once.js';

const settings = (store = new MemoryStore()) => ({
  values: sharedValuesIn(store),
  leaseMs: 60_000,
  retentionMs: 120_000,
});

describe('handleOnce', () => {
  it('runs once, then answers duplicates without running', async () => {
    const once = settings();
    let runs = 0;
    const run = async () => {
      runs++;
    };
    expect(await handleOnce('k', once, run)).toBe('handled');
    expect(await handleOnce('k', once, run)).toBe('duplicate');
    expect(runs).toBe(1);
  });

  it('refuses a second run while the first holds the claim (409), then absorbs it', async () => {
    const once = settings();
    let release!: () => void;
    const first = handleOnce('k', once, () => new Promise<void>((resolve) => (release = resolve)));
    await expect(handleOnce('k', once, async () => {})).rejects.toMatchObject({
      code: 'ERR_WEBHOOK_IN_PROGRESS',
      status: 409,
    });
    release();
    expect(await first).toBe('handled');
  });

  it('forgets a failed run so the retry runs, and keeps the error as the cause only', async () => {
    const once = settings();
    const failure = new Error('boom');
    const rejected = handleOnce('k', once, async () => {
      throw failure;
    });
    await expect(rejected).rejects.toMatchObject({ code: 'ERR_WEBHOOK_HANDLER', status: 500, cause: failure });
    await expect(rejected).rejects.toThrow(/^the webhook handler failed$/);
    expect(await handleOnce('k', once, async () => {})).toBe('handled');
  });

  it('lets a claim left by a process that died expire after the lease', async () => {
    const store = new MemoryStore();
    // What a process that died mid-handler leaves behind: its claim, with a short lease.
    await store.rememberOnce('k', 'running:dead-process', 1);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(await handleOnce('k', settings(store), async () => {})).toBe('handled');
  });

  it('is a 503 when the store cannot take the claim, and the handler does not run', async () => {
    const store = new MemoryStore();
    store.rememberOnce = () => Promise.reject(new Error('connect ECONNREFUSED'));
    let runs = 0;
    await expect(
      handleOnce('k', settings(store), async () => {
        runs++;
      }),
    ).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE', status: 503 });
    expect(runs).toBe(0);
  });
});
