import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Installation, type SecretStore, verifyRequest } from '@connect-jwt/core';
import { toErrorResponse } from '@connect-jwt/core/adapter';
import { type ProductType, productContextPath } from './product-type.js';
import type { LimitedAnswer } from './rate-limit.js';
import { readBody } from './read-body.js';

/** One call the add-on made to the product's REST API, as the product saw it. */
export interface ReceivedCall {
  method: string;
  /** The request target as received (path + query). */
  url: string;
  /** The answer's status: 401 when the JWT was refused. */
  status: number;
  /** The verified `iss` (the add-on key), when the JWT was accepted. */
  appKey?: string;
  /** `sub` of the accepted token, when it acts for a user. */
  accountId?: string;
  /** Why the JWT was refused (`ERR_…`). */
  code?: string;
  /** How the call authenticated: the add-on's JWT, or a Bearer token acting as a user. */
  auth?: 'jwt' | 'bearer';
  /** `iat` of the accepted JWT: a call signed anew has its own. */
  issuedAt?: number;
  /** The parsed JSON body, if any. */
  body?: unknown;
}

/** Who may call: the installed add-on's key and the secret it shares with this product. */
export interface ApiCaller {
  appKey: string;
  sharedSecret: string;
}

export interface ProductApiOptions {
  productType: ProductType;
  /** The add-on currently installed, or undefined (then every call is refused). */
  caller: () => ApiCaller | undefined;
  /** The accountId `myself`/`user/current` describe. */
  accountId: string;
  /** Who a Bearer token acts as (tokens of the authorization server); without it Bearer is refused. */
  bearer?: (token: string) => BearerCaller;
  /** A scripted rate-limited answer to give instead of the real one, after authentication. */
  limited?: () => LimitedAnswer | undefined;
  /** The app's licence `GET /rest/atlassian-connect/1/addons/{appKey}` reports; undefined for a free app. */
  license?: () => AppLicense | undefined;
}

/** A licence as the product's REST API reports it for the installed app. */
export interface AppLicense {
  active: boolean;
  type?: string;
  evaluation?: boolean;
}

/** What a Bearer token is worth: its user and add-on, or why it is refused. */
export type BearerCaller =
  | { accountId: string; appKey: string }
  | { refused: 'ERR_TOKEN_EXPIRED' | 'ERR_TOKEN_UNKNOWN' };

export interface ProductApi {
  /** The site URL, e.g. `http://127.0.0.1:50123` (no `/wiki`). */
  siteUrl: string;
  /** The product's base URL: the site URL plus `/wiki` for Confluence. */
  baseUrl: string;
  received: ReceivedCall[];
  /**
   * Answers a call the product's own front end makes for the signed-in user (what `AP.request`
   * does): no JWT, the host knows the user from its session. Not listed in `received`.
   */
  answerUser(request: UserRequest): UserAnswer;
  close(): Promise<void>;
}

/** A REST call made by the product's page for its signed-in user. */
export interface UserRequest {
  method: string;
  /** Path + query below the product's base URL (`/rest/api/space`, also for Confluence). */
  url: string;
  body?: unknown;
}

export interface UserAnswer {
  status: number;
  body: unknown;
}

type Route = (request: { method: string; path: string; body: unknown; accountId?: string }) => [number, unknown];

const MAX_BODY_BYTES = 1024 * 1024;

/**
 * The product's REST API: checks every call's JWT as the host does (HS256 with the installation's
 * shared secret, `iss` = the add-on key, qsh of the request below the product's base URL, so
 * Confluence's `/wiki` is not hashed) and answers a few read-only endpoints.
 */
