import { parseArgs } from 'node:util';
import { ConnectJwtError, QshMismatchError } from '../errors.js';
import { DEFAULT_CLOCK_TOLERANCE } from '../lib/claims.js';
import { validateVerifyOptions, verifyRequest } from '../request/verify.js';
import { MemoryStore } from '../store/memory.js';
import { createJwt } from '../token/create.js';
import { decodeUnverified } from '../token/decode.js';
import type { QshMode } from '../types/request.js';
import { explainQsh } from './explain.js';
import { aceSessionToken, describeAceSessionToken } from './explain-ace.js';
import { explainForgeToken, isForgeToken } from './explain-forge.js';
import { escapeControls, escapeControlsKeepingLines } from './terminal-text.js';

/** Where the CLI writes and what it reads from its environment; tests pass their own. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: Record<string, string | undefined>;
  /** Current time in milliseconds; default Date.now. */
  now?: () => number;
}

export const USAGE = `usage: connect-jwt <command> [options]

  qsh     --method M --url URL [--base-url B]        the canonical request and its query string hash
  sign    --iss KEY --secret S (--method M --url URL [--base-url B] | --context) [--expires-in SEC] [--sub ID]
                                                     a signed HS256 token for that request
  decode  TOKEN                                      the token's header and claims, NOT verified
  verify  TOKEN --secret S --method M --url URL [--base-url B] [--qsh strict|context|any|skip]
          [--clock-tolerance SEC]                    exit 0 when valid, 1 with the error code when not
  explain [TOKEN] --method M --url URL [--base-url B]
                                                     the canonical request and qsh; given a token,
                                                     whether its qsh matches and why not
  explain FIT --app-id ID [--environment TYPE] [--clock-tolerance SEC]
                                                     a Forge Invocation Token: which check fails and
                                                     why (expected vs got aud, iss, environment, time)

Moving from atlassian-connect-express: npx @connect-jwt/ace-import --from ACE_STORE --to STORE
Re-encrypting the store under a new key: npx @connect-jwt/store-url re-encrypt --store STORE

The secret may also come from the CONNECT_JWT_SECRET environment variable.
`;

/** Thrown for a usage mistake: exit code 2 with a message. */
class UsageError extends Error {}

