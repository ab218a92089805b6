import { createHash, generateKeyPairSync, sign as rsaSign } from 'node:crypto';
import {
  base64url,
  CLIENT_KEY,
  HS256_HEADER,
  nowSeconds,
  SHARED_SECRET,
  signToken,
  unsignedToken,
} from '@connect-jwt/adapter-test-suite';
import {
  type ConnectJwtError,
  type ConnectRequest,
  cachedStore,
  canonicalRequest,
  computeQsh,
  createJwt,
  type Installation,
  MemoryStore,
  QshMismatchError,
  type SecretStore,
  StoreUnavailableError,
  type VerifyOptions,
  verifyRequest,
} from '@connect-jwt/core';
import { beforeEach, describe, expect, it } from 'vitest';
import { validateVerifyOptions } from '../../src/request/verify.js';

const URL_PATH = '/rest/api/3/issue/ABC-1?expand=names&fields=summary';

let store: MemoryStore;
beforeEach(async () => {
  store = new MemoryStore();
  await store.set({ clientKey: CLIENT_KEY, sharedSecret: SHARED_SECRET, baseUrl: 'https://example.atlassian.net' });
  await store.set({ clientKey: 'other-client', sharedSecret: 'another-secret-9876543210', baseUrl: 'https://o.net' });
});

function headerRequest(token: string, url = URL_PATH, method = 'GET'): ConnectRequest {
  return { method, url, headers: { authorization: `JWT ${token}` } };
}

function claims(overrides: Record<string, unknown> = {}, url = URL_PATH, method = 'GET'): Record<string, unknown> {
  const now = nowSeconds();
  return { iss: CLIENT_KEY, iat: now, exp: now + 180, qsh: computeQsh(method, url), ...overrides };
}

async function rejection(promise: Promise<unknown>): Promise<ConnectJwtError> {
  try {
    await promise;
  } catch (error) {
    return error as ConnectJwtError;
  }
  throw new Error('expected verifyRequest to reject');
}

async function expectCode(
  request: ConnectRequest,
  code: string,
  status = 401,
  options: Partial<VerifyOptions> = {},
): Promise<ConnectJwtError> {
  const error = await rejection(verifyRequest(request, { store, ...options }));
  expect(error.code).toBe(code);
  expect(error.status).toBe(status);
  expect(error.message).not.toContain(SHARED_SECRET);
  return error;
}

describe('verifyRequest: a valid request', () => {
  it('authenticates a token from createJwt and returns the installation and claims', async () => {
    const token = await createJwt(CLIENT_KEY, SHARED_SECRET, { uri: URL_PATH, subject: 'account-1' });
    const auth = await verifyRequest(headerRequest(token), { store });
    expect(auth.clientKey).toBe(CLIENT_KEY);
    expect(auth.installation.sharedSecret).toBe(SHARED_SECRET);
    expect(auth.token).toBe(token);
    expect(auth.accountId).toBe('account-1');
    expect(auth.payload.qsh).toBe(computeQsh('GET', URL_PATH));
  });

  it('matches the JWT scheme case-insensitively and takes an array-valued header', async () => {
    const token = await createJwt(CLIENT_KEY, SHARED_SECRET, { uri: URL_PATH });
    await expect(
      verifyRequest({ method: 'GET', url: URL_PATH, headers: { authorization: `jwt  ${token} ` } }, { store }),
    ).resolves.toMatchObject({ clientKey: CLIENT_KEY });
    await expect(
      verifyRequest({ method: 'GET', url: URL_PATH, headers: { authorization: [`JWT ${token}`] } }, { store }),
    ).resolves.toMatchObject({ clientKey: CLIENT_KEY });
  });

  it('trims whitespace around the token, Unicode whitespace included', async () => {
    const token = await createJwt(CLIENT_KEY, SHARED_SECRET, { uri: URL_PATH });
    for (const authorization of [`JWT ${token}\u00a0`, `JWT ${token}\t`, ` JWT ${token}`, `JWT\t${token}`]) {
      await expect(
        verifyRequest({ method: 'GET', url: URL_PATH, headers: { authorization } }, { store }),
      ).resolves.toMatchObject({
        token,
      });
    }
  });

  it('takes the token from ?jwt= (excluded from the qsh) and from a jwt form field', async () => {
    const token = await createJwt(CLIENT_KEY, SHARED_SECRET, { uri: URL_PATH });
    const auth = await verifyRequest({ method: 'GET', url: `${URL_PATH}&jwt=${token}`, headers: {} }, { store });
    expect(auth.clientKey).toBe(CLIENT_KEY);
    const post = await createJwt(CLIENT_KEY, SHARED_SECRET, { method: 'POST', uri: '/submit' });
    const fromForm = await verifyRequest(
      { method: 'POST', url: '/submit', headers: {}, body: { jwt: post } },
      { store },
    );
    expect(fromForm.token).toBe(post);
  });

  it('accepts the same token in the header and the query', async () => {
    const token = await createJwt(CLIENT_KEY, SHARED_SECRET, { uri: URL_PATH });
    const request = { method: 'GET', url: `${URL_PATH}&jwt=${token}`, headers: { authorization: `JWT ${token}` } };
    await expect(verifyRequest(request, { store })).resolves.toMatchObject({ clientKey: CLIENT_KEY });
  });

  it('verifies an absolute request URL and exposes the context claim', async () => {
    const context = { jira: { issue: { key: 'ABC-1' } } };
    const token = await createJwt(CLIENT_KEY, SHARED_SECRET, { context: true, claims: { context } });
    const auth = await verifyRequest(headerRequest(token, `https://addon.example.com${URL_PATH}`), {
      store,
      qsh: 'context',
    });
    expect(auth.context).toEqual(context);
  });
});

