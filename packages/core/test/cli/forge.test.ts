import { randomUUID } from 'node:crypto';
import { createFakeForge, type FakeForge } from '@connect-jwt/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

let forge: FakeForge;
beforeAll(async () => {
  forge = await createFakeForge();
});
afterAll(() => forge.close());

const cli = (argv: string[]) => runCli(argv);

describe('connect-jwt decode / explain with a Forge Invocation Token', () => {
  it('decode says it is a Forge token and how to check it', async () => {
    const result = await cli(['decode', `Bearer ${forge.mintFit()}`]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('"iss": "forge/invocation-token"');
    expect(result.stdout).toMatch(/kind: +a Forge token \(Authorization: Bearer\)/);
  });

  it('explain passes a good token, without --method or --url', async () => {
    const result = await cli(['explain', forge.mintFit(), '--app-id', forge.appId]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/result: +every claim check passes/);
    expect(result.stdout).toContain('signature was not checked');
  });

  it.each([
    [
      'another app',
      () => forge.mintFit(),
      ['--app-id', randomUUID()],
      'ERR_INVALID_AUDIENCE',
      /aud: +expected "ari:cloud:ecosystem::app\/[0-9a-f-]+", got "ari:/,
    ],
    [
      'a context token',
      () => forge.mintFit({ claims: { iss: 'forge/context-token' } }),
      [],
      'ERR_INVALID_ISSUER',
      /iss: +expected "forge\/invocation-token", got "forge\/context-token"/,
    ],
    [
      'an expired token',
      () => forge.mintFit({ issuedAt: Math.floor(Date.now() / 1000) - 300 }),
      [],
      'ERR_TOKEN_EXPIRED',
      /time: +EXPIRED \d+ s ago/,
    ],
    [
      'an environment not allowed',
      () => forge.mintFit(),
      ['--environment', 'PRODUCTION'],
      'ERR_FORGE_CONTEXT',
      /environment: +"DEVELOPMENT" \(allowed: PRODUCTION\)/,
    ],
    [
      'HS256',
      () => forge.mintFit({ forgery: 'hs256-public-key' }),
      [],
      'ERR_ALG_UNSUPPORTED',
      /alg: +expected "RS256", got "HS256"/,
    ],
  ])('explain names the failing check: %s', async (_name, mint, extra, code, detail) => {
    const args = ['explain', mint(), ...(extra.includes('--app-id') ? extra : ['--app-id', forge.appId, ...extra])];
    const result = await cli(args);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(new RegExp(`result: +would be refused: ${code}`));
    expect(result.stdout).toMatch(detail);
  });

  it('explain without --app-id shows aud but does not judge it', async () => {
    const result = await cli(['explain', forge.mintFit()]);
    expect(result.stdout).toContain('not judged: pass --app-id');
    expect(result.code).toBe(0);
  });
});
