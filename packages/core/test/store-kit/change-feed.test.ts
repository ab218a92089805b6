import type { StoreChange } from '@connect-jwt/core';
import { ChangeFeed, type FeedSource } from '@connect-jwt/core/store-kit';
import { describe, expect, it } from 'vitest';

/** A source whose links the test breaks by hand; `failNext` makes the next opens fail. */
function manualSource() {
  const links: { deliver(change: StoreChange): void; lost(error: unknown): void; ended: boolean }[] = [];
  let failures = 0;
  const source: FeedSource = {
    async open(deliver, lost) {
      if (failures > 0) {
        failures--;
        throw new Error('refused');
      }
      const link = { deliver, lost, ended: false };
      links.push(link);
      return {
        end: () => {
          link.ended = true;
        },
      };
    },
  };
  return { source, links, failNext: (n: number) => (failures = n) };
}

function recorder() {
  const events: string[] = [];
  return {
    events,
    listener: {
      change: (change: StoreChange) => events.push(`change:${change.clientKey}`),
      up: () => events.push('up'),
      down: (error: unknown) => events.push(`down:${(error as Error).message}`),
    },
  };
}

const until = async (check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(check()).toBe(true);
};

describe('ChangeFeed', () => {
  it('opens one link for every listener, says up to each, and fans changes out', async () => {
    const { source, links } = manualSource();
    const feed = new ChangeFeed(source);
    const a = recorder();
    const b = recorder();
    await feed.subscribe(a.listener);
    await feed.subscribe(b.listener);
    expect(links).toHaveLength(1);
    links[0]?.deliver({ clientKey: 'k' });
    expect(a.events).toEqual(['up', 'change:k']);
    expect(b.events).toEqual(['up', 'change:k']);
  });

  it('reports a loss once, retries with backoff, and says up again when back', async () => {
    const { source, links, failNext } = manualSource();
    const feed = new ChangeFeed(source, { retryDelay: () => 1 });
    const a = recorder();
    await feed.subscribe(a.listener);
    failNext(3);
    links[0]?.lost(new Error('reset'));
    await until(() => links.length === 2);
    expect(links[0]?.ended).toBe(true);
    expect(a.events).toEqual(['up', 'down:reset', 'up']);
    await feed.close();
  });

  it('a first open that fails is a down, and a listener that throws does not stop the others', async () => {
    const { source, links, failNext } = manualSource();
    failNext(1);
    const feed = new ChangeFeed(source, { retryDelay: () => 1 });
    const a = recorder();
    await feed.subscribe({
      change: () => {
        throw new Error('listener bug');
      },
      up: () => {},
      down: () => {},
    });
    await feed.subscribe(a.listener);
    expect(a.events).toEqual(['down:refused']);
    await until(() => links.length === 1);
    links[0]?.deliver({ clientKey: 'k' });
    expect(a.events).toEqual(['down:refused', 'up', 'change:k']);
    await feed.close();
  });

  it('the last unsubscribe ends the link, and close() ends it for everyone', async () => {
    const { source, links } = manualSource();
    const feed = new ChangeFeed(source);
    const a = recorder();
    const unsubscribeA = await feed.subscribe(a.listener);
    const unsubscribeB = await feed.subscribe(recorder().listener);
    await unsubscribeA();
    expect(links[0]?.ended).toBe(false);
    links[0]?.deliver({ clientKey: 'after' });
    expect(a.events).toEqual(['up']);
    await unsubscribeB();
    expect(links[0]?.ended).toBe(true);
    await feed.subscribe(a.listener);
    expect(links).toHaveLength(2);
    await feed.close();
    expect(links[1]?.ended).toBe(true);
    expect(feed.up).toBe(false);
  });
});