describe('verifyRequest: token sources', () => {
  it('ERR_TOKEN_MISSING without any token', async () => {
    await expectCode({ method: 'GET', url: URL_PATH, headers: {} }, 'ERR_TOKEN_MISSING');
  });

  it('ERR_TOKEN_MISSING for a Bearer header and no other token', async () => {
    const token = await createJwt(CLIENT_KEY, SHARED_SECRET, { uri: URL_PATH });
    const error = await expectCode(
      { method: 'GET', url: URL_PATH, headers: { authorization: `Bearer ${token}` } },
      'ERR_TOKEN_MISSING',
    );
    expect(error.message).toMatch(/scheme/);
  });

  it('reads the JWT scheme with any whitespace, and refuses other shapes as a missing token', async () => {
    const token = await createJwt(CLIENT_KEY, SHARED_SECRET, { uri: URL_PATH });
    const spaces = ' '.repeat(3000);
    await expect(
      verifyRequest(
        { method: 'GET', url: URL_PATH, headers: { authorization: `jWt${spaces}${token}${spaces}` } },
        { store },
      ),
    ).resolves.toMatchObject({ token });
    for (const authorization of [`JWT${spaces}a b`, `JWT${token}`, 'JWT', `Basic ${token}`, `JWT ${token} extra`]) {
      await expectCode({ method: 'GET', url: URL_PATH, headers: { authorization } }, 'ERR_TOKEN_MISSING');
    }
  });

  it('ERR_TOKEN_MISSING for an empty JWT header', async () => {
    await expectCode({ method: 'GET', url: URL_PATH, headers: { authorization: 'JWT ' } }, 'ERR_TOKEN_MISSING');
  });

  it('ERR_TOKEN_MALFORMED for two different tokens (header vs query)', async () => {
    const a = await createJwt(CLIENT_KEY, SHARED_SECRET, { uri: URL_PATH });
    const b = await createJwt(CLIENT_KEY, SHARED_SECRET, { uri: URL_PATH, subject: 'someone-else' });
    const error = await expectCode(
      { method: 'GET', url: `${URL_PATH}&jwt=${b}`, headers: { authorization: `JWT ${a}` } },
      'ERR_TOKEN_MALFORMED',
    );
    expect(error.message).toMatch(/two different tokens/);
  });

  it('ERR_TOKEN_MALFORMED for two different tokens (query vs form body)', async () => {
    const a = await createJwt(CLIENT_KEY, SHARED_SECRET, { method: 'POST', uri: '/p' });
    const b = await createJwt(CLIENT_KEY, SHARED_SECRET, { method: 'POST', uri: '/p', subject: 'x' });
    await expectCode({ method: 'POST', url: `/p?jwt=${a}`, headers: {}, body: { jwt: b } }, 'ERR_TOKEN_MALFORMED');
  });

  it('ERR_TOKEN_MALFORMED for a token over the length limit, before parsing it', async () => {
    const huge = signToken(HS256_HEADER, claims({ pad: 'x'.repeat(8192) }));
    expect(huge.length).toBeGreaterThan(8192);
    const error = await expectCode(headerRequest(huge), 'ERR_TOKEN_MALFORMED');
    expect(error.message).toMatch(/longer than 8192/);
    const normal = await createJwt(CLIENT_KEY, SHARED_SECRET, { uri: URL_PATH });
    await expectCode(headerRequest(normal), 'ERR_TOKEN_MALFORMED', 401, { maxTokenLength: 100 });
    await expectCode({ method: 'GET', url: `/p?jwt=${'a'.repeat(9000)}`, headers: {} }, 'ERR_TOKEN_MALFORMED');
  });
});

