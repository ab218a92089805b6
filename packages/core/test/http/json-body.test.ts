import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseJsonBody, readJsonBody } from '../../src/http/json-body.js';

function requestStream(chunks: string[], headers: Record<string, string>) {
  return Object.assign(Readable.from(chunks.map((chunk) => Buffer.from(chunk))), { headers });
}

describe('JSON body reader', () => {
  it('parses a JSON body sent in chunks', async () => {
    const stream = requestStream(['{"clientKey":', '"abc"}'], { 'content-type': 'application/json; charset=utf-8' });
    await expect(readJsonBody(stream, { maxBytes: 1024 })).resolves.toEqual({ clientKey: 'abc' });
  });

  it.each([
    ['a form content type', { 'content-type': 'application/x-www-form-urlencoded' }, ['a=1']],
    ['no content type', {}, ['{}']],
    ['invalid JSON', { 'content-type': 'application/json' }, ['{"a":']],
    ['a body over the limit', { 'content-type': 'application/json' }, ['{"a":"', 'x'.repeat(2000), '"}']],
    ['a declared length over the limit', { 'content-type': 'application/json', 'content-length': '999999' }, ['{}']],
  ])('refuses %s with 400 ERR_INVALID_INSTALL', async (_what, headers, chunks) => {
    await expect(readJsonBody(requestStream(chunks, headers), { maxBytes: 1024 })).rejects.toMatchObject({
      code: 'ERR_INVALID_INSTALL',
      status: 400,
    });
  });

  it('parseJsonBody accepts +json types and refuses others', () => {
    expect(parseJsonBody('{"a":1}', 'application/vnd.api+json')).toEqual({ a: 1 });
    expect(() => parseJsonBody('{"a":1}', 'text/plain')).toThrow(expect.objectContaining({ status: 400 }));
  });
});
