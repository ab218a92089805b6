// `aceSessionTokens`: the transitional acceptance of atlassian-connect-express session tokens.
// Tokens here are shaped as ACE's createSessionToken() makes them; the ACE e2e test takes them from
// ACE itself.
import { encode, MemoryStore, type VerifyOptions, verifyRequest } from '@connect-jwt/core';
import { beforeEach, describe, expect, it } from 'vitest';
import { validateVerifyOptions } from '../../src/request/verify.js';

const APP_KEY = 'my-ace-addon';
const CLIENT_KEY = 'ace-site-client-key';
const SECRET = 'ace-site-shared-secret-0123456789';
const now = () => Math.floor(Date.now() / 1000);

let store: MemoryStore;
beforeEach(async () => {
  store = new MemoryStore();
  await store.set({ clientKey: CLIENT_KEY, sharedSecret: SECRET, baseUrl: 'https://ace.atlassian.net', key: APP_KEY });
  await store.set({
    clientKey: 'other-addon-site',
    sharedSecret: SECRET,
    baseUrl: 'https://o.net',
    key: 'another-addon',
  });
});

/** What ACE's createSessionToken() signs: iss the add-on key, aud [clientKey], no qsh. */
function sessionToken(claims: Record<string, unknown> = {}, secret = SECRET) {
  const iat = now();
  return encode({ iss: APP_KEY, iat, exp: iat + 900, sub: 'account-1', aud: [CLIENT_KEY], ...claims }, secret);
}

const request = (token: string) => ({ method: 'GET', url: '/api/data', headers: { authorization: `JWT ${token}` } });
const opted: Omit<VerifyOptions, 'store'> = { qsh: 'context', aceSessionTokens: { appKey: APP_KEY } };
const notOptedIn: Omit<VerifyOptions, 'store'> = { qsh: 'context' };
const strict: Omit<VerifyOptions, 'store'> = { ...opted, qsh: 'strict' };
const verify = async (token: string | Promise<string>, options: Omit<VerifyOptions, 'store'> = opted) =>
  verifyRequest(request(await token), { store, ...options });
const codeOf = (token: string | Promise<string>, options?: Omit<VerifyOptions, 'store'>) =>
  verify(token, options).then(
    () => 'accepted',
    (error: { code?: string }) => error.code,
  );

describe('ACE session tokens, opted in', () => {
  it('are accepted on a context route: the installation comes from aud, the user from sub', async () => {
    const auth = await verify(sessionToken({ context: { user: { accountId: 'account-1' } } }));
    expect(auth).toMatchObject({ kind: 'connect', clientKey: CLIENT_KEY, accountId: 'account-1' });
    expect(auth.installation.sharedSecret).toBe(SECRET);
    expect(auth.context).toEqual({ user: { accountId: 'account-1' } });
  });

  it('take a bare string aud too, and work on any and skip routes', async () => {
    expect(await codeOf(sessionToken({ aud: CLIENT_KEY }))).toBe('accepted');
    expect(await codeOf(sessionToken(), { ...opted, qsh: 'any' })).toBe('accepted');
    expect(await codeOf(sessionToken(), { ...opted, qsh: 'skip' })).toBe('accepted');
  });

  it.each([
    [
      'not opted in: looked up by iss, the add-on key is no installation',
      sessionToken(),
      notOptedIn,
      'ERR_INVALID_ISSUER',
    ],
    ['a strict route: bound to no request', sessionToken(), strict, 'ERR_QSH_MISMATCH'],
    ['another iss is looked up as a clientKey', sessionToken({ iss: 'someone-else' }), opted, 'ERR_INVALID_ISSUER'],
    [
      'signed with another secret',
      sessionToken({}, 'not-the-shared-secret-0123456789'),
      opted,
      'ERR_INVALID_SIGNATURE',
    ],
    ['expired', sessionToken({ iat: now() - 2000, exp: now() - 1000 }), opted, 'ERR_TOKEN_EXPIRED'],
    ['without exp', sessionToken({ exp: undefined }), opted, 'ERR_TOKEN_MALFORMED'],
    ['aud naming an unknown site', sessionToken({ aud: ['no-such-site'] }), opted, 'ERR_INVALID_ISSUER'],
    ['aud naming two sites', sessionToken({ aud: [CLIENT_KEY, 'other-addon-site'] }), opted, 'ERR_INVALID_AUDIENCE'],
    ['no aud', sessionToken({ aud: undefined }), opted, 'ERR_INVALID_AUDIENCE'],
    ['aud with a control character', sessionToken({ aud: ['a\nb'] }), opted, 'ERR_INVALID_AUDIENCE'],
    [
      "a site of another add-on key (ACE signs with the record's key)",
      sessionToken({ aud: ['other-addon-site'] }),
      opted,
      'ERR_INVALID_ISSUER',
    ],
    ['a qsh claim, which ACE never puts in one', sessionToken({ qsh: 'context-qsh' }), opted, 'ERR_QSH_MISMATCH'],
  ])('are refused: %s', async (_name, token, options, code) => {
    expect(await codeOf(token, options)).toBe(code);
  });

  it('leave host tokens as they were: a site token on the same route still verifies by iss', async () => {
    const iat = now();
    const hostToken = encode({ iss: CLIENT_KEY, iat, exp: iat + 180, qsh: 'context-qsh' }, SECRET);
    expect(await codeOf(hostToken)).toBe('accepted');
  });

  it('refuse a missing or empty appKey at setup, with a TypeError naming the option', () => {
    for (const aceSessionTokens of [{}, { appKey: '' }, null, 'my-addon'] as unknown[]) {
      expect(() =>
        validateVerifyOptions({ store, aceSessionTokens } as Partial<VerifyOptions>, 'atlassianJwt'),
      ).toThrow(/atlassianJwt: options\.aceSessionTokens\.appKey must be the add-on key/);
    }
  });
});