describe('verifyRequest: hostile tokens', () => {
  it('ERR_ALG_UNSUPPORTED for alg none (unsigned)', async () => {
    const token = unsignedToken({ alg: 'none', typ: 'JWT' }, claims());
    await expectCode(headerRequest(token), 'ERR_ALG_UNSUPPORTED');
  });

  it('ERR_ALG_UNSUPPORTED for HS384 and HS512, even when correctly signed with the shared secret', async () => {
    for (const [alg, hash] of [
      ['HS384', 'sha384'],
      ['HS512', 'sha512'],
    ] as const) {
      const token = signToken({ alg, typ: 'JWT' }, claims(), SHARED_SECRET, hash);
      await expectCode(headerRequest(token), 'ERR_ALG_UNSUPPORTED');
    }
  });

  it('ERR_ALG_UNSUPPORTED for an RS256 token (key confusion), and for a missing or odd alg', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const signingInput = `${base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT' }))}.${base64url(JSON.stringify(claims()))}`;
    const token = `${signingInput}.${rsaSign('sha256', Buffer.from(signingInput), privateKey).toString('base64url')}`;
    await expectCode(headerRequest(token), 'ERR_ALG_UNSUPPORTED');
    await expectCode(headerRequest(signToken({ typ: 'JWT' }, claims())), 'ERR_ALG_UNSUPPORTED');
    await expectCode(headerRequest(signToken({ alg: 'hs256' }, claims())), 'ERR_ALG_UNSUPPORTED');
    await expectCode(headerRequest(signToken({ alg: ['HS256'] }, claims())), 'ERR_ALG_UNSUPPORTED');
  });

  it('ERR_INVALID_SIGNATURE for a tampered payload', async () => {
    const token = await createJwt(CLIENT_KEY, SHARED_SECRET, { uri: URL_PATH });
    const [header, , signature] = token.split('.');
    const forged = base64url(JSON.stringify({ ...claims(), exp: nowSeconds() + 10 * 365 * 86400 }));
    await expectCode(headerRequest(`${header}.${forged}.${signature}`), 'ERR_INVALID_SIGNATURE');
  });

  it('ERR_INVALID_SIGNATURE for a tampered signature and for a truncated one', async () => {
    const token = await createJwt(CLIENT_KEY, SHARED_SECRET, { uri: URL_PATH });
    const flipped = `${token.slice(0, -2)}${token.endsWith('AA') ? 'BA' : 'AA'}`;
    await expectCode(headerRequest(flipped), 'ERR_INVALID_SIGNATURE');
    // 36 of 43 characters: canonical base64url, but 27 bytes instead of 32.
    await expectCode(headerRequest(token.slice(0, -7)), 'ERR_INVALID_SIGNATURE');
  });

  it('ERR_TOKEN_MALFORMED for another spelling of a valid signature (non-zero spare bits)', async () => {
    const token = await createJwt(CLIENT_KEY, SHARED_SECRET, { uri: URL_PATH });
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const twin = token.slice(0, -1) + alphabet[alphabet.indexOf(token.at(-1) as string) + 1];
    await expectCode(headerRequest(twin), 'ERR_TOKEN_MALFORMED');
  });

  it('ERR_INVALID_SIGNATURE for a token signed with the wrong secret', async () => {
    const token = await createJwt(CLIENT_KEY, 'not-the-shared-secret', { uri: URL_PATH });
    await expectCode(headerRequest(token), 'ERR_INVALID_SIGNATURE');
  });

  it("ERR_INVALID_SIGNATURE for one installation's token re-labelled with another's iss", async () => {
    const token = signToken(HS256_HEADER, claims({ iss: 'other-client' }), SHARED_SECRET);
    await expectCode(headerRequest(token), 'ERR_INVALID_SIGNATURE');
  });

  it('ERR_INVALID_ISSUER for an unknown issuer, and for a token without iss', async () => {
    const token = await createJwt('unknown-client', SHARED_SECRET, { uri: URL_PATH });
    await expectCode(headerRequest(token), 'ERR_INVALID_ISSUER');
    const { iss: _iss, ...noIss } = claims();
    await expectCode(headerRequest(signToken(HS256_HEADER, noIss)), 'ERR_INVALID_ISSUER');
    await expectCode(headerRequest(signToken(HS256_HEADER, claims({ iss: { $ne: null } }))), 'ERR_INVALID_ISSUER');
  });

  it('ERR_TOKEN_MALFORMED for broken base64, non-JSON, non-object parts and a wrong number of parts', async () => {
    const good = await createJwt(CLIENT_KEY, SHARED_SECRET, { uri: URL_PATH });
    const [header, payload, signature] = good.split('.') as [string, string, string];
    const broken = [
      `${header}.${payload.slice(0, 10)}*${payload.slice(11)}.${signature}`,
      `${header}.${base64url('{"iss": "test-client-key"')}.${signature}`,
      `${base64url('not json')}.${payload}.${signature}`,
      `${header}.${base64url('[1,2]')}.${signature}`,
      `${header}.${base64url('null')}.${signature}`,
      `${header}.${payload}.${signature}.extra`,
      `${header}.${payload}`,
      `${header}..${signature}`,
      `${header}.${payload}.${signature.slice(0, 5)}!`,
      `${header}.${payload}.A`,
    ];
    for (const token of broken) await expectCode(headerRequest(token), 'ERR_TOKEN_MALFORMED');
  });

  it('ERR_TOKEN_MALFORMED for a critical header extension', async () => {
    await expectCode(headerRequest(signToken({ ...HS256_HEADER, crit: ['exp'] }, claims())), 'ERR_TOKEN_MALFORMED');
  });
});