export async function startProductApi(options: ProductApiOptions): Promise<ProductApi> {
  const received: ReceivedCall[] = [];
  const contextPath = productContextPath(options.productType);
  let siteUrl = '';
  const routes =
    options.productType === 'jira'
      ? jiraRoutes(() => siteUrl, options.accountId)
      : confluenceRoutes(() => siteUrl, options.accountId);

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const body = await readJson(req);
    const call: ReceivedCall = { method, url, status: 0, ...(body !== undefined && { body }) };
    received.push(call);
    const bearer = /^Bearer +(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (bearer !== undefined) {
      // As the host: a user token acts as its account and needs no JWT; an expired one is refused.
      const who = options.bearer?.(bearer) ?? { refused: 'ERR_TOKEN_UNKNOWN' as const };
      call.auth = 'bearer';
      if ('refused' in who) {
        call.status = 401;
        call.code = who.refused;
        send(res, 401, { code: 401, message: 'Client must be authenticated to access this resource.' });
        return;
      }
      call.appKey = who.appKey;
      call.accountId = who.accountId;
      answer(res, call, method, url, body);
      return;
    }
    const caller = options.caller();
    try {
      const store = callerStore(caller, `${siteUrl}${contextPath}`);
      const auth = await verifyRequest(
        { method, url, headers: req.headers },
        { store, baseUrl: `${siteUrl}${contextPath}` },
      );
      call.appKey = auth.clientKey;
      call.auth = 'jwt';
      if (typeof auth.payload.iat === 'number') call.issuedAt = auth.payload.iat;
      if (auth.accountId !== undefined) call.accountId = auth.accountId;
    } catch (error) {
      const answer = toErrorResponse(error);
      call.status = answer.status;
      call.code = answer.body.code;
      send(res, answer.status, answer.body, answer.headers);
      return;
    }
    answer(res, call, method, url, body);
  }

  function answer(res: ServerResponse, call: ReceivedCall, method: string, url: string, body: unknown): void {
    const limited = options.limited?.();
    if (limited !== undefined) {
      call.status = limited.status;
      send(res, limited.status, limited.body, limited.headers);
      return;
    }
    const appKey = options.caller()?.appKey;
    const [status, result] =
      call.appKey !== undefined && method === 'GET' && isAddonPath(url, contextPath, appKey)
        ? addonAnswer(appKey, options.license?.())
        : route(method, url, body, call.accountId);
    call.status = status;
    send(res, status, result);
  }

  function route(method: string, url: string, body: unknown, accountId: string | undefined): [number, unknown] {
    const path = new URL(url, 'http://product').pathname;
    const found = path.startsWith(contextPath) ? routes[`${method} ${path.slice(contextPath.length)}`] : undefined;
    return found
      ? found({ method, path, body, ...(accountId !== undefined && { accountId }) })
      : [404, { errorMessages: [`no such resource: ${method} ${path}`] }];
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  siteUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    siteUrl,
    baseUrl: `${siteUrl}${contextPath}`,
    received,
    answerUser(request) {
      const [status, body] = route(
        request.method.toUpperCase(),
        `${contextPath}${request.url.startsWith('/') ? '' : '/'}${request.url}`,
        request.body,
        options.accountId,
      );
      return { status, body };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A store that knows only the installed add-on, by its key: the `iss` of the calls it makes. */
function callerStore(caller: ApiCaller | undefined, baseUrl: string): SecretStore {
  return {
    async get(key: string): Promise<Installation | undefined> {
      if (!caller || key !== caller.appKey) return undefined;
      return { clientKey: caller.appKey, sharedSecret: caller.sharedSecret, baseUrl };
    },
    async set() {},
    async delete() {},
  };
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const body = await readBody(req, MAX_BODY_BYTES);
  if (body.length === 0) return undefined;
  const text = body.toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

// `GET /rest/atlassian-connect/1/addons/{appKey}`: the calling app's own record, its licence included.
function isAddonPath(url: string, contextPath: string, appKey: string | undefined): boolean {
  const path = new URL(url, 'http://product').pathname;
  return (
    appKey !== undefined && path === `${contextPath}/rest/atlassian-connect/1/addons/${encodeURIComponent(appKey)}`
  );
}

function addonAnswer(appKey: string | undefined, license: AppLicense | undefined): [number, unknown] {
  return [
    200,
    {
      key: appKey,
      state: 'ENABLED',
      ...(license !== undefined && { license: { type: 'commercial', evaluation: false, ...license } }),
    },
  ];
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

function jiraRoutes(siteUrl: () => string, accountId: string): Record<string, Route> {
  return {
    'GET /rest/api/3/myself': (request) => [
      200,
      {
        self: `${siteUrl()}/rest/api/3/user?accountId=${request.accountId ?? accountId}`,
        accountId: request.accountId ?? accountId,
        accountType: request.accountId ? 'atlassian' : 'app',
        displayName: request.accountId ? 'Ada Lovelace' : 'Example app',
        active: true,
        timeZone: 'Europe/Berlin',
        locale: 'en_US',
      },
    ],
    'GET /rest/api/3/serverInfo': () => [
      200,
      { baseUrl: siteUrl(), version: '1001.0.0-SNAPSHOT', deploymentType: 'Cloud', serverTitle: 'Jira' },
    ],
    'GET /rest/api/3/project': () => [200, [{ id: '10000', key: 'TEST', name: 'Test project' }]],
  };
}

function confluenceRoutes(siteUrl: () => string, accountId: string): Record<string, Route> {
  return {
    'GET /rest/api/space': () => [
      200,
      {
        results: [{ id: 98306, key: 'TEST', name: 'Test space', type: 'global', _links: { webui: '/spaces/TEST' } }],
        start: 0,
        limit: 25,
        size: 1,
        _links: { base: `${siteUrl()}/wiki`, context: '/wiki' },
      },
    ],
    'GET /rest/api/user/current': (request) => [
      200,
      {
        type: request.accountId ? 'known' : 'app',
        accountId: request.accountId ?? accountId,
        accountType: request.accountId ? 'atlassian' : 'app',
        displayName: request.accountId ? 'Ada Lovelace' : 'Example app',
      },
    ],
  };
}
