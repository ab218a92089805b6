import { describe, expect, it } from 'vitest';
import { resolveAdapterOptions, toRefusalAnswer } from '../../src/http/index.js';
import { wantsPage } from '../../src/http/refusal.js';
import { renderRefusalPage } from '../../src/http/refusal-page.js';
import {
  InvalidIssuerError,
  InvalidSignatureError,
  MemoryStore,
  MissingTokenError,
  StoreUnavailableError,
} from '../../src/index.js';

// What Chromium sends when it loads an iframe or follows a link.
const BROWSER_ACCEPT =
  'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7';
const page = { realm: undefined, refusalPage: renderRefusalPage };

describe('wantsPage', () => {
  it.each<[string | string[] | undefined, boolean]>([
    [BROWSER_ACCEPT, true],
    ['text/html', true],
    [['application/xhtml+xml', 'text/plain'], true],
    [undefined, false],
    ['*/*', false],
    ['application/json', false],
    ['application/json, text/plain, */*', false],
    ['text/html;q=0.5, application/json', false],
    ['text/html;q=0', false],
    ['TEXT/HTML ; Q=0.9, application/json;q=0.8', true],
    [`text/html,${'x'.repeat(4096)}`, false],
  ])('%j → %s', (accept, expected) => {
    expect(wantsPage(accept)).toBe(expected);
  });
});

describe('toRefusalAnswer', () => {
  it('shows a browser a small HTML page with the status, the code and what to do', () => {
    const answer = toRefusalAnswer(new InvalidSignatureError('the token signature is invalid'), BROWSER_ACCEPT, page);
    expect(answer.status).toBe(401);
    expect(answer.headers).toMatchObject({
      'content-type': 'text/html; charset=utf-8',
      'www-authenticate': 'JWT realm="atlassian-connect"',
      vary: 'Accept',
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
    });
    expect(answer.body).toMatch(/^<!doctype html>/);
    expect(answer.body).toContain('401 Unauthorized');
    expect(answer.body).toContain('<code>ERR_INVALID_SIGNATURE</code> the token signature is invalid');
    expect(answer.body).toContain('Reload the page from the app in Jira or Confluence');
    expect(answer.body).not.toContain('<script');
  });

  it('keeps the JSON body for API clients', () => {
    for (const accept of [undefined, '*/*', 'application/json']) {
      const answer = toRefusalAnswer(new MissingTokenError('no token'), accept, page);
      expect(answer.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(answer.headers.vary).toBe('Accept');
      expect(JSON.parse(answer.body)).toEqual({ code: 'ERR_TOKEN_MISSING', message: 'no token' });
    }
  });

  it('says what to do per code, and by status where the code has no sentence of its own', () => {
    const sentence = (error: Error) => toRefusalAnswer(error, 'text/html', page).body;
    expect(sentence(new MissingTokenError('no token'))).toContain('it cannot be opened on its own');
    expect(sentence(new InvalidIssuerError('unknown'))).toContain('ask a site administrator to install it again');
    expect(sentence(new StoreUnavailableError('down'))).toContain('try again in a minute');
    expect(sentence(new Error('a bug'))).toContain('Something went wrong on the app');
    expect(sentence(new Error('a bug'))).not.toContain('a bug');
  });

  it('escapes what the page shows', () => {
    const html = renderRefusalPage({ status: 401, code: 'ERR_X', message: '<img src=x onerror=alert(1)> & "' });
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt; &amp; &quot;');
    expect(html).not.toContain('<img');
  });

  it('renders the page a function gives, and JSON to everyone with refusalPage: false', () => {
    const own = toRefusalAnswer(new MissingTokenError('no token'), 'text/html', {
      refusalPage: ({ status, code }) => `<p>${status} ${code}</p>`,
    });
    expect(own.body).toBe('<p>401 ERR_TOKEN_MISSING</p>');
    expect(own.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(own.headers['content-security-policy']).toBeUndefined();
    const json = toRefusalAnswer(new MissingTokenError('no token'), BROWSER_ACCEPT, { refusalPage: false });
    expect(JSON.parse(json.body)).toMatchObject({ code: 'ERR_TOKEN_MISSING' });
    expect(json.headers.vary).toBeUndefined();
  });
});

describe('resolveAdapterOptions refusalPage', () => {
  const store = new MemoryStore();
  it('defaults to the HTML page and takes false or a function', () => {
    expect(resolveAdapterOptions({ store }, 'test').refusalPage).toBe(renderRefusalPage);
    expect(resolveAdapterOptions({ store, refusalPage: false }, 'test').refusalPage).toBe(false);
    const own = () => '<p>no</p>';
    expect(resolveAdapterOptions({ store, refusalPage: own }, 'test').refusalPage).toBe(own);
  });

  it('refuses anything else at setup, naming the option', () => {
    expect(() => resolveAdapterOptions({ store, refusalPage: 'html' as unknown as boolean }, 'atlassianJwt')).toThrow(
      /atlassianJwt: options\.refusalPage/,
    );
  });
});