describe('verifyRequest: time claims', () => {
  it('ERR_TOKEN_EXPIRED beyond the 30 s tolerance, accepted within it', async () => {
    await expectCode(headerRequest(signToken(HS256_HEADER, claims({ exp: nowSeconds() - 45 }))), 'ERR_TOKEN_EXPIRED');
    const withinTolerance = signToken(HS256_HEADER, claims({ iat: nowSeconds() - 200, exp: nowSeconds() - 10 }));
    await expect(verifyRequest(headerRequest(withinTolerance), { store })).resolves.toMatchObject({
      clientKey: CLIENT_KEY,
    });
  });

  it('honours clockTolerance', async () => {
    const expiredTenSecondsAgo = signToken(HS256_HEADER, claims({ iat: nowSeconds() - 100, exp: nowSeconds() - 10 }));
    await expectCode(headerRequest(expiredTenSecondsAgo), 'ERR_TOKEN_EXPIRED', 401, { clockTolerance: 0 });
    await expect(
      verifyRequest(headerRequest(expiredTenSecondsAgo), { store, clockTolerance: 120 }),
    ).resolves.toBeDefined();
  });

  it('ERR_TOKEN_NOT_YET_VALID for nbf (or iat) in the future beyond tolerance', async () => {
    await expectCode(
      headerRequest(signToken(HS256_HEADER, claims({ nbf: nowSeconds() + 120 }))),
      'ERR_TOKEN_NOT_YET_VALID',
    );
    await expectCode(
      headerRequest(signToken(HS256_HEADER, claims({ iat: nowSeconds() + 120 }))),
      'ERR_TOKEN_NOT_YET_VALID',
    );
    await expect(
      verifyRequest(headerRequest(signToken(HS256_HEADER, claims({ nbf: nowSeconds() + 10 }))), { store }),
    ).resolves.toBeDefined();
  });

  it('ERR_TOKEN_MALFORMED naming the claim for a token without exp or iat, or with a non-numeric one', async () => {
    const { exp: _exp, ...noExp } = claims();
    expect((await expectCode(headerRequest(signToken(HS256_HEADER, noExp)), 'ERR_TOKEN_MALFORMED')).message).toMatch(
      /"exp"/,
    );
    const { iat: _iat, ...noIat } = claims();
    expect((await expectCode(headerRequest(signToken(HS256_HEADER, noIat)), 'ERR_TOKEN_MALFORMED')).message).toMatch(
      /"iat"/,
    );
    await expectCode(
      headerRequest(signToken(HS256_HEADER, claims({ exp: String(nowSeconds() + 60) }))),
      'ERR_TOKEN_MALFORMED',
    );
  });

  it('maxTokenAge rejects tokens whose lifetime is longer', async () => {
    const token = await createJwt(CLIENT_KEY, SHARED_SECRET, { uri: URL_PATH, expiresIn: 3600 });
    const error = await expectCode(headerRequest(token), 'ERR_TOKEN_EXPIRED', 401, { maxTokenAge: 600 });
    expect(error.message).toMatch(/maxTokenAge/);
    await expect(verifyRequest(headerRequest(token), { store, maxTokenAge: 3600 })).resolves.toBeDefined();
  });
});

