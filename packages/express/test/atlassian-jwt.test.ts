// What the shared tables do not cover: option checks at setup time, the default store chosen
// late, where the result is kept on the request, and form bodies.
import type { AddressInfo } from 'node:net';
import { badOptions, INSTALLATION, storeWithInstallation } from '@connect-jwt/adapter-test-suite';
import { computeQsh, createJwt, encode, MemoryStore, setDefaultStore } from '@connect-jwt/core';
import { atlassianJwt } from '@connect-jwt/express';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';

const token = (uri: string, method = 'GET') =>
  createJwt(INSTALLATION.clientKey, INSTALLATION.sharedSecret, { method, uri });

describe('atlassianJwt() options', () => {
  it.each(badOptions)('refuses %j with a TypeError naming the option', (options, message) => {
    expect(() => atlassianJwt(options as never)).toThrow(TypeError);
    expect(() => atlassianJwt(options as never)).toThrow(message);
  });
});

describe('refusal page', () => {
  it("hands a throwing refusal page to Express's error handling instead of ending the process", async () => {
    const app = express();
    const refusalPage = () => {
      throw new Error('the template is broken');
    };
    app.get('/x', atlassianJwt({ store: new MemoryStore(), refusalPage }), (_req, res) => {
      res.send('not reached');
    });
    app.use((error: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      res.status(500).json({ handled: error.message });
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/x`;
      const response = await fetch(url, { headers: { accept: 'text/html' } });
      expect(response.status).toBe(500);
      expect(await response.json()).toEqual({ handled: 'the template is broken' });
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('default store', () => {
  afterEach(() => setDefaultStore(new MemoryStore()));

  it('atlassianJwt() with no options reads the default store at request time', async () => {
    const app = express();
    app.get('/x', atlassianJwt(), (req, res) => {
      res.json({ clientKey: req.atlassian.clientKey });
    });
    // Chosen after the middleware was created, as an app that connects its store late would.
    setDefaultStore(await storeWithInstallation());
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/x`;
      const response = await fetch(url, { headers: { authorization: `JWT ${await token('/x')}` } });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ clientKey: INSTALLATION.clientKey });
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('express request property', () => {
  it('reaches sub-apps and stays out of own keys and JSON (no token in `{ ...req }` logs or res.locals views)', async () => {
    const app = express();
    app.use(atlassianJwt({ store: await storeWithInstallation() }));
    const sub = express();
    sub.get('/x', (req, res) => {
      res.json({
        clientKey: req.atlassian.clientKey,
        ownKey: Object.keys(req).includes('atlassian'),
        inLocalsJson: JSON.stringify(res.locals).includes(req.atlassian.token),
      });
    });
    app.use('/sub', sub);
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/sub/x`;
      const response = await fetch(url, { headers: { authorization: `JWT ${await token('/sub/x')}` } });
      expect(await response.json()).toEqual({ clientKey: INSTALLATION.clientKey, ownKey: false, inLocalsJson: false });
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('express form bodies', () => {
  it('takes a jwt form field only from a parsed form, never from JSON', async () => {
    const store = await storeWithInstallation();
    const app = express();
    app.use(express.urlencoded({ extended: false }), express.json());
    app.post('/submit', atlassianJwt({ store, formParams: 'fallback' }), (req, res) => {
      res.json({ clientKey: req.atlassian.clientKey });
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/submit`;
      // With formParams: 'fallback', a POST without a query hashes its form fields (minus jwt).
      const now = Math.floor(Date.now() / 1000);
      const qsh = computeQsh('POST', '/submit', { body: { name: 'x' }, formParams: 'fallback' });
      const formToken = await encode(
        { iss: INSTALLATION.clientKey, iat: now, exp: now + 60, qsh },
        INSTALLATION.sharedSecret,
      );
      const form = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ name: 'x', jwt: formToken }),
      });
      expect(form.status).toBe(200);
      const json = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jwt: await token('/submit', 'POST') }),
      });
      expect(json.status).toBe(401);
      expect(((await json.json()) as { code: string }).code).toBe('ERR_TOKEN_MISSING');
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
