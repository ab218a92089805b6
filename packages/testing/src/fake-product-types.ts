import type { TokenRequestRecord } from './authorization-server.js';
import type { ContextTokenOptions, HostTokenOptions } from './host-tokens.js';
import type { KeyServer } from './key-server.js';
import type { AppLicense, ReceivedCall, UserAnswer } from './product-api.js';
import type { ProductType } from './product-type.js';
import type { RateLimitOptions } from './rate-limit.js';
import type { InstallPayload } from './signed-install.js';
import type { WebhookEvent } from './webhook-payloads.js';

export interface FakeProductOptions {
  /** Default `jira`. Confluence serves its API under `/wiki`, as the real one does. */
  productType?: ProductType;
  /** The installation's clientKey; default a random UUID. */
  clientKey?: string;
  /** The user the product acts for (`sub` of host and context tokens). */
  accountId?: string;
  /** Seconds the user tokens of `authorizationServerUrl` live; default 900, as Atlassian's. */
  userTokenLifetime?: number;
  /**
   * The app's licence, as `GET /rest/atlassian-connect/1/addons/{appKey}` reports it (what
   * `fetchLicense` reads); default none, as for a free app. `setLicense()` changes it.
   */
  license?: AppLicense;
}

/**
 * How to break an install for a negative test: no token at all, an HS256 token signed with the
 * body's own shared secret (the classic forgery), a token for another add-on (`aud`), one signed by
 * a key the key server never published, or one that has expired.
 */
export type InstallForgery = 'unsigned' | 'hs256' | 'wrong-audience' | 'unpublished-key' | 'expired';

export interface InstallOptions {
  /** The add-on key; default the `key` of the add-on's `/atlassian-connect.json`. */
  appKey?: string;
  /** Default the descriptor's `lifecycle.installed`, else `/installed`. */
  installedPath?: string;
  /** Default the descriptor's `lifecycle.uninstalled`, else `/uninstalled`. */
  uninstalledPath?: string;
  /** Fields of the install body to replace. */
  payload?: Partial<InstallPayload>;
  /** Send a forged install instead (the product remembers nothing from it). */
  forgery?: InstallForgery;
}

export interface UninstallOptions {
  forgery?: InstallForgery;
}

export interface ProductRequestOptions {
  method?: string;
  /** A JSON body (sent with `content-type: application/json`) or a string. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Default a host token for exactly this request; a string sends that token; `null` sends none. */
  token?: string | null;
  /** Where the token goes; default the `Authorization: JWT …` header. */
  tokenIn?: 'header' | 'query';
}

/** A webhook delivery: how the request is signed and the delivery headers Jira adds. */
export interface WebhookDeliveryOptions extends Omit<ProductRequestOptions, 'method'> {
  /** `X-Atlassian-Webhook-Identifier`; default a fresh uuid per call (the same for both of webhookTwice). */
  identifier?: string;
  /** `X-Atlassian-Webhook-Retry`, sent when above 0; default 0. */
  retry?: number;
  /** `X-Atlassian-Webhook-Flow`; default `Primary`. */
  flow?: 'Primary' | 'Secondary';
}

export interface IframeOptions {
  /** The module key the iframe renders; default `hello`. */
  moduleKey?: string;
  /** More context parameters (e.g. `{ 'project.key': 'TEST' }`). */
  params?: Record<string, string>;
  accountId?: string;
  /**
   * The origin of the page that frames the iframe: what `xdm_e` names and where `all.js` posts
   * its messages. Default the product's site URL; a host page (`startHostPage`) passes its own.
   */
  hostOrigin?: string;
}

/** What the fake product knows about the add-on it installed. */
export interface InstalledAddon {
  appKey: string;
  baseUrl: string;
  installedPath: string;
  uninstalledPath: string;
}