const OPTIONS = {
  method: { type: 'string' },
  url: { type: 'string' },
  'base-url': { type: 'string' },
  iss: { type: 'string' },
  secret: { type: 'string' },
  'expires-in': { type: 'string' },
  context: { type: 'boolean' },
  sub: { type: 'string' },
  qsh: { type: 'string' },
  'clock-tolerance': { type: 'string' },
  'app-id': { type: 'string', multiple: true },
  environment: { type: 'string', multiple: true },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<typeof parse>['values'];

function parse(args: string[]) {
  return parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
}

function required(values: Values, name: 'method' | 'url' | 'iss'): string {
  const value = values[name];
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} is required`);
  return value;
}

function secretOf(values: Values, io: CliIo): string {
  const secret = values.secret ?? io.env.CONNECT_JWT_SECRET;
  if (!secret) throw new UsageError('a shared secret is required: --secret or CONNECT_JWT_SECRET');
  return secret;
}

function seconds(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number) || number < 0) {
    throw new UsageError(`--${name} must be a non-negative number of seconds`);
  }
  return number;
}

function tokenArgument(positionals: string[], optional = false): string | undefined {
  const token = positionals[1];
  if (positionals.length > 2) throw new UsageError(`unexpected argument: ${positionals[2]}`);
  if (token === undefined && !optional) throw new UsageError('a TOKEN argument is required');
  // Accept a pasted header value too.
  return token?.replace(/^\s*(?:JWT|Bearer)\s+/i, '').trim();
}

function describeTime(payload: Record<string, unknown>, nowSeconds: number): string | undefined {
  const { exp } = payload;
  if (typeof exp !== 'number') return 'the token has no numeric "exp" claim';
  const left = exp - nowSeconds;
  if (left > 0) return `expires in ${left} s (${new Date(exp * 1000).toISOString()})`;
  return `EXPIRED ${-left} s ago (${new Date(exp * 1000).toISOString()})${-left <= DEFAULT_CLOCK_TOLERANCE ? `, still within the default ${DEFAULT_CLOCK_TOLERANCE} s clock tolerance` : ''}`;
}

/** The token header for display; a broken one is shown as null (decode only reports, never decides). */
function headerOf(token: string): unknown {
  try {
    return JSON.parse(Buffer.from(token.slice(0, token.indexOf('.')), 'base64url').toString('utf8'));
  } catch {
    return null;
  }
}

// Values may come from an unverified token: escaped, so a claim can neither drive the terminal
// nor start a line of its own (a fake "result: qsh matches").
function line(label: string, value: string): string {
  return `${`${label}:`.padEnd(19)} ${escapeControls(value)}\n`;
}

async function run(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(argv);
  const command = positionals[0];
  if (values.help || command === undefined || command === 'help') {
    io.stdout(USAGE);
    return command === undefined && !values.help ? 2 : 0;
  }
  const nowMs = (io.now ?? Date.now)();
  const baseUrl = values['base-url'];

  switch (command) {
    case 'qsh': {
      // The same canonicalisation and hash as explain (and verifyRequest), without a token.
      const { canonical, qsh } = explainQsh(required(values, 'method'), required(values, 'url'), baseUrl, undefined);
      io.stdout(line('canonical request', canonical));
      io.stdout(line('qsh', qsh));
      return 0;
    }
    case 'sign': {
      // A context token is bound to no request, so it needs no --method or --url.
      const context = values.context ?? false;
      const token = await createJwt(required(values, 'iss'), secretOf(values, io), {
        method: context ? (values.method ?? 'GET') : required(values, 'method'),
        uri: context ? (values.url ?? '/') : required(values, 'url'),
        baseUrl,
        expiresIn: seconds(values['expires-in'], 'expires-in'),
        context,
        subject: values.sub,
        now: nowMs,
      });
      io.stdout(`${token}\n`);
      return 0;
    }
    case 'decode': {
      const token = tokenArgument(positionals) as string;
      const payload = decodeUnverified(token);
      const header = headerOf(token);
      io.stdout('UNVERIFIED: the signature was not checked; do not trust these claims\n');
      io.stdout(`${JSON.stringify({ header, payload }, null, 2)}\n`);
      const time = describeTime(payload as Record<string, unknown>, Math.floor(nowMs / 1000));
      if (time) io.stdout(line('time', time));
      const aceSession = aceSessionToken(header, payload as Record<string, unknown>);
      if (aceSession) io.stdout(line('kind', describeAceSessionToken(aceSession)[0] as string));
      if (isForgeToken(payload as Record<string, unknown>)) {
        io.stdout(
          line('kind', 'a Forge token (Authorization: Bearer): explain TOKEN --app-id ID says which check fails'),
        );
      }
      return 0;
    }
    case 'verify': {
      const token = tokenArgument(positionals) as string;
      const method = required(values, 'method');
      const url = required(values, 'url');
      const secret = secretOf(values, io);
      // The secret on the command line stands for whichever installation the token names.
      const iss = decodeUnverified(token).iss;
      const store = new MemoryStore();
      if (typeof iss === 'string' && iss !== '') await store.set({ clientKey: iss, sharedSecret: secret, baseUrl: '' });
      const options = {
        store,
        baseUrl,
        qsh: values.qsh as QshMode | undefined,
        clockTolerance: seconds(values['clock-tolerance'], 'clock-tolerance'),
      };
      try {
        validateVerifyOptions(options, 'connect-jwt verify');
      } catch (error) {
        throw new UsageError((error as Error).message.replace('options.qsh', '--qsh'));
      }
      const auth = await verifyRequest({ method, url, headers: { authorization: `JWT ${token}` } }, options);
      const subject = auth.accountId ? ` sub=${escapeControls(auth.accountId)}` : '';
      io.stdout(`valid: iss=${escapeControls(auth.clientKey)}${subject}\n`);
      return 0;
    }
    case 'explain': {
      const token = tokenArgument(positionals, true);
      const unverified = token === undefined ? undefined : (decodeUnverified(token) as Record<string, unknown>);
      if (token !== undefined && unverified !== undefined && isForgeToken(unverified)) {
        const explanation = explainForgeToken(token, {
          appIds: values['app-id'] ?? [],
          environments: values.environment,
          clockTolerance: seconds(values['clock-tolerance'], 'clock-tolerance') ?? DEFAULT_CLOCK_TOLERANCE,
          nowSeconds: Math.floor(nowMs / 1000),
        });
        for (const [label, value] of explanation.lines) io.stdout(line(label, value));
        const { failure } = explanation;
        io.stdout(
          line(
            'result',
            failure ? `would be refused: ${failure.code} (${failure.message})` : 'every claim check passes',
          ),
        );
        io.stdout("(the signature was not checked: that needs Forge's JWKS)\n");
        return failure ? 1 : 0;
      }
      // Before --method/--url are required: a session token is bound to no request.
      const aceSession =
        token === undefined || unverified === undefined ? undefined : aceSessionToken(headerOf(token), unverified);
      if (aceSession) {
        const [kind, advice] = describeAceSessionToken(aceSession) as [string, string];
        io.stdout(line('kind', kind));
        io.stdout(line('result', 'not a host token: connect-jwt refuses it unless aceSessionTokens is set'));
        io.stdout(line('likely reason', advice));
        const time = describeTime(unverified as Record<string, unknown>, Math.floor(nowMs / 1000));
        if (time) io.stdout(line('time', time));
        io.stdout('(the signature was not checked: explain never needs the secret)\n');
        return 1;
      }
      const method = required(values, 'method');
      const url = required(values, 'url');
      const payload = token === undefined ? undefined : (decodeUnverified(token) as Record<string, unknown>);
      const explanation = explainQsh(method, url, baseUrl, payload === undefined ? undefined : (payload.qsh ?? null));
      io.stdout(line('method', method.toUpperCase()));
      io.stdout(line('canonical request', explanation.canonical));
      io.stdout(line('qsh', explanation.qsh));
      if (payload === undefined) return 0;
      io.stdout(line('token qsh', String(payload.qsh)));
      io.stdout(line('result', explanation.matches ? 'qsh matches' : 'qsh does NOT match'));
      for (const reason of explanation.reasons) io.stdout(line('likely reason', reason));
      const time = describeTime(payload, Math.floor(nowMs / 1000));
      if (time) io.stdout(line('time', time));
      io.stdout('(the signature was not checked: explain never needs the secret)\n');
      return explanation.matches ? 0 : 1;
    }
    default:
      throw new UsageError(`unknown command: ${command}`);
  }
}

/** Runs one CLI invocation; returns the exit code (0 ok, 1 invalid token, 2 usage error). */
export async function main(argv: string[], given: CliIo): Promise<number> {
  // Everything printed passes here too, so no path (an error message, JSON) writes a raw control character.
  const io: CliIo = {
    ...given,
    stdout: (text) => given.stdout(escapeControlsKeepingLines(text)),
    stderr: (text) => given.stderr(escapeControlsKeepingLines(text)),
  };
  try {
    if (argv[0] === 're-encrypt') {
      // Where store URLs are opened (core loads no store package), named here for those who look.
      io.stderr(
        'connect-jwt: re-encrypt is the bin of @connect-jwt/store-url: npx @connect-jwt/store-url re-encrypt --help\n',
      );
      return 2;
    }
    if (argv[0] === 'import-ace') {
      // Its own package's bin (it carries the database drivers core does not), named here for those
      // who look for it in core's CLI.
      io.stderr('connect-jwt: import-ace is the bin of @connect-jwt/ace-import: npx @connect-jwt/ace-import --help\n');
      return 2;
    }
    return await run(argv, io);
  } catch (error) {
    if (error instanceof ConnectJwtError) {
      io.stderr(`invalid: ${error.code}: ${error.message}\n`);
      if (error instanceof QshMismatchError && error.canonicalRequest !== '') {
        io.stderr(line('canonical request', error.canonicalRequest));
        io.stderr('run `connect-jwt explain TOKEN --method … --url …` to see why\n');
      }
      return 1;
    }
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.stderr(`connect-jwt: ${(error as Error).message}\n\n${USAGE}`);
      return 2;
    }
    if (error instanceof TypeError) {
      io.stderr(`connect-jwt: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}
