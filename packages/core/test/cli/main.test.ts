import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { computeQsh, createJwt, decodeUnverified, encode } from '@connect-jwt/core';
import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

const SECRET = 'cli-shared-secret-0123456789abcdef';
const NOW = 1_764_000_000_000;
const URL_PATH = '/rest/api/3/issue/ABC-1?expand=names&fields=summary';

const cli = (argv: string[], env: Record<string, string | undefined> = {}) => runCli(argv, { env, now: NOW });

const token = (options: Parameters<typeof createJwt>[2] = {}) =>
  createJwt('client-key', SECRET, { method: 'GET', uri: URL_PATH, now: NOW, ...options });

describe('connect-jwt qsh', () => {
  it('prints the qsh of a request, stripping the base URL path', async () => {
    const result = await cli([
      'qsh',
      '--method',
      'GET',
      '--url',
      '/wiki/rest/api/space?b=2&a=1',
      '--base-url',
      'https://x.atlassian.net/wiki',
    ]);
    expect(result).toEqual({
      code: 0,
      stdout: [
        `canonical request:  GET&/rest/api/space&a=1&b=2`,
        `qsh:                ${computeQsh('GET', '/rest/api/space?a=1&b=2')}`,
        '',
      ].join('\n'),
      stderr: '',
    });
  });

  it('exits 2 with usage for a missing option or an unknown one', async () => {
    const missing = await cli(['qsh', '--method', 'GET']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--url is required/);
    const unknown = await cli(['qsh', '--verb', 'GET']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/usage: connect-jwt/);
  });
});

describe('connect-jwt sign', () => {
  it('prints a token with iss, iat, exp, qsh and sub', async () => {
    const result = await cli([
      'sign',
      '--iss',
      'addon-key',
      '--secret',
      SECRET,
      '--method',
      'post',
      '--url',
      '/rest/api/3/issue',
      '--expires-in',
      '60',
      '--sub',
      'account-1',
    ]);
    expect(result.code).toBe(0);
    expect(decodeUnverified(result.stdout.trim())).toEqual({
      iss: 'addon-key',
      iat: NOW / 1000,
      exp: NOW / 1000 + 60,
      qsh: computeQsh('POST', '/rest/api/3/issue'),
      sub: 'account-1',
    });
  });

  it('takes the secret from CONNECT_JWT_SECRET and signs context tokens', async () => {
    const result = await cli(['sign', '--iss', 'k', '--context'], {
      CONNECT_JWT_SECRET: SECRET,
    });
    expect(result.code).toBe(0);
    expect(decodeUnverified(result.stdout.trim()).qsh).toBe('context-qsh');
  });

  it('exits 2 without a secret or with a bad --expires-in', async () => {
    expect((await cli(['sign', '--iss', 'k', '--method', 'GET', '--url', '/'])).stderr).toMatch(/CONNECT_JWT_SECRET/);
    const bad = await cli([
      'sign',
      '--iss',
      'k',
      '--secret',
      's',
      '--method',
      'GET',
      '--url',
      '/',
      '--expires-in',
      'soon',
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--expires-in/);
  });
});

describe('connect-jwt decode', () => {
  it('prints header and claims marked as unverified, and the expiry', async () => {
    const result = await cli(['decode', await token()]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^UNVERIFIED/);
    expect(result.stdout).toContain('"alg": "HS256"');
    expect(result.stdout).toContain('"iss": "client-key"');
    expect(result.stdout).toMatch(/expires in 180 s/);
  });

  it('accepts a pasted "JWT <token>" header value', async () => {
    expect((await cli(['decode', `JWT ${await token()}`])).code).toBe(0);
  });

  it('exits 1 with ERR_TOKEN_MALFORMED for garbage, 2 without a token', async () => {
    const garbage = await cli(['decode', 'not-a-token']);
    expect(garbage.code).toBe(1);
    expect(garbage.stderr).toMatch(/ERR_TOKEN_MALFORMED/);
    expect((await cli(['decode'])).code).toBe(2);
  });
});

describe('connect-jwt verify', () => {
  const verifyArgs = (t: string, ...rest: string[]) => ['verify', t, '--method', 'GET', '--url', URL_PATH, ...rest];

  it('exits 0 for a valid token', async () => {
    const now = Date.now();
    const fresh = await createJwt('client-key', SECRET, { uri: URL_PATH, subject: 'acc', now });
    const result = await cli(verifyArgs(fresh, '--secret', SECRET));
    expect(result).toMatchObject({ code: 0, stdout: 'valid: iss=client-key sub=acc\n' });
  });

  it('exits 1 printing the error code: wrong secret, expired, qsh mismatch (with the canonical request)', async () => {
    const fresh = await createJwt('client-key', SECRET, { uri: URL_PATH });
    const wrong = await cli(verifyArgs(fresh, '--secret', 'other'));
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/^invalid: ERR_INVALID_SIGNATURE/);

    const expired = await cli(verifyArgs(await token(), '--secret', SECRET));
    expect(expired.code).toBe(1);
    expect(expired.stderr).toMatch(/ERR_TOKEN_EXPIRED/);

    const elsewhere = await cli(['verify', fresh, '--method', 'GET', '--url', '/other', '--secret', SECRET]);
    expect(elsewhere.code).toBe(1);
    expect(elsewhere.stderr).toMatch(/ERR_QSH_MISMATCH/);
    expect(elsewhere.stderr).toMatch(/canonical request: +GET&\/other&/);
  });

  it('honours --qsh and --base-url, with the secret from the environment', async () => {
    const context = await createJwt('client-key', SECRET, { context: true });
    expect((await cli(verifyArgs(context), { CONNECT_JWT_SECRET: SECRET })).code).toBe(1);
    expect((await cli(verifyArgs(context, '--qsh', 'context'), { CONNECT_JWT_SECRET: SECRET })).code).toBe(0);
    const mounted = await createJwt('client-key', SECRET, { uri: '/panel' });
    const args = ['verify', mounted, '--method', 'GET', '--url', '/addon/panel', '--secret', SECRET];
    expect((await cli(args)).code).toBe(1);
    expect((await cli([...args, '--base-url', 'https://apps.example.com/addon'])).code).toBe(0);
  });

  it('exits 2 for a bad --qsh mode', async () => {
    const result = await cli(verifyArgs(await token(), '--secret', SECRET, '--qsh', 'loose'));
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--qsh/);
  });
});

