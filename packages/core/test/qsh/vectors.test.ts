import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { canonicalRequest, computeQsh, type FormBody } from '@connect-jwt/core';
import { describe, expect, it } from 'vitest';

interface Vector {
  id: string;
  method: string;
  url: string;
  baseUrl: string | null;
  body?: string;
  formParams?: 'none' | 'fallback' | 'merge';
  canonical: string;
  qsh: string;
}

// The shared original (../shared/vectors beside the checkout) is read where it exists; a byte-exact
// copy in the repo serves a clone without it. Either way the bytes must be the published set's.
const copyUrl = new URL('./qsh-vectors.json', import.meta.url);
const sharedUrl = new URL('../../../../../shared/vectors/qsh-vectors.json', import.meta.url);
const SHARED_VECTORS_SHA256 = 'a2961baeff37ad7a3a55cd54e15d15cec1e272d9994c917e49fc0245088eed59';
const vectorBytes = readFileSync(existsSync(sharedUrl) ? sharedUrl : copyUrl);
const vectors: Vector[] = JSON.parse(vectorBytes.toString('utf8'));

/** The body as a form body parser (urlencoded, repeated names as arrays) hands it over. */
function parseForm(body: string): FormBody {
  const form: Record<string, string | string[]> = {};
  for (const [name, value] of new URLSearchParams(body)) {
    const existing = form[name];
    form[name] = existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  return form;
}

describe('qsh vectors (shared/vectors/qsh-vectors.json)', () => {
  it('has vectors to run', () => {
    expect(vectors.length).toBeGreaterThan(50);
  });
  it('runs the shared vectors unmodified (and the in-repo copy is byte-identical)', () => {
    expect(createHash('sha256').update(vectorBytes).digest('hex')).toBe(SHARED_VECTORS_SHA256);
    expect(readFileSync(copyUrl).equals(vectorBytes)).toBe(true);
  });
  for (const vector of vectors) {
    it(`${vector.id}: ${vector.method} ${vector.url.slice(0, 60)}`, () => {
      const options = {
        baseUrl: vector.baseUrl ?? undefined,
        body: vector.body === undefined ? undefined : parseForm(vector.body),
        formParams: vector.formParams,
      };
      expect(canonicalRequest(vector.method, vector.url, options)).toBe(vector.canonical);
      expect(computeQsh(vector.method, vector.url, options)).toBe(vector.qsh);
    });
  }
});
