import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { canonicalRequest, computeQsh, type FormBody } from '../../src/index.js';

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

// A copy of ../shared/vectors/qsh-vectors.json lives in the repo so a clean clone has it; where the
// shared original sits beside the checkout, the copy must still equal it.
const copyUrl = new URL('./qsh-vectors.json', import.meta.url);
const sharedUrl = new URL('../../../../../shared/vectors/qsh-vectors.json', import.meta.url);
const vectors: Vector[] = JSON.parse(readFileSync(copyUrl, 'utf8'));

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
  it.runIf(existsSync(sharedUrl))('uses an unmodified copy of the shared vectors', () => {
    expect(vectors).toEqual(JSON.parse(readFileSync(sharedUrl, 'utf8')));
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
