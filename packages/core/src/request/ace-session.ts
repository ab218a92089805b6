import { InvalidAudienceError, InvalidIssuerError, QshMismatchError } from '../errors.js';
import { hasClientKeyCharacters, MAX_CLIENT_KEY_LENGTH } from '../lib/client-key.js';
import type { AceSessionTokenOptions, QshMode } from '../types/request.js';
import type { Installation } from '../types/store.js';

// atlassian-connect-express hands its front end a session token of its own (`X-acpt`,
// `res.locals.token`): HS256 with the site's shared secret, `iss` the add-on key, `aud` [clientKey],
// `exp` ACE's maxTokenAge ahead, no qsh. Accepting it is opt-in, for the switch only, and no looser
// than ACE: `aud` only finds the secret, the signature is verified before anything else is trusted,
// and `exp` is required. Stricter than ACE: `iss` must be the configured add-on key, and only routes
// that take context tokens take it, since it is bound to no request either.

/** Validates `aceSessionTokens` at setup; returns the add-on key, or undefined when not opted in. */
export function resolveAceSessionKey(options: AceSessionTokenOptions | undefined, caller: string): string | undefined {
  if (options === undefined) return undefined;
  if (options === null || typeof options !== 'object' || typeof options.appKey !== 'string' || options.appKey === '') {
    throw new TypeError(`${caller}: options.aceSessionTokens.appKey must be the add-on key (the descriptor's "key")`);
  }
  return options.appKey;
}

/** The clientKey an ACE session token's `aud` names: only used to look the secret up. */
export function sessionClientKey(payload: Record<string, unknown>): string {
  const aud = payload.aud;
  const clientKey = Array.isArray(aud) && aud.length === 1 ? aud[0] : aud;
  if (
    typeof clientKey !== 'string' ||
    clientKey === '' ||
    clientKey.length > MAX_CLIENT_KEY_LENGTH ||
    !hasClientKeyCharacters(clientKey)
  ) {
    throw new InvalidAudienceError('an ACE session token must name one installation clientKey as its "aud"');
  }
  return clientKey;
}

/** After the signature: the record must be this add-on's (ACE signs with `iss` = the record's `key`). */
export function checkSessionInstallation(installation: Installation, appKey: string): void {
  if (installation.key !== undefined && installation.key !== appKey) {
    throw new InvalidIssuerError('the ACE session token names an installation of another add-on key');
  }
}

/** A session token is bound to no request: only routes that take context tokens take it. */
export function checkSessionQsh(payload: Record<string, unknown>, mode: QshMode): void {
  if (payload.qsh !== undefined) {
    throw new QshMismatchError('an ACE session token carries no "qsh" claim, yet this one has one');
  }
  if (mode === 'strict') {
    throw new QshMismatchError(
      "an ACE session token is bound to no request: it is accepted only on routes verified with qsh: 'context', 'any' or 'skip'",
    );
  }
}
