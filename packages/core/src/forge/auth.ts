import { inspect } from 'node:util';
import type { ForgeAuth } from '../types/forge.js';
import type { License } from '../types/license.js';
import type { Installation } from '../types/store.js';

const REDACTED = '[redacted]';

/**
 * A verified Forge invocation. The OAuth tokens Forge sends beside it (valid for hours, they call
 * the product as the app or the user) live in private fields behind getters: JSON.stringify,
 * util.inspect (showHidden included), a spread copy and a logger serialising the request never
 * see them.
 */
export class ForgeInvocation implements ForgeAuth {
  readonly kind = 'forge' as const;
  appId: string;
  installationId: string;
  apiBaseUrl: string;
  environment: { type: string; id: string };
  declare module?: { type: string; key: string };
  declare cloudId?: string;
  declare siteUrl?: string;
  declare accountId?: string;
  declare context?: Record<string, unknown>;
  payload: Record<string, unknown>;
  token: string;
  declare installation?: Installation;
  declare license?: License;
  readonly #systemToken: string | undefined;
  readonly #userToken: string | undefined;

  constructor(fields: Omit<ForgeAuth, 'kind'>) {
    const { systemToken, userToken, ...visible } = fields;
    this.appId = visible.appId;
    this.installationId = visible.installationId;
    this.apiBaseUrl = visible.apiBaseUrl;
    this.environment = visible.environment;
    this.payload = visible.payload;
    this.token = visible.token;
    // Only the fields the token has, so the object prints (and compares) without undefined noise.
    if (visible.module !== undefined) this.module = visible.module;
    if (visible.cloudId !== undefined) this.cloudId = visible.cloudId;
    if (visible.siteUrl !== undefined) this.siteUrl = visible.siteUrl;
    if (visible.accountId !== undefined) this.accountId = visible.accountId;
    if (visible.context !== undefined) this.context = visible.context;
    if (visible.installation !== undefined) this.installation = visible.installation;
    if (visible.license !== undefined) this.license = visible.license;
    this.#systemToken = systemToken;
    this.#userToken = userToken;
  }

  get systemToken(): string | undefined {
    return this.#systemToken;
  }

  get userToken(): string | undefined {
    return this.#userToken;
  }

  /** Every field but the OAuth tokens. */
  toJSON(): Omit<ForgeAuth, 'systemToken' | 'userToken'> {
    return { ...this };
  }

  [inspect.custom](depth: number, options: Parameters<typeof inspect>[1], view: typeof inspect): string {
    const shown: Record<string, unknown> = { ...this.toJSON() };
    // Say that a token is there (useful when debugging a forgeFetch), never what it is.
    if (this.#systemToken !== undefined) shown.systemToken = REDACTED;
    if (this.#userToken !== undefined) shown.userToken = REDACTED;
    return `ForgeInvocation ${view(shown, { ...options, depth: options?.depth == null ? null : depth })}`;
  }
}
