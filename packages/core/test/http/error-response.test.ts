import {
  InvalidInstallError,
  InvalidSignatureError,
  QshMismatchError,
  StoreUnavailableError,
  TokenExpiredError,
} from '@connect-jwt/core';
import { toErrorResponse } from '@connect-jwt/core/adapter';
import { describe, expect, it } from 'vitest';

describe('toErrorResponse', () => {
  it('answers a 401 error with its code, message and a JWT challenge', () => {
    const answer = toErrorResponse(new TokenExpiredError('the token has expired'));
    expect(answer).toEqual({
      status: 401,
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'www-authenticate': 'JWT realm="atlassian-connect"',
      },
      body: { code: 'ERR_TOKEN_EXPIRED', message: 'the token has expired' },
    });
  });

  it('keeps a custom realm but strips quotes and backslashes from it', () => {
    const answer = toErrorResponse(new InvalidSignatureError('bad'), 'my "add\\on"');
    expect(answer.headers['www-authenticate']).toBe('JWT realm="my addon"');
  });

  it('drops line breaks and control characters from a realm, so the header can always be sent', () => {
    const answer = toErrorResponse(new InvalidSignatureError('bad'), 'my\r\nadd\u0000on\u2028');
    expect(answer.headers['www-authenticate']).toBe('JWT realm="myaddon"');
  });

  it('answers 503 with Retry-After for an unavailable store', () => {
    const answer = toErrorResponse(new StoreUnavailableError('down'));
    expect(answer.status).toBe(503);
    expect(answer.headers['retry-after']).toBe('1');
    expect(answer.headers['www-authenticate']).toBeUndefined();
    expect(answer.body.code).toBe('ERR_STORE_UNAVAILABLE');
  });

  it('answers the Retry-After a 503 names (a spent key-fetch budget)', () => {
    const answer = toErrorResponse(new StoreUnavailableError('budget spent', { retryAfter: 42.3 }));
    expect(answer.headers['retry-after']).toBe('43');
  });

  it('uses the status an install error carries (400 for a bad body)', () => {
    expect(toErrorResponse(new InvalidInstallError('bad body', { status: 400 })).status).toBe(400);
  });

  it('does not leak the canonical request or anything beyond code and message', () => {
    const error = new QshMismatchError('the token qsh does not match this request', { canonicalRequest: 'GET&/x&' });
    expect(Object.keys(toErrorResponse(error).body)).toEqual(['code', 'message']);
  });

  it('answers 500 without the message for anything that is not a ConnectJwtError', () => {
    const answer = toErrorResponse(new Error('password=hunter2'));
    expect(answer.status).toBe(500);
    expect(answer.body).toEqual({ code: 'ERR_INTERNAL', message: 'internal error while authenticating the request' });
    expect(toErrorResponse('a string').status).toBe(500);
  });
});