describe('verifyRequest: qsh', () => {
  it('ERR_QSH_MISMATCH saying the claim is missing, with the canonical request', async () => {
    const { qsh: _qsh, ...noQsh } = claims();
    const error = await expectCode(headerRequest(signToken(HS256_HEADER, noQsh)), 'ERR_QSH_MISMATCH');
    expect(error.message).toMatch(/no "qsh" claim/);
    expect((error as QshMismatchError).canonicalRequest).toBe(canonicalRequest('GET', URL_PATH));
  });

  it('ERR_QSH_MISMATCH for another query, path or method; canonicalRequest shows what we hashed', async () => {
    const token = await createJwt(CLIENT_KEY, SHARED_SECRET, { uri: URL_PATH });
    const other = '/rest/api/3/issue/ABC-1?expand=names&fields=summary,secret';
    const error = await expectCode(headerRequest(token, other), 'ERR_QSH_MISMATCH');
    expect(error).toBeInstanceOf(QshMismatchError);
    expect((error as QshMismatchError).canonicalRequest).toBe(canonicalRequest('GET', other));
    expect((error as QshMismatchError).canonicalRequest).toBe(
      'GET&/rest/api/3/issue/ABC-1&expand=names&fields=summary%2Csecret',
    );
    await expectCode(headerRequest(token, '/rest/api/3/issue/ABC-2?expand=names&fields=summary'), 'ERR_QSH_MISMATCH');
    await expectCode(headerRequest(token, URL_PATH, 'DELETE'), 'ERR_QSH_MISMATCH');
  });

  it('ERR_TOKEN_MALFORMED for a qsh that is not a string', async () => {
    await expectCode(headerRequest(signToken(HS256_HEADER, claims({ qsh: 42 }))), 'ERR_TOKEN_MALFORMED');
  });

  it('strict (default) refuses a context token; context and any accept it', async () => {
    const token = await createJwt(CLIENT_KEY, SHARED_SECRET, { context: true });
    const error = await expectCode(headerRequest(token), 'ERR_QSH_MISMATCH');
    expect(error.message).toMatch(/context token/);
    await expect(verifyRequest(headerRequest(token), { store, qsh: 'context' })).resolves.toBeDefined();
    await expect(verifyRequest(headerRequest(token), { store, qsh: 'any' })).resolves.toBeDefined();
  });

  it('context refuses a request-bound token; any accepts it; any still checks a wrong qsh', async () => {
    const token = await createJwt(CLIENT_KEY, SHARED_SECRET, { uri: URL_PATH });
    await expectCode(headerRequest(token), 'ERR_QSH_MISMATCH', 401, { qsh: 'context' });
    await expect(verifyRequest(headerRequest(token), { store, qsh: 'any' })).resolves.toBeDefined();
    await expectCode(headerRequest(token, '/elsewhere'), 'ERR_QSH_MISMATCH', 401, { qsh: 'any' });
  });

  it('skip accepts a wrong or absent qsh but still checks signature and time', async () => {
    const token = await createJwt(CLIENT_KEY, SHARED_SECRET, { uri: '/something/else' });
    await expect(verifyRequest(headerRequest(token), { store, qsh: 'skip' })).resolves.toBeDefined();
    const { qsh: _qsh, ...noQsh } = claims();
    await expect(
      verifyRequest(headerRequest(signToken(HS256_HEADER, noQsh)), { store, qsh: 'skip' }),
    ).resolves.toBeDefined();
    await expectCode(headerRequest(signToken(HS256_HEADER, claims({ exp: 1 }))), 'ERR_TOKEN_EXPIRED', 401, {
      qsh: 'skip',
    });
  });

  it("strips the baseUrl's path (an add-on mounted under /addon) before hashing", async () => {
    const token = await createJwt(CLIENT_KEY, SHARED_SECRET, { uri: '/panel?x=1' });
    const request = headerRequest(token, '/addon/panel?x=1');
    await expect(verifyRequest(request, { store, baseUrl: 'https://apps.example.com/addon' })).resolves.toBeDefined();
    await expectCode(request, 'ERR_QSH_MISMATCH');
  });

  it('formParams fallback hashes the form of a POST without a query; none ignores it', async () => {
    const token = await createJwt(CLIENT_KEY, SHARED_SECRET, { method: 'POST', uri: '/hook?a=1&b=x%20y' });
    const request = { ...headerRequest(token, '/hook', 'POST'), body: { a: '1', b: 'x y' } };
    await expect(verifyRequest(request, { store, formParams: 'fallback' })).resolves.toBeDefined();
    await expectCode(request, 'ERR_QSH_MISMATCH');
  });

  it('formParams merge hashes query and form together; fallback then ignores the form', async () => {
    const token = await createJwt(CLIENT_KEY, SHARED_SECRET, { method: 'POST', uri: '/hook?a=1&a=2&b=3' });
    const request = { ...headerRequest(token, '/hook?b=3', 'POST'), body: { a: ['2', '1'] } };
    await expect(verifyRequest(request, { store, formParams: 'merge' })).resolves.toBeDefined();
    await expectCode(request, 'ERR_QSH_MISMATCH', 401, { formParams: 'fallback' });
  });

  // A nested-capable parser (qs) turns `user[role]=admin` into an object the qsh cannot cover,
  // yet the handler sees it: a token for `a=1` must not carry it in.
  it.each([
    ['an object', { a: '1', user: { role: 'admin' } }],
    ['an array holding an object', { a: '1', user: [{ role: 'admin' }] }],
    ['a number', { a: '1', n: 5 }],
    ['null', { a: '1', n: null }],
  ])('formParams fallback and merge refuse a form value that is %s', async (_label, body) => {
    const token = await createJwt(CLIENT_KEY, SHARED_SECRET, { method: 'POST', uri: '/hook?a=1' });
    const request = { ...headerRequest(token, '/hook', 'POST'), body };
    for (const formParams of ['fallback', 'merge'] as const) {
      const error = await expectCode(request, 'ERR_QSH_MISMATCH', 401, { formParams });
      expect(error.message).toMatch(/form field/);
    }
  });
});

