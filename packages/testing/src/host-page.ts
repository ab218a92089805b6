import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FakeProduct, IframeOptions } from './fake-product.js';
import { renderHostPage } from './host-page-html.js';
import { tamperToken } from './host-tokens.js';
import { readBody } from './read-body.js';
import { STAND_IN_ALL_JS } from './stand-in-all-js.js';

export interface HostPageOptions {
  /**
   * The origin the page is opened at, which the iframe's `xdm_e` names. Default
   * `http://localhost:<port>`, or `http://127.0.0.1:<port>` when the add-on runs on localhost, so
   * the add-on is framed from another site, as in a product. Set it when something in front of
   * the page (a proxy, Chromium's `--host-resolver-rules`) serves it under another name.
   */
  origin?: string;
}

export interface HostPageLoad extends IframeOptions {
  /** Frame the add-on with a token edited after signing, or an expired one, instead of a valid one. */
  iframeToken?: 'valid' | 'tampered' | 'expired';
  /** `AP.context.getToken()` rejects with this message, as when the product cannot mint a token. */
  contextTokenError?: string;
}

/** One `AP` call the framed page made, as the host page saw it. */
export interface BridgeCall {
  method: string;
  args: unknown[];
  /** The token, context, size or API answer the page got, or the error message it got instead. */
  result?: unknown;
  error?: string;
}

export interface HostPage {
  /** Where the page is opened, and what `xdm_e` says. */
  readonly origin: string;
  /** Every `AP` call a framed page made, in order. */
  readonly calls: BridgeCall[];
  /**
   * The URL of a product page framing the add-on's `path`. Each load mints a fresh signed iframe
   * URL, as the product does.
   */
  pageUrl(path: string, load?: HostPageLoad): string;
  close(): Promise<void>;
}

const MAX_BRIDGE_BODY_BYTES = 64 * 1024;
const PRODUCT_NAMES = { jira: 'Jira', confluence: 'Confluence' } as const;

class BridgeError extends Error {
  constructor(
    message: string,
    readonly xhr?: { status: number; responseText: string },
  ) {
    super(message);
  }
}

function defaultHost(addonBaseUrl: string | undefined): string {
  return addonBaseUrl !== undefined && new URL(addonBaseUrl).hostname === 'localhost' ? '127.0.0.1' : 'localhost';
}

async function readBridgeCall(req: IncomingMessage): Promise<{ method: string; args: unknown[] }> {
  const body = await readBody(req, MAX_BRIDGE_BODY_BYTES);
  const call = JSON.parse(body.toString('utf8')) as { method?: unknown; args?: unknown };
  if (typeof call.method !== 'string' || !Array.isArray(call.args)) throw new BridgeError('not an AP call');
  return { method: call.method, args: call.args };
}

/**
 * A product page on 127.0.0.1 that frames an add-on installed in `product`, for browser tests:
 * it serves the page (with the host half of the `AP` bridge), the stand-in `all.js` at
 * `/atlassian-connect/all.js`, and performs the page's `AP` calls with the fake product. Tokens
 * are minted here, server-side: the browser never sees the shared secret. Close it after the test.
 */
export async function startHostPage(product: FakeProduct, options: HostPageOptions = {}): Promise<HostPage> {
  if (options.origin !== undefined && !/^https?:\/\/[^/]+$/.test(options.origin)) {
    throw new TypeError('startHostPage: options.origin must be an http(s) origin without a path');
  }
  const pages = new Map<string, { path: string; load: HostPageLoad }>();
  const calls: BridgeCall[] = [];
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(String(error));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const origin = options.origin ?? `http://${defaultHost(product.addon?.baseUrl)}:${port}`;

  async function framedUrl(path: string, load: HostPageLoad): Promise<string> {
    const url = await product.iframeUrl(path, { ...load, hostOrigin: load.hostOrigin ?? origin });
    if (load.iframeToken === 'tampered') {
      return url.replace(/([?&]jwt=)([^&]+)$/, (_match, name: string, token: string) => name + tamperToken(token));
    }
    if (load.iframeToken === 'expired') {
      const unsigned = url.replace(/&jwt=[^&]+$/, '');
      return `${unsigned}&jwt=${await product.expiredToken({ url: unsigned })}`;
    }
    return url;
  }

  async function perform(call: { method: string; args: unknown[] }, load: HostPageLoad): Promise<unknown> {
    switch (call.method) {
      case 'context.getToken':
        if (load.contextTokenError !== undefined) throw new BridgeError(load.contextTokenError);
        return product.contextToken(load.accountId !== undefined ? { accountId: load.accountId } : {});
      case 'context.getContext':
        return product.context;
      case 'resize':
        return null;
      case 'request': {
        const request = call.args[0] as { url?: unknown; type?: unknown; data?: unknown } | undefined;
        if (typeof request?.url !== 'string') throw new BridgeError('AP.request needs a url');
        const method = typeof request.type === 'string' ? request.type : 'GET';
        const answer = product.userRequest(request.url, { method, body: request.data });
        const xhr = { status: answer.status, responseText: JSON.stringify(answer.body) };
        if (answer.status >= 400) throw new BridgeError(`${method} ${request.url} answered ${answer.status}`, xhr);
        return { body: xhr.responseText, xhr };
      }
      default:
        throw new BridgeError(`AP.${call.method} is not part of the stand-in all.js`);
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', origin);
    if (req.method === 'GET' && url.pathname === '/atlassian-connect/all.js') {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(STAND_IN_ALL_JS);
      return;
    }
    const [, kind, id] = /^\/(page|bridge)\/([0-9a-f-]{36})$/.exec(url.pathname) ?? [];
    const page = id === undefined ? undefined : pages.get(id);
    if (page === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('no such host page');
      return;
    }
    if (kind === 'page' && req.method === 'GET') {
      const addon = product.addon;
      if (addon === undefined) throw new Error('the fake product has not installed an add-on yet');
      const html = renderHostPage({
        productName: PRODUCT_NAMES[product.productType],
        appKey: addon.appKey,
        moduleKey: page.load.moduleKey ?? 'hello',
        iframeUrl: await framedUrl(page.path, page.load),
        bridgeUrl: `/bridge/${id}`,
      });
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(html);
      return;
    }
    if (kind === 'bridge' && req.method === 'POST') {
      // Only the page itself may ask the host to mint tokens, not another site the browser visits.
      if (req.headers.origin !== undefined && req.headers.origin !== origin) {
        res.writeHead(403, { 'content-type': 'text/plain; charset=utf-8' }).end('cross-origin AP call refused');
        return;
      }
      const call = await readBridgeCall(req);
      const seen: BridgeCall = { method: call.method, args: call.args };
      calls.push(seen);
      let answer: unknown;
      try {
        seen.result = await perform(call, page.load);
        answer = { result: seen.result };
      } catch (error) {
        seen.error = error instanceof Error ? error.message : String(error);
        answer = {
          error: { message: seen.error, ...(error instanceof BridgeError && error.xhr && { xhr: error.xhr }) },
        };
      }
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(answer));
      return;
    }
    res.writeHead(405, { 'content-type': 'text/plain; charset=utf-8' }).end('method not allowed');
  }

  return {
    origin,
    calls,
    pageUrl(path, load = {}) {
      const id = randomUUID();
      pages.set(id, { path, load });
      return `${origin}/page/${id}`;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
