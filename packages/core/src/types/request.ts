import type { JWTPayload } from 'jose';
import type { License } from './license.js';
import type { Installation, SecretStore } from './store.js';

/** A framework's request reduced to what verification needs. */
export interface ConnectRequest {
  method: string;
  /** The request target as received: raw path + query (or an absolute URL). Never a re-built URL. */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  /** The parsed form body, if the framework parsed one. */
  body?: unknown;
}

/** Whether form fields take part in the qsh; see DESIGN.md "Form bodies". */
export type FormParamsPolicy = 'none' | 'fallback' | 'merge';

/** How a route checks the qsh claim. */
export type QshMode = 'strict' | 'context' | 'any' | 'skip';

export interface VerifyOptions {
  /** Where shared secrets are looked up by the token's `iss`. */
  store: SecretStore;
  /** The add-on's own base URL: its path prefix is stripped before computing the qsh. */
  baseUrl?: string | undefined;
  /** `strict` (default): qsh of this request; `context`: `context-qsh`; `any`: either; `skip`: unchecked. */
  qsh?: QshMode | undefined;
  /** Seconds of leeway for exp/nbf/iat; default 30. */
  clockTolerance?: number | undefined;
  /** Reject tokens whose `exp - iat` is larger than this many seconds. */
  maxTokenAge?: number | undefined;
  /** Reject longer tokens before parsing anything; default 8192 characters. */
  maxTokenLength?: number | undefined;
  /**
   * Whether form fields take part in the qsh; default `none`. `merge` covers query and form
   * together (recommended); `fallback` hashes the form only of a POST/PUT without a query, so with
   * a query the body is not covered. Either way a nested form value is refused.
   */
  formParams?: FormParamsPolicy | undefined;
  /**
   * Transitional, opt-in: also accept the session tokens atlassian-connect-express gave its front
   * end (`X-acpt`, `res.locals.token`) while pages still send them, on routes that take context
   * tokens. The secret is looked up by the token's `aud`, its `iss` must be `appKey`, its signature
   * and `exp` are checked. Remove it once every page uses `AP.context.getToken()`.
   */
  aceSessionTokens?: AceSessionTokenOptions | undefined;
}

/** `aceSessionTokens`: the add-on key ACE signed its session tokens with (the descriptor's `key`). */
export interface AceSessionTokenOptions {
  appKey: string;
}

/** A verified request: who sent it and what they signed. */
export interface ConnectAuth {
  /** Tells a Connect JWT apart from a Forge invocation where a route accepts both. */
  kind: 'connect';
  /** The installation's clientKey (= the verified `iss`). */
  clientKey: string;
  installation: Installation;
  payload: JWTPayload;
  /** The raw token, e.g. to pass on to the add-on's front end. */
  token: string;
  /** `sub`: the Atlassian accountId of the user, when the token names one. */
  accountId?: string;
  /** The `context` claim of context tokens. */
  context?: unknown;
  /**
   * The licence the request states: the `lic` parameter of a page load, read only when the qsh
   * covered the query (a `strict` match); `undefined` when there is none.
   */
  license?: License;
}
