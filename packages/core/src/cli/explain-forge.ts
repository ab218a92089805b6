import { isConnectJwtError, MalformedTokenError } from '../errors.js';
import { checkForgeClaims } from '../forge/verify.js';
import { parseCompactToken } from '../lib/compact-jws.js';
import { toAppAri } from '../store/installation-id.js';
import { FORGE_INVOCATION_ISSUER } from '../types/forge.js';

export interface ForgeExplainOptions {
  /** The app ids a server would accept (`--app-id`); without them `aud` is shown, not judged. */
  appIds: readonly string[];
  environments?: readonly string[] | undefined;
  clockTolerance: number;
  nowSeconds: number;
}

export interface ForgeExplanation {
  /** Label and value pairs: what the token says beside what a server expects. */
  lines: [string, string][];
  /** The first check that fails, with the code a server would answer; undefined when all pass. */
  failure?: { code: string; message: string };
}

/** True for a token Forge minted (`iss` `forge/…`): an invocation token or a context token. */
export function isForgeToken(payload: Record<string, unknown>): boolean {
  return typeof payload.iss === 'string' && payload.iss.startsWith('forge/');
}

const show = (value: unknown) => (value === undefined ? '(absent)' : JSON.stringify(value));
const record = (value: unknown) =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};

function describeTimes(payload: Record<string, unknown>, now: number, tolerance: number): string {
  const parts: string[] = [];
  const { exp, nbf, iat } = payload;
  if (typeof exp === 'number') {
    parts.push(exp > now ? `expires in ${exp - now} s` : `EXPIRED ${now - exp} s ago`);
  } else parts.push('no numeric "exp"');
  if (typeof nbf === 'number' && nbf > now) parts.push(`not valid for another ${nbf - now} s (nbf)`);
  if (typeof iat === 'number' && iat > now) parts.push(`issued ${iat - now} s in the future (iat)`);
  parts.push(`tolerance ${tolerance} s`);
  return parts.join('; ');
}

/**
 * Which check a server would fail a Forge Invocation Token on, and why: expected against got for
 * `alg`, `iss`, `aud`, `app.id`, the environment and the time claims. The signature is not
 * checked (that needs Forge's JWKS); every other rule is core's own, run on the token.
 */
export function explainForgeToken(token: string, options: ForgeExplainOptions): ForgeExplanation {
  const lines: [string, string][] = [];
  let header: Record<string, unknown> = {};
  let payload: Record<string, unknown> = {};
  try {
    const [head = '', body = ''] = token.split('.');
    header = record(JSON.parse(Buffer.from(head, 'base64url').toString('utf8')));
    payload = record(JSON.parse(Buffer.from(body, 'base64url').toString('utf8')));
  } catch {
    // Reported by the checks below as a malformed token.
  }
  const app = record(payload.app);
  const expected = options.appIds.map(toAppAri);
  lines.push([
    'kind',
    payload.iss === FORGE_INVOCATION_ISSUER ? 'Forge Invocation Token' : 'a Forge token, but not an invocation token',
  ]);
  lines.push([
    'alg',
    `expected "RS256", got ${show(header.alg)}${typeof header.kid === 'string' ? `, kid ${show(header.kid)}` : ', no kid'}`,
  ]);
  lines.push(['iss', `expected "${FORGE_INVOCATION_ISSUER}", got ${show(payload.iss)}`]);
  lines.push([
    'aud',
    expected.length === 0
      ? `got ${show(payload.aud)} (not judged: pass --app-id)`
      : `expected ${expected.map((id) => JSON.stringify(id)).join(' or ')}, got ${show(payload.aud)}`,
  ]);
  lines.push(['app.id', `${show(app.id)} (must equal aud)`]);
  const environment = record(app.environment);
  lines.push([
    'environment',
    `${show(environment.type)}${options.environments ? ` (allowed: ${options.environments.join(', ')})` : ''}`,
  ]);
  lines.push(['installation', show(app.installationId)]);
  lines.push(['apiBaseUrl', show(app.apiBaseUrl)]);
  lines.push([
    'principal',
    payload.principal === undefined ? '(none: a trigger or scheduled call)' : show(payload.principal),
  ]);
  lines.push(['time', describeTimes(payload, options.nowSeconds, options.clockTolerance)]);

  try {
    const parsed = parseCompactToken(token, 'RS256');
    if (typeof parsed.header.kid !== 'string' || parsed.header.kid === '') {
      throw new MalformedTokenError('the token header has no "kid" naming a Forge key');
    }
    // Without --app-id the audience a server would configure is unknown: take the token's own.
    const appIds = new Set(expected.length > 0 ? expected : [toAppAri(String(payload.aud ?? ''))]);
    const environments = options.environments ? new Set(options.environments) : undefined;
    checkForgeClaims(
      parsed.payload,
      { appIds, environments, clockTolerance: options.clockTolerance },
      options.nowSeconds,
    );
    return { lines };
  } catch (error) {
    if (!isConnectJwtError(error)) throw error;
    return { lines, failure: { code: error.code, message: error.message } };
  }
}
