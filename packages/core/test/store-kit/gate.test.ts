import { StoreGate, StoreUnavailableError, storeFailure } from '@connect-jwt/core/store-kit';
import { describe, expect, it } from 'vitest';

describe('StoreGate (the closed-store check)', () => {
  it('lets calls through until closed, then refuses them as a 503 naming the store', () => {
    const gate = new StoreGate('the example store');
    expect(() => gate.assertOpen()).not.toThrow();
    expect(gate.close()).toBe(true);
    expect(gate.closed).toBe(true);
    expect(() => gate.assertOpen()).toThrow(StoreUnavailableError);
    expect(() => gate.assertOpen()).toThrow('the example store has been closed');
  });

  it('closes once: a second close() answers false, so teardown runs once', () => {
    const gate = new StoreGate('the example store');
    expect(gate.close()).toBe(true);
    expect(gate.close()).toBe(false);
  });
});

describe('storeFailure with a message (the stores’ wrap)', () => {
  it('says what failed, keeps the cause, and passes a StoreUnavailableError through', () => {
    const driver = new Error('connect ECONNREFUSED 127.0.0.1:5432');
    const wrapped = storeFailure(driver, 'PostgreSQL could not read the installation');
    expect(wrapped).toMatchObject({ code: 'ERR_STORE_UNAVAILABLE', status: 503, cause: driver });
    expect(wrapped.message).toBe('PostgreSQL could not read the installation');
    const closed = new StoreUnavailableError('closed');
    expect(storeFailure(closed, 'ignored')).toBe(closed);
    const foreign = Object.assign(new Error('elsewhere'), { code: 'ERR_STORE_UNAVAILABLE', status: 503 });
    expect(storeFailure(foreign, 'ignored')).toBe(foreign);
  });
});
