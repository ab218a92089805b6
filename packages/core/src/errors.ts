/**
 * Every failure this library reports is a ConnectJwtError with a stable `code`
 * (for programs) and an HTTP `status` (for adapters). Messages say what was wrong
 * and never contain a token, a shared secret or a signing input.
 */
export class ConnectJwtError extends Error {
  /** The class's code, readable without an instance: `error.code === TokenExpiredError.code`. */
  static readonly code: string = 'ERR_CONNECT_JWT';
  /** Stable machine-readable code, e.g. `ERR_TOKEN_EXPIRED`. */
  readonly code: string = 'ERR_CONNECT_JWT';
  /** HTTP status an adapter answers with. */
  readonly status: number = 401;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class MissingTokenError extends ConnectJwtError {
  static override readonly code = 'ERR_TOKEN_MISSING';
  override readonly code = 'ERR_TOKEN_MISSING';
}

export class MalformedTokenError extends ConnectJwtError {
  static override readonly code = 'ERR_TOKEN_MALFORMED';
  override readonly code = 'ERR_TOKEN_MALFORMED';
}

export class UnsupportedAlgorithmError extends ConnectJwtError {
  static override readonly code = 'ERR_ALG_UNSUPPORTED';
  override readonly code = 'ERR_ALG_UNSUPPORTED';
}

export class InvalidIssuerError extends ConnectJwtError {
  static override readonly code = 'ERR_INVALID_ISSUER';
  override readonly code = 'ERR_INVALID_ISSUER';
}

export class InvalidSignatureError extends ConnectJwtError {
  static override readonly code = 'ERR_INVALID_SIGNATURE';
  override readonly code = 'ERR_INVALID_SIGNATURE';
}

export class TokenExpiredError extends ConnectJwtError {
  static override readonly code = 'ERR_TOKEN_EXPIRED';
  override readonly code = 'ERR_TOKEN_EXPIRED';
}

export class TokenNotYetValidError extends ConnectJwtError {
  static override readonly code = 'ERR_TOKEN_NOT_YET_VALID';
  override readonly code = 'ERR_TOKEN_NOT_YET_VALID';
}

export class QshMismatchError extends ConnectJwtError {
  static override readonly code = 'ERR_QSH_MISMATCH';
  override readonly code = 'ERR_QSH_MISMATCH';
  /** The request as this server canonicalised it (never a secret), to debug a mismatch. */
  readonly canonicalRequest: string;

  constructor(message: string, options?: { cause?: unknown; canonicalRequest?: string }) {
    super(message, options);
    this.canonicalRequest = options?.canonicalRequest ?? '';
  }
}

export class InvalidAudienceError extends ConnectJwtError {
  static override readonly code = 'ERR_INVALID_AUDIENCE';
  override readonly code = 'ERR_INVALID_AUDIENCE';
}

/**
 * A Forge Invocation Token that is authentic and meant for this app but whose context is not
 * acceptable: `app.id` differs from `aud`, or the environment is not on the allow-list.
 */
export class ForgeContextError extends ConnectJwtError {
  static override readonly code = 'ERR_FORGE_CONTEXT';
  override readonly code = 'ERR_FORGE_CONTEXT';
}

/** A refused lifecycle callback: 401 for a bad signature or claims, 400 for a bad body. */
export class InvalidInstallError extends ConnectJwtError {
  static override readonly code = 'ERR_INVALID_INSTALL';
  override readonly code = 'ERR_INVALID_INSTALL';
  override readonly status: number;

  constructor(message: string, options?: { cause?: unknown; status?: 400 | 401 }) {
    super(message, options);
    this.status = options?.status ?? 401;
  }
}

/** The secret store (or the install-key server) could not answer: retry later, not a bad token. */
export class StoreUnavailableError extends ConnectJwtError {
  static override readonly code = 'ERR_STORE_UNAVAILABLE';
  override readonly code = 'ERR_STORE_UNAVAILABLE';
  override readonly status = 503;
  /** Seconds after which a retry may succeed (the `Retry-After` answer), when known. */
  readonly retryAfter: number | undefined;