describe('connect-jwt explain', () => {
  const explain = (t: string | undefined, url: string, ...rest: string[]) =>
    cli(['explain', ...(t === undefined ? [] : [t]), '--method', 'GET', '--url', url, ...rest]);

  it('without a token prints the canonical request and its qsh', async () => {
    const result = await explain(undefined, '/rest/api/3/search?jql=a%20b&maxResults=5');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('canonical request:  GET&/rest/api/3/search&jql=a%20b&maxResults=5');
    expect(result.stdout).toContain(computeQsh('GET', '/rest/api/3/search?jql=a%20b&maxResults=5'));
  });

  it('says when the qsh matches, and shows an expired token', async () => {
    const result = await explain(await token(), URL_PATH);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/result: +qsh matches/);
    expect(result.stdout).toMatch(/expires in 180 s/);
    const old = await createJwt('client-key', SECRET, { uri: URL_PATH, now: NOW - 3600_000 });
    expect((await explain(old, URL_PATH)).stdout).toMatch(/EXPIRED 3420 s ago/);
  });

  it('finds a base path that should be stripped (Confluence /wiki)', async () => {
    const t = await token({ uri: '/rest/api/content?limit=5' });
    const result = await explain(t, '/wiki/rest/api/content?limit=5');
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/qsh does NOT match/);
    expect(result.stdout).toMatch(/without "\/wiki"/);
    expect((await explain(t, '/wiki/rest/api/content?limit=5', '--base-url', 'https://x.net/wiki')).code).toBe(0);
  });

  it('finds a signer that did not strip its context path', async () => {
    const t = await token({ uri: '/wiki/rest/api/content' });
    expect((await explain(t, '/rest/api/content')).stdout).toMatch(/with "\/wiki" in front/);
  });

  it('recognises a context token', async () => {
    const result = await explain(await token({ context: true }), URL_PATH);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/context token/);
  });

  it('finds a token minted for another method', async () => {
    const result = await explain(await token({ method: 'POST' }), URL_PATH);
    expect(result.stdout).toMatch(/signed for POST, not GET/);
  });

  it('finds a token minted for the same path with another query', async () => {
    const bare = await explain(await token({ uri: '/rest/api/3/issue/ABC-1' }), URL_PATH);
    expect(bare.stdout).toMatch(/without any query parameters/);
    const fewer = await explain(await token({ uri: '/rest/api/3/issue/ABC-1?expand=names' }), URL_PATH);
    expect(fewer.stdout).toMatch(/without the parameter "fields=summary"/);
  });

  it('finds a token signed for the decoded path', async () => {
    // A signer that hashed the path before encoding it (createJwt itself hashes the wire form).
    const decodedQsh = computeQsh('GET', '/files/a b.txt', { requestTarget: 'as-given' });
    const signed = await encode({ iss: 'client-key', iat: NOW / 1000, exp: NOW / 1000 + 180, qsh: decodedQsh }, SECRET);
    const result = await explain(signed, '/files/a%20b.txt');
    expect(result.stdout).toMatch(/percent-decoded path/);
  });

  it('says so when no common mistake explains the difference', async () => {
    const result = await explain(await token({ uri: '/completely/different?x=1' }), URL_PATH);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/no common mistake reproduces/);
  });

  it('reports a token without qsh', async () => {
    const result = await explain(await encode({ iss: 'k', exp: NOW / 1000 + 60 }, SECRET), URL_PATH);
    expect(result.stdout).toMatch(/no usable "qsh" claim/);
  });
});