export interface FakeProduct {
  readonly productType: ProductType;
  /** The product's base URL (what installs announce; its REST API is below it). */
  readonly baseUrl: string;
  /** The site URL (`xdm_e`), without Confluence's `/wiki`. */
  readonly siteUrl: string;
  /** Pass this to `connectLifecycle({ keyServerUrl })`. */
  readonly keyServerUrl: string;
  readonly keyServer: KeyServer;
  readonly clientKey: string;
  /** The current shared secret (changes on every successful install). */
  readonly sharedSecret: string;
  readonly accountId: string;
  /** The context the product shows the add-on (`AP.context.getContext()`, tokens' `context` claim). */
  readonly context: Record<string, unknown>;
  /** The add-on, once an install was accepted. */
  readonly addon: InstalledAddon | undefined;
  /** True between an accepted install and an accepted uninstall. */
  readonly installed: boolean;
  /** Every call the add-on made to the product's REST API, in order. */
  readonly received: ReceivedCall[];
  /** The installation's OAuth client (sent in the install payload), the `iss` of user-token assertions. */
  readonly oauthClientId: string;
  /**
   * A strict fake OAuth 2.0 authorization server for acting as a user (`getUserAccessToken`,
   * `productFetch(…, { as })`); its tokens are accepted by this product's API as their account.
   */
  readonly authorizationServerUrl: string;
  /** Every `POST /oauth2/token` it received, in order. */
  readonly tokenRequests: TokenRequestRecord[];
  /** Every user token issued so far expires now: the API refuses them (401). */
  expireUserTokens(): void;
  /** The next authenticated API calls (`times`, default 1) get a 429 or 503 with Retry-After instead. */
  rateLimit(options?: RateLimitOptions): void;
  /** POSTs a signed install to the add-on; remembers the shared secret when it answers 2xx. */
  install(addonBaseUrl: string, options?: InstallOptions): Promise<Response>;
  /** POSTs a signed uninstall; afterwards the REST API refuses the add-on. */
  uninstall(options?: UninstallOptions): Promise<Response>;
  /** A host token for a request to the add-on (`url` below its base URL). */
  hostToken(options: HostTokenOptions): Promise<string>;
  /** A token as `AP.context.getToken()` returns it. */
  contextToken(options?: ContextTokenOptions): Promise<string>;
  /** A host token that expired an hour ago. */
  expiredToken(options: HostTokenOptions): Promise<string>;
  /** A host token whose claims were edited after signing. */
  tamperedToken(options: HostTokenOptions): Promise<string>;
  /** The signed URL the product puts in an iframe for `path` (context parameters and `jwt`). */
  iframeUrl(path: string, options?: IframeOptions): Promise<string>;
  /** GETs the iframe URL, as the browser does when the page opens. */
  loadIframe(path: string, options?: IframeOptions): Promise<Response>;
  /**
   * The product's REST API answering its signed-in user, as `AP.request` gets it (no add-on JWT;
   * not listed in `received`). `path` is below the product's base URL.
   */
  userRequest(path: string, options?: { method?: string; body?: unknown }): UserAnswer;
  /** Sends a request to the add-on (`path` below its base URL), signed as the host. */
  request(path: string, options?: ProductRequestOptions): Promise<Response>;
  /**
   * POSTs a webhook with the event's realistic JSON body (or `body`), signed as the host, with
   * Jira's delivery headers: `X-Atlassian-Webhook-Identifier` (a fresh one unless given),
   * `X-Atlassian-Webhook-Flow` and, on a retry, `X-Atlassian-Webhook-Retry`.
   */
  webhook(path: string, event: WebhookEvent, options?: WebhookDeliveryOptions): Promise<Response>;
  /**
   * Delivers one webhook twice with one identifier, as Jira does when an answer is lost or late:
   * `'retry'` sends the second (`Retry: 1`) after the first was answered, `'concurrent'` sends
   * both at once (a retry of a delivery that timed out while still running).
   */
  webhookTwice(
    path: string,
    event: WebhookEvent,
    how: 'retry' | 'concurrent',
    options?: WebhookDeliveryOptions,
  ): Promise<[Response, Response]>;
  /** Changes the licence the REST API reports (`undefined`: none, a free app). */
  setLicense(license: AppLicense | undefined): void;
  close(): Promise<void>;
}
