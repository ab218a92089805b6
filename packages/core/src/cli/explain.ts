import { originOf, requestTarget } from '../lib/url.js';
import { buildCanonicalRequest, canonicalRequest } from '../qsh/canonical.js';
import { CONTEXT_QSH, computeQsh, sha256Hex } from '../qsh/hash.js';

export interface QshExplanation {
  /** The request as this server canonicalises it. */
  canonical: string;
  qsh: string;
  /** Whether `tokenQsh` matches (either parameter order); undefined without a token. */
  matches?: boolean;
  /** Why the token's qsh likely differs, most likely first. */
  reasons: string[];
}

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'];
// Context paths products and proxies put in front of the hashed path.
const COMMON_PREFIXES = ['/wiki', '/jira', '/confluence', '/bitbucket', '/addon', '/app'];

function splitTarget(url: string): { origin: string; path: string; query: string } {
  const target = requestTarget(url);
  const q = target.indexOf('?');
  return {
    origin: originOf(url),
    path: q === -1 ? target : target.slice(0, q),
    query: q === -1 ? '' : target.slice(q + 1),
  };
}

/**
 * The canonical request and qsh of a request and, given a token's qsh, the likely reason it does
 * not match: each candidate is a mistake signers commonly make, checked by recomputing the hash.
 */
export function explainQsh(
  method: string,
  url: string,
  baseUrl: string | undefined,
  tokenQsh?: unknown,
): QshExplanation {
  // The URL is a request as the server received it: hashed as given, as verifyRequest does.
  const canonical = canonicalRequest(method, url, { baseUrl, requestTarget: 'as-given' });
  const qsh = sha256Hex(canonical);
  if (tokenQsh === undefined) return { canonical, qsh, reasons: [] };
  if (typeof tokenQsh !== 'string') {
    return {
      canonical,
      qsh,
      matches: false,
      reasons: ['the token has no usable "qsh" claim (it is missing or not a string)'],
    };
  }
  if (tokenQsh === CONTEXT_QSH) {
    return {
      canonical,
      qsh,
      matches: false,
      reasons: [
        "this is a context token (qsh \"context-qsh\", from AP.context.getToken()): it is accepted only on routes verified with qsh: 'context' or 'any'",
      ],
    };
  }
  const packageForm = buildCanonicalRequest(method, url, { baseUrl }, 'atlassian-jwt');
  if (tokenQsh === qsh || tokenQsh === sha256Hex(packageForm)) return { canonical, qsh, matches: true, reasons: [] };

  const reasons: string[] = [];
  const { origin, path, query } = splitTarget(url);
  const matchesFor = (m: string, target: string, base: string | undefined) =>
    // Each guess is a string some signer hashed, so it is hashed as given.
    computeQsh(m, target, { baseUrl: base, requestTarget: 'as-given' }) === tokenQsh;
  const withQuery = (p: string, q = query) => `${p || '/'}${q === '' ? '' : `?${q}`}`;

  // A base path that should be stripped: leading segments or a common context path.
  const segments = path.split('/').filter((s, i) => i > 0 || s !== '');
  for (let n = 1; n < segments.length; n++) {
    const prefix = `/${segments.slice(0, n).join('/')}`;
    if (matchesFor(method, withQuery(path.slice(prefix.length)), undefined)) {
      reasons.push(
        `the token was signed for the path without "${prefix}": use a base URL whose path is "${prefix}" (--base-url, VerifyOptions.baseUrl)`,
      );
      break;
    }
  }
  for (const prefix of COMMON_PREFIXES) {
    if (reasons.length > 0) break;
    if (matchesFor(method, withQuery(`${prefix}${path}`), baseUrl)) {
      reasons.push(
        `the token was signed for the path with "${prefix}" in front: the signer did not strip its context path "${prefix}"`,
      );
    }
  }
  if (baseUrl !== undefined && matchesFor(method, url, undefined)) {
    reasons.push(
      'the token was signed for the full path: the base URL path should not be stripped here (drop --base-url or fix it)',
    );
  }
  // A token minted for another method.
  for (const other of METHODS) {
    if (other !== method.toUpperCase() && matchesFor(other, url, baseUrl)) {
      reasons.push(`the token was signed for ${other}, not ${method.toUpperCase()}`);
    }
  }
  // Another query on the same path.
  const pairs = query === '' ? [] : query.split('&').filter((p) => p !== '');
  if (pairs.length > 0 && matchesFor(method, `${origin}${withQuery(path, '')}`, baseUrl)) {
    reasons.push('the token was signed for the same path without any query parameters');
  }
  for (let i = 0; i < pairs.length && pairs.length > 1; i++) {
    const without = pairs.filter((_, j) => j !== i).join('&');
    if (matchesFor(method, `${origin}${withQuery(path, without)}`, baseUrl)) {
      reasons.push(`the token was signed for the same path without the parameter "${pairs[i]}"`);
    }
  }
  // A signer that hashed the decoded (or re-encoded) path.
  try {
    const decoded = decodeURIComponent(path);
    if (decoded !== path && matchesFor(method, `${origin}${withQuery(decoded)}`, baseUrl)) {
      reasons.push('the token was signed for the percent-decoded path; the host hashes the raw path as sent');
    }
  } catch {
    // A path that does not decode cannot have been hashed decoded.
  }
  if (reasons.length === 0) {
    reasons.push(
      'no common mistake reproduces the token qsh: it was signed for another path or query; compare the canonical request above with the one the signer computed',
    );
  }
  return { canonical, qsh, matches: false, reasons };
}