describe('verifyRequest: paths ending in //, as the Java host signs them', () => {
  // The host drops one trailing `/` building the URL and another canonicalizing it.
  const hostSigned = (canonical: string) =>
    signToken(HS256_HEADER, claims({ qsh: createHash('sha256').update(canonical).digest('hex') }));

  it.each([
    ['/trailing//', 'GET&/trailing&'],
    ['/trailing//?b=2&a=1', 'GET&/trailing&a=1&b=2'],
    ['/a/b///', 'GET&/a/b/&'],
  ])('accepts %s signed as %s', async (url, canonical) => {
    await expect(verifyRequest(headerRequest(hostSigned(canonical), url), { store })).resolves.toBeDefined();
  });

  it("computes the host's form itself: the error's canonical request drops both slashes", async () => {
    const error = await expectCode(headerRequest(hostSigned('GET&/other&'), '/trailing//'), 'ERR_QSH_MISMATCH');
    expect((error as QshMismatchError).canonicalRequest).toBe('GET&/trailing&');
  });

  it('still accepts the atlassian-jwt npm form (one slash dropped), and no other path', async () => {
    await expect(
      verifyRequest(headerRequest(hostSigned('GET&/trailing/&'), '/trailing//'), { store }),
    ).resolves.toBeDefined();
    await expectCode(headerRequest(hostSigned('GET&/trailing&'), '/trailing/x//'), 'ERR_QSH_MISMATCH');
    await expectCode(headerRequest(hostSigned('GET&/&'), '//x//'), 'ERR_QSH_MISMATCH');
  });
});

