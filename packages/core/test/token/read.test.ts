import { MalformedTokenError, MissingTokenError } from '@connect-jwt/core';
import { describe, expect, it } from 'vitest';
import { extractBearerToken, extractToken, hasBearerToken } from '../../src/token/read.js';

// The one token reader: the Authorization header is read once per request for every kind, and
// each kind keeps its own rules (length bound, which other tokens it refuses alongside).
const CONNECT = { maxTokenLength: 8192 };
const FORGE = 16384;

describe('the token reader', () => {
  it('reads a headers object anew when its Authorization value changes', () => {
    const headers: Record<string, string> = { authorization: 'JWT a.b.c' };
    const request = { method: 'GET', url: '/', headers };
    expect(hasBearerToken(request)).toBe(false);
    expect(extractToken(request, CONNECT)).toBe('a.b.c');
    headers.authorization = 'bearer  x.y.z ';
    expect(hasBearerToken(request)).toBe(true);
    expect(extractBearerToken(request, FORGE)).toBe('x.y.z');
    expect(() => extractToken(request, CONNECT)).toThrow(MissingTokenError);
    headers.authorization = 'JWT a.b.c';
    expect(() => extractBearerToken(request, FORGE)).toThrow(MissingTokenError);
  });

  it('gives each kind its own answer from one read of the header', () => {
    const request = { method: 'GET', url: '/?jwt=q.r.s', headers: { authorization: 'Bearer  x.y.z' } };
    expect(hasBearerToken(request)).toBe(true);
    expect(() => extractBearerToken(request, FORGE)).toThrow(/both a Bearer token and a Connect JWT/);
    expect(extractToken(request, CONNECT)).toBe('q.r.s');
  });

  it('bounds the header by the limit of the kind being read', () => {
    const token = 'x'.repeat(9000);
    const request = { method: 'GET', url: '/', headers: { authorization: `Bearer ${token}` } };
    expect(extractBearerToken(request, FORGE)).toBe(token);
    expect(() => extractToken({ ...request, headers: { authorization: `JWT ${token}` } }, CONNECT)).toThrow(
      MalformedTokenError,
    );
    expect(() => extractToken(request, CONNECT)).toThrow(MalformedTokenError);
  });

  it('refuses a Bearer value with whitespace inside, and two different Bearer tokens', () => {
    const spaced = { method: 'GET', url: '/', headers: { authorization: 'Bearer a b' } };
    expect(() => extractBearerToken(spaced, FORGE)).toThrow(/contains whitespace/);
    const two = { method: 'GET', url: '/', headers: { authorization: ['Bearer a', 'Bearer b'] } };
    expect(() => extractBearerToken(two, FORGE)).toThrow(/two different Bearer tokens/);
    expect(() => extractToken(two, CONNECT)).toThrow(/does not use the JWT scheme/);
  });
});
