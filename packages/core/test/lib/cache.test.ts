import { describe, expect, it } from 'vitest';
import { Cache } from '../../src/lib/cache.js';

describe('Cache', () => {
  it('keeps at most max entries, dropping the least recently used', () => {
    const cache = new Cache<string, number>({ max: 4 });
    for (const [i, key] of ['a', 'b', 'c', 'd'].entries()) cache.set(key, i);
    // Two newer entries push `a` into the older half: using it now moves it to the young end.
    cache.set('e', 4);
    cache.set('f', 5);
    expect(cache.get('c')).toBe(2);
    cache.set('g', 6);
    expect(cache.size).toBe(4);
    expect(cache.get('c')).toBe(2);
    expect(cache.get('d')).toBeUndefined();
    expect(cache.get('g')).toBe(6);
  });

  it('replaces the value of a key that is set again, without growing', () => {
    const cache = new Cache<string, string>({ max: 2 });
    cache.set('a', 'old');
    cache.set('a', 'new');
    expect(cache.get('a')).toBe('new');
    expect(cache.size).toBe(1);
  });

  it('serves an entry until its TTL has passed, then forgets it', async () => {
    const cache = new Cache<string, string>({ max: 10, ttlMs: 40 });
    cache.set('kid', 'key');
    expect(cache.get('kid')).toBe('key');
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(cache.get('kid')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('with a TTL of 0 serves nothing, and delete and clear forget entries', () => {
    const none = new Cache<string, number>({ max: 10, ttlMs: 0 });
    none.set('a', 1);
    expect(none.get('a')).toBeUndefined();
    const cache = new Cache<string, number>({ max: 10 });
    cache.set('a', 1);
    cache.set('b', 2);
    cache.delete('a');
    expect(cache.get('a')).toBeUndefined();
    cache.clear();
    expect(cache.size).toBe(0);
  });
});