describe('verifyRequest: the store', () => {
  const failing = (error: unknown): SecretStore => ({
    get: async () => {
      throw error;
    },
    set: async () => {},
    delete: async () => {},
  });

  it('ERR_STORE_UNAVAILABLE (503) when the store throws, keeping the cause', async () => {
    const token = await createJwt(CLIENT_KEY, SHARED_SECRET, { uri: URL_PATH });
    const cause = new Error('connect ECONNREFUSED 127.0.0.1:6379');
    const error = await expectCode(headerRequest(token), 'ERR_STORE_UNAVAILABLE', 503, { store: failing(cause) });
    expect(error.cause).toBe(cause);
    const own = new StoreUnavailableError('pool exhausted');
    expect(await rejection(verifyRequest(headerRequest(token), { store: failing(own) }))).toBe(own);
  });

  it('ERR_INVALID_ISSUER for a stored installation without a shared secret', async () => {
    const broken: SecretStore = {
      get: async (clientKey) => ({ clientKey, baseUrl: 'https://x' }) as unknown as Installation,
      set: async () => {},
      delete: async () => {},
    };
    const token = await createJwt(CLIENT_KEY, SHARED_SECRET, { uri: URL_PATH });
    await expectCode(headerRequest(token), 'ERR_INVALID_ISSUER', 401, { store: broken });
  });

  it('does not look the issuer up for a token refused before the signature check', async () => {
    let lookups = 0;
    const counting: SecretStore = {
      get: async (clientKey) => {
        lookups++;
        return store.get(clientKey);
      },
      set: async () => {},
      delete: async () => {},
    };
    await expectCode(headerRequest(signToken({ alg: 'none' }, claims())), 'ERR_ALG_UNSUPPORTED', 401, {
      store: counting,
    });
    expect(lookups).toBe(0);
  });
});

describe("verifyRequest: the stored record must be the issuer's", () => {
  it('refuses a record stored under the iss that names another clientKey', async () => {
    // A store whose row for CLIENT_KEY holds another installation (a copied row, a broken backend).
    const misfiled: SecretStore = {
      get: async (clientKey) =>
        clientKey === CLIENT_KEY
          ? { clientKey: 'other-client', sharedSecret: SHARED_SECRET, baseUrl: 'https://o.net' }
          : undefined,
      set: async () => {},
      delete: async () => {},
    };
    const token = await createJwt(CLIENT_KEY, SHARED_SECRET, { uri: URL_PATH });
    const error = await rejection(verifyRequest(headerRequest(token), { store: misfiled }));
    expect(error).toMatchObject({ code: 'ERR_INVALID_ISSUER', status: 401 });
  });
});

