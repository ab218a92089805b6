import { canonicalRequest, computeQsh } from '@connect-jwt/core';
import { describe, expect, it } from 'vitest';

describe('canonicalRequest', () => {
  it('gives valueless keys and empty values `key=`, wherever the next `=` is', () => {
    expect(canonicalRequest('GET', '/p?a&b=1&c&&d=2&e')).toBe('GET&/p&a=&b=1&c=&d=2&e=');
    expect(canonicalRequest('GET', '/p?x&y&z=')).toBe('GET&/p&x=&y=&z=');
  });

  it('handles thousands of valueless keys (a hostile URL) and joins their values', () => {
    const url = `/p?${'a&'.repeat(5000)}b=1`;
    expect(canonicalRequest('GET', url)).toBe(`GET&/p&a=${','.repeat(4999)}&b=1`);
  });

  it('strips the base path of an absolute or bare baseUrl, once', () => {
    expect(canonicalRequest('get', '/wiki/rest/api?x=1', { baseUrl: 'https://h.net/wiki' })).toBe('GET&/rest/api&x=1');
    expect(canonicalRequest('GET', '/wiki/rest/api', { baseUrl: '/wiki' })).toBe('GET&/rest/api&');
    expect(canonicalRequest('GET', '/wiki/rest/api', { baseUrl: '/other' })).toBe('GET&/wiki/rest/api&');
    expect(canonicalRequest('GET', '/wiki', { baseUrl: 'https://h.net/wiki/' })).toBe('GET&/&');
  });

  it('sorts by encoded name, repeated values by raw value, and encodes RFC 3986', () => {
    expect(canonicalRequest('GET', "/p?b=2&a=z&a=y&c=*!'()&d=x+y%20z")).toBe(
      'GET&/p&a=y,z&b=2&c=%2A%21%27%28%29&d=x%20y%20z',
    );
  });

  it('hashes the canonical request', () => {
    expect(computeQsh('GET', '/')).toBe('c88caad15a1c1a900b8ac08aa9686f4e8184539bea1deda36e2f649430df3239');
  });
});