  constructor(message: string, options?: { cause?: unknown; retryAfter?: number }) {
    super(message, options);
    this.retryAfter = options?.retryAfter;
  }
}

/**
 * A stored shared secret could not be decrypted: the record was written under a key that is
 * neither the store's key nor one of its `previousKeys`, or it was altered. A 503 like any store
 * failure (the request may be fine, the server is misconfigured), and never a secret silently
 * taken as valid. The message names the installation's clientKey, never a key.
 */
export class SecretDecryptionError extends StoreUnavailableError {}

/**
 * The request's licence says the app is not licensed for this site (`lic=none`, or a Forge
 * `app.license` that is not active): `requireLicense()` refuses it. 402, since the answer is
 * "pay for the app", not "who are you".
 */
export class LicenseInactiveError extends ConnectJwtError {
  static override readonly code = 'ERR_LICENSE_INACTIVE';
  override readonly code = 'ERR_LICENSE_INACTIVE';
  override readonly status = 402;
}

/** The product's REST API did not say what the app's licence is (`fetchLicense`): retry later. */
export class LicenseUnavailableError extends ConnectJwtError {
  static override readonly code = 'ERR_LICENSE_UNAVAILABLE';
  override readonly code = 'ERR_LICENSE_UNAVAILABLE';
  override readonly status = 503;
}

/**
 * Another delivery of the same webhook (same `X-Atlassian-Webhook-Identifier`) is being handled
 * right now, here or on another instance. 409 Conflict, which Jira retries: by then the first
 * delivery has finished (the retry is absorbed) or failed (the retry runs the handler).
 */
export class WebhookInProgressError extends ConnectJwtError {
  static override readonly code = 'ERR_WEBHOOK_IN_PROGRESS';
  override readonly code = 'ERR_WEBHOOK_IN_PROGRESS';
  override readonly status = 409;
}

/** An authentic webhook this add-on cannot take: a body that is not JSON, an event the route does not serve, a malformed header. */
export class WebhookDeliveryError extends ConnectJwtError {
  static override readonly code = 'ERR_WEBHOOK_DELIVERY';
  override readonly code = 'ERR_WEBHOOK_DELIVERY';
  override readonly status = 400;
}

/**
 * The app's webhook handler threw: answered 500 so that Jira delivers the webhook again. The
 * handler's error is the `cause`; its message and stack never go out.
 */
export class WebhookHandlerError extends ConnectJwtError {
  static override readonly code = 'ERR_WEBHOOK_HANDLER';
  override readonly code = 'ERR_WEBHOOK_HANDLER';
  override readonly status = 500;
}

/**
 * The keys that would verify a token (Forge's JWKS) could not be fetched: retry later. Its own
 * code, so an operator tells a Forge key outage from a store outage; the status is the same 503.
 */
export class KeysUnavailableError extends ConnectJwtError {
  static override readonly code = 'ERR_KEYS_UNAVAILABLE';
  override readonly code = 'ERR_KEYS_UNAVAILABLE';
  override readonly status = 503;
}

/** True for any error raised by this library, including one from another copy of it. */
export function isConnectJwtError(error: unknown): error is ConnectJwtError {
  if (error instanceof ConnectJwtError) return true;
  if (!(error instanceof Error)) return false;
  const { code, status } = error as Error & { code?: unknown; status?: unknown };
  return typeof code === 'string' && code.startsWith('ERR_') && typeof status === 'number';
}

/**
 * The OAuth 2.0 authorization server refused to issue a user token (JWT-bearer grant): its HTTP
 * `authServerStatus` and the OAuth `error` / `errorDescription` it gave. Never carries the
 * assertion, the shared secret or a token.
 */
export class UserTokenError extends ConnectJwtError {
  static override readonly code = 'ERR_USER_TOKEN';
  override readonly code = 'ERR_USER_TOKEN';
  /** Upstream refused: the add-on cannot do what was asked, not the caller's token. */
  override readonly status = 502;
  /** The authorization server's HTTP status (0 when it answered 2xx without a usable token). */
  readonly authServerStatus: number;
  /** The OAuth `error` code, e.g. `invalid_grant`. */
  readonly error: string | undefined;
  /** The OAuth `error_description`. */
  readonly errorDescription: string | undefined;

  constructor(
    message: string,
    options: { cause?: unknown; authServerStatus: number; error?: string; errorDescription?: string },
  ) {
    super(message, options);
    this.authServerStatus = options.authServerStatus;
    this.error = options.error;
    this.errorDescription = options.errorDescription;
  }
}

/** The authorization server could not be reached, timed out or answered 429/5xx: retry later. */
export class UserTokenUnavailableError extends ConnectJwtError {
  static override readonly code = 'ERR_USER_TOKEN_UNAVAILABLE';
  override readonly code = 'ERR_USER_TOKEN_UNAVAILABLE';
  override readonly status = 503;
  /** The authorization server's HTTP status, when it answered at all. */
  readonly authServerStatus: number | undefined;
  /** Seconds after which a retry may succeed, when the server said so. */
  readonly retryAfter: number | undefined;

  constructor(message: string, options?: { cause?: unknown; authServerStatus?: number; retryAfter?: number }) {
    super(message, options);
    this.authServerStatus = options?.authServerStatus;
    this.retryAfter = options?.retryAfter;
  }
}
