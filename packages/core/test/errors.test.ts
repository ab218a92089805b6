import * as core from '@connect-jwt/core';
import { ConnectJwtError, isConnectJwtError, StoreUnavailableError, TokenExpiredError } from '@connect-jwt/core';
import { describe, expect, it } from 'vitest';

const errorClasses = Object.entries(core).filter(
  (entry): entry is [string, typeof ConnectJwtError] =>
    typeof entry[1] === 'function' && entry[1].prototype instanceof ConnectJwtError,
);

describe('error classes', () => {
  it('are all exported with a code', () => {
    expect(errorClasses.length).toBeGreaterThanOrEqual(11);
  });

  it.each(errorClasses)('%s carries its code on the class and on every instance', (name, ErrorClass) => {
    const error = new ErrorClass('what was wrong', { packageName: 'x' } as never);
    expect(ErrorClass.code).toMatch(/^ERR_[A-Z_]+$/);
    expect(error.code).toBe(ErrorClass.code);
    expect(error.name).toBe(name);
    expect(isConnectJwtError(error)).toBe(true);
  });

  it('lets a caller compare codes without an instance, as jose does', () => {
    expect(TokenExpiredError.code).toBe('ERR_TOKEN_EXPIRED');
    expect(StoreUnavailableError.code).toBe('ERR_STORE_UNAVAILABLE');
    expect(new StoreUnavailableError('down').status).toBe(503);
  });
});
