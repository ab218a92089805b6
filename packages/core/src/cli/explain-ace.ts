// atlassian-connect-express's session tokens (`X-acpt`, `res.locals.token`) look like a host token
// without a qsh, so "the qsh is missing" would send a developer the wrong way: they are signed by
// the add-on itself (`iss` = the add-on key) for one site (`aud` = [clientKey]).

/** The add-on key and clientKey of what looks like an ACE session token; undefined for anything else. */
export function aceSessionToken(
  header: unknown,
  payload: Record<string, unknown>,
): { appKey: string; clientKey: string } | undefined {
  const alg = header !== null && typeof header === 'object' ? (header as { alg?: unknown }).alg : undefined;
  const { iss, aud, qsh } = payload;
  const clientKey = Array.isArray(aud) && aud.length === 1 ? aud[0] : aud;
  if (alg !== 'HS256' || qsh !== undefined || typeof iss !== 'string' || typeof clientKey !== 'string')
    return undefined;
  if (iss === '' || clientKey === '' || iss === clientKey) return undefined;
  return { appKey: iss, clientKey };
}

/** What to tell a developer holding one. */
export function describeAceSessionToken(token: { appKey: string; clientKey: string }): string[] {
  return [
    `an atlassian-connect-express session token (X-acpt / res.locals.token): iss is the add-on key "${token.appKey}", aud the clientKey "${token.clientKey}", no qsh`,
    "connect-jwt looks secrets up by iss, so it refuses it (ERR_INVALID_ISSUER): move the page to AP.context.getToken() on a qsh: 'context' route, or during the switch opt in with atlassianJwt({ qsh: 'context', aceSessionTokens: { appKey } })",
  ];
}