describe('validateVerifyOptions', () => {
  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ['no store', {}, /options\.store/],
    ['a store without get', { store: { set() {} } }, /options\.store/],
    ['an unknown qsh mode', { qsh: 'loose' }, /options\.qsh/],
    ['an unknown formParams policy', { formParams: 'all' }, /options\.formParams/],
    ['a negative clockTolerance', { clockTolerance: -1 }, /options\.clockTolerance/],
    ['a NaN maxTokenAge', { maxTokenAge: Number.NaN }, /options\.maxTokenAge/],
    ['an infinite maxTokenLength', { maxTokenLength: Number.POSITIVE_INFINITY }, /options\.maxTokenLength/],
    ['a string clockTolerance', { clockTolerance: '30' }, /options\.clockTolerance/],
    ['a non-string baseUrl', { baseUrl: 42 }, /options\.baseUrl/],
  ];
  for (const [what, options, message] of cases) {
    it(`throws a TypeError naming the option for ${what}`, () => {
      const withStore = 'store' in options || what === 'no store' ? options : { store: new MemoryStore(), ...options };
      expect(() => validateVerifyOptions(withStore as Partial<VerifyOptions>)).toThrow(TypeError);
      expect(() => validateVerifyOptions(withStore as Partial<VerifyOptions>, 'atlassianJwt')).toThrow(message);
    });
  }

  it('accepts complete, valid options', () => {
    expect(() =>
      validateVerifyOptions({
        store: new MemoryStore(),
        qsh: 'any',
        formParams: 'merge',
        clockTolerance: 0,
        maxTokenAge: 600,
        maxTokenLength: 4096,
        baseUrl: 'https://addon.example.com',
      }),
    ).not.toThrow();
  });

  it('verifyRequest refuses missing options with a TypeError', async () => {
    await expect(verifyRequest(headerRequest('x.y.z'), null as unknown as VerifyOptions)).rejects.toThrow(TypeError);
  });
});

describe('verifyRequest over a cachedStore whose record went stale (the safety net under the feed)', () => {
  /** A backend without a feed, so the cache cannot hear of a write: only the re-read can help. */
  class CountingBackend extends MemoryStore {
    gets = 0;
    override async get(clientKey: string): Promise<Installation | undefined> {
      this.gets++;
      return super.get(clientKey);
    }
  }
  const tokenFor = (secret: string) => createJwt(CLIENT_KEY, secret, { uri: URL_PATH });
  const stale = async () => {
    const backend = new CountingBackend();
    // MemoryStore's feed is the one thing this test must not use: hide it.
    Object.defineProperty(backend, 'watch', { value: undefined });
    const store = cachedStore(backend, { ttl: 3_600_000 });
    await backend.set({ clientKey: CLIENT_KEY, sharedSecret: SHARED_SECRET, baseUrl: 'https://example.atlassian.net' });
    await verifyRequest(headerRequest(await tokenFor(SHARED_SECRET)), { store });
    // A reinstall written by another instance: a new secret this cache has not heard of.
    await backend.set({ clientKey: CLIENT_KEY, sharedSecret: 'the-new-secret-0123456789', baseUrl: 'https://x.net' });
    return { backend, store };
  };

  it('a token signed with the new secret is accepted after one re-read; the old one is refused from then on', async () => {
    const { backend, store } = await stale();
    const reads = backend.gets;
    const auth = await verifyRequest(headerRequest(await tokenFor('the-new-secret-0123456789')), { store });
    expect(auth.installation.sharedSecret).toBe('the-new-secret-0123456789');
    expect(backend.gets).toBe(reads + 1);
    const old = await rejection(verifyRequest(headerRequest(await tokenFor(SHARED_SECRET)), { store }));
    expect(old.code).toBe('ERR_INVALID_SIGNATURE');
  });

  it('a flood of forged tokens for a known iss costs at most one backend read per second', async () => {
    const { backend, store } = await stale();
    await store.revalidate(CLIENT_KEY); // the cache now holds the new secret
    const reads = backend.gets;
    const forged = await tokenFor('an-attacker-guess-0123456789');
    const answers = await Promise.all(
      Array.from({ length: 500 }, () => rejection(verifyRequest(headerRequest(forged), { store }))),
    );
    expect(new Set(answers.map((error) => error.code))).toEqual(new Set(['ERR_INVALID_SIGNATURE']));
    expect(backend.gets - reads).toBeLessThanOrEqual(1);
  });

  it('a backend that fails the re-read answers 503, never a 401 for a token that may be good', async () => {
    const { backend, store } = await stale();
    backend.get = async () => {
      throw new Error('connection reset');
    };
    const error = await rejection(verifyRequest(headerRequest(await tokenFor('the-new-secret-0123456789')), { store }));
    expect(error).toBeInstanceOf(StoreUnavailableError);
  });
});