describe('connect-jwt (the bin)', () => {
  it('prints usage for help and exits 2 for an unknown command', async () => {
    expect((await cli(['help'])).stdout).toMatch(/^usage: connect-jwt/);
    expect((await cli(['--help'])).code).toBe(0);
    expect((await cli(['frobnicate'])).code).toBe(2);
    expect((await cli([])).code).toBe(2);
  });

  it('points import-ace to the bin of @connect-jwt/ace-import, loading nothing', async () => {
    const result = await cli(['import-ace', '--from', 'sqlite:ace.db', '--to', 'sqlite:ours.db']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'connect-jwt: import-ace is the bin of @connect-jwt/ace-import: npx @connect-jwt/ace-import --help\n',
    );
    expect((await cli(['help'])).stdout).toContain('npx @connect-jwt/ace-import --from ACE_STORE --to STORE');
  });

  it('points re-encrypt to the bin of @connect-jwt/store-url, loading nothing', async () => {
    const result = await cli(['re-encrypt', '--store', 'sqlite:ours.db']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'connect-jwt: re-encrypt is the bin of @connect-jwt/store-url: npx @connect-jwt/store-url re-encrypt --help\n',
    );
    expect((await cli(['help'])).stdout).toContain('npx @connect-jwt/store-url re-encrypt --store STORE');
  });

  it('runs as a process and sets the exit code', () => {
    const entry = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
    const ok = spawnSync(process.execPath, ['--import', 'tsx', entry, 'qsh', '--method', 'GET', '--url', '/x'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain(`qsh:                ${computeQsh('GET', '/x')}\n`);
    const bad = spawnSync(
      process.execPath,
      ['--import', 'tsx', entry, 'verify', 'a.b.c', '--method', 'GET', '--url', '/', '--secret', 's'],
      {
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/ERR_/);
  });
});

describe('connect-jwt and an atlassian-connect-express session token', () => {
  // Shaped as ACE's createSessionToken() signs it: iss the add-on key, aud [clientKey], no qsh.
  const aceToken = () =>
    encode(
      { iss: 'my-ace-addon', aud: ['site-client-key'], sub: 'acc-1', iat: NOW / 1000, exp: NOW / 1000 + 900 },
      SECRET,
    );

  it('explain says what it is and what to do, instead of blaming a missing qsh (no --method or --url needed)', async () => {
    const result = await cli(['explain', await aceToken()]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      'kind:               an atlassian-connect-express session token (X-acpt / res.locals.token): iss is the add-on key "my-ace-addon", aud the clientKey "site-client-key", no qsh',
    );
    expect(result.stdout).toMatch(/likely reason: .*AP\.context\.getToken\(\).*aceSessionTokens: \{ appKey \}/);
    expect(result.stdout).not.toMatch(/no usable "qsh"/);
  });

  it('decode names it too', async () => {
    const result = await cli(['decode', await aceToken()]);
    expect(result.stdout).toContain('kind:               an atlassian-connect-express session token');
  });

  it('a host token without qsh is not mistaken for one (iss is the clientKey, no aud)', async () => {
    const hostToken = await encode({ iss: 'site-client-key', iat: NOW / 1000, exp: NOW / 1000 + 60 }, SECRET);
    const result = await cli(['explain', hostToken, '--method', 'GET', '--url', '/x']);
    expect(result.stdout).not.toContain('atlassian-connect-express');
    expect(result.stdout).toContain('no usable "qsh"');
  });
});

describe('connect-jwt under a pipe whose reader closes early', () => {
  const entry = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
  const node = [process.execPath, '--import', 'tsx', entry];
  const quote = (word: string) => `'${word.replaceAll("'", "'\\''")}'`;

  it('decode … | head -1: the first line arrives, then the command ends quietly with exit 0', async () => {
    const jwt = await token();
    // bash's PIPESTATUS gives the CLI's own exit code; its stderr is kept apart from head's output.
    const script = `${[...node, 'decode', jwt].map(quote).join(' ')} 2>"$ERR_FILE" | head -1; echo "cli exit $\{PIPESTATUS[0]}"; cat "$ERR_FILE"`;
    const errFile = join(mkdtempSync(join(tmpdir(), 'connect-jwt-cli-')), 'stderr');
    const result = spawnSync('bash', ['-c', script], {
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, ERR_FILE: errFile },
    });
    expect(result.stdout).toBe('UNVERIFIED: the signature was not checked; do not trust these claims\ncli exit 0\n');
  });

  it('a reader gone before the first write: no EPIPE, no stack trace, exit 0', async () => {
    const child = spawn(node[0] as string, [...node.slice(1), 'decode', await token()], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // Closed before the process has even started, so every write it makes meets a closed pipe.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
    expect({ code, signal, stderr }).toEqual({ code: 0, signal: null, stderr: '' });
  });
});

describe('connect-jwt: text from a token is escaped before it reaches the terminal', () => {
  // ESC ] 0 ; … BEL retitles the window; CSI 2 J clears the screen; U+009B is the one-byte CSI; U+202E reverses text.
  const HOSTILE = '\u001b]0;pwned\u0007\u001b[2J\u009b31m\u202Eevil\r\n';
  const explain = (t: string, url: string) => cli(['explain', t, '--method', 'GET', '--url', url]);
  const noControls = (text: string) =>
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the test looks for control characters
    expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e]/);

  it('explain prints a hostile unverified qsh claim escaped', async () => {
    const hostile = await encode({ iss: 'k', exp: NOW / 1000 + 60, qsh: HOSTILE }, SECRET);
    const result = await explain(hostile, URL_PATH);
    expect(result.code).toBe(1);
    noControls(result.stdout);
    expect(result.stdout).toContain(
      'token qsh:          \\u001b]0;pwned\\u0007\\u001b[2J\\u009b31m\\u202eevil\\u000d\\u000a\n',
    );
  });

  it('decode prints hostile claims and header fields escaped, as valid JSON', async () => {
    const hostile = await encode({ iss: HOSTILE, sub: HOSTILE, [HOSTILE]: 1 }, SECRET);
    const result = await cli(['decode', hostile]);
    expect(result.code).toBe(0);
    noControls(result.stdout);
    const json = result.stdout.slice(result.stdout.indexOf('{'), result.stdout.lastIndexOf('}') + 1);
    expect(JSON.parse(json).payload.iss).toBe(HOSTILE);
  });

  it('verify prints a hostile (but validly signed) sub escaped', async () => {
    const hostile = await createJwt('client-key', SECRET, { method: 'GET', uri: URL_PATH, subject: HOSTILE });
    const result = await cli(['verify', hostile, '--method', 'GET', '--url', URL_PATH, '--secret', SECRET]);
    expect(result.code).toBe(0);
    noControls(result.stdout);
    expect(result.stdout).toContain('sub=\\u001b]0;pwned');
  });
});
