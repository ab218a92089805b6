import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { isConnectJwtError, reencryptStore } from '@connect-jwt/core';
import { parseStoreUrl } from '@connect-jwt/core/store-kit';
import { storeFromUrl } from './store-from-url.js';

/** Where the command writes and what it reads from its environment; tests pass their own. */
export interface CommandIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: Record<string, string | undefined>;
}

export const REENCRYPT_USAGE = `usage: connect-jwt-store re-encrypt --store URL [--key-env NAME | --key-file PATH]
         [--previous-key-env NAME]… [--previous-key-file PATH]… [--dry-run]

  Rewrites every installation's shared secret under the current key, so previous keys can be
  retired (README: "Rotating the encryption key"). Keys are read from environment variables or
  files, never from the command line: --key-env defaults to SECRET_KEY.
  Exit 0 when every row is under the current key, 1 when some could not be read, 2 on a usage error.
`;

const OPTIONS = {
  store: { type: 'string' },
  'key-env': { type: 'string' },
  'key-file': { type: 'string' },
  'previous-key-env': { type: 'string', multiple: true },
  'previous-key-file': { type: 'string', multiple: true },
  'dry-run': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The unreadable clientKeys printed at most; the count says how many there are. */
const LISTED_AT_MOST = 20;

/**
 * `connect-jwt-store re-encrypt …` (the package's bin): exit 0 done, 1 some rows unreadable or the
 * store failed, 2 a usage mistake.
 */
export async function storeCommand(argv: string[], io: CommandIo): Promise<number> {
  try {
    if (argv[0] !== 're-encrypt') {
      io.stdout(REENCRYPT_USAGE);
      return argv[0] === '--help' || argv[0] === '-h' ? 0 : 2;
    }
    return await reencrypt(argv.slice(1), io);
  } catch (error) {
    // A usage mistake (a bad option, a key that is not one) is a TypeError; none carries a key.
    if (error instanceof TypeError || String((error as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS')) {
      io.stderr(`connect-jwt-store: ${(error as Error).message}\n`);
      return 2;
    }
    if (isConnectJwtError(error)) {
      io.stderr(`connect-jwt-store: ${error.code}: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

async function reencrypt(argv: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  if (values.help) {
    io.stdout(REENCRYPT_USAGE);
    return 0;
  }
  if (positionals.length > 0) throw new TypeError(`re-encrypt: unexpected argument: ${positionals[0]}`);
  if (!values.store) throw new TypeError('re-encrypt: --store URL is required');
  const location = parseStoreUrl(values.store, 're-encrypt --store');
  if (values['key-env'] !== undefined && values['key-file'] !== undefined) {
    throw new TypeError('re-encrypt: give --key-env or --key-file, not both');
  }
  const key =
    values['key-file'] !== undefined
      ? fromFile(values['key-file'], '--key-file')
      : fromEnv(values['key-env'] ?? 'SECRET_KEY', '--key-env', io);
  const previousKeys = [
    ...(values['previous-key-env'] ?? []).map((name) => fromEnv(name, '--previous-key-env', io)),
    ...(values['previous-key-file'] ?? []).map((path) => fromFile(path, '--previous-key-file')),
  ];
  const dryRun = values['dry-run'] ?? false;

  const store = storeFromUrl(values.store);
  try {
    const report = await reencryptStore(store, key, { previousKeys, dryRun });
    const rewritten = dryRun ? `would rewrite ${report.rewritten}` : `rewrote ${report.rewritten}`;
    io.stdout(
      `${location.display}: listed ${report.listed}, ${rewritten}, already under the current key ${report.current}, ` +
        `written by the add-on meanwhile ${report.changed}, unreadable ${report.unreadable.length}${dryRun ? ' (dry run: nothing written)' : ''}\n`,
    );
    if (!report.atomic && !dryRun) {
      io.stdout(
        "this store has no replace (compare-and-set): a reinstall landing between a row's re-read and its rewrite may have been overwritten\n",
      );
    }
    if (report.changed > 0 && !dryRun)
      io.stdout('rows written meanwhile were left to that write: run again to check them\n');
    if (report.unreadable.length > 0) {
      const shown = report.unreadable.slice(0, LISTED_AT_MOST).map((clientKey) => JSON.stringify(clientKey));
      const more =
        report.unreadable.length > LISTED_AT_MOST ? `, and ${report.unreadable.length - LISTED_AT_MOST} more` : '';
      io.stderr(
        `no listed key opens the secret of: ${shown.join(', ')}${more} (a key no longer listed, or an altered row)\n`,
      );
      return 1;
    }
    return 0;
  } finally {
    await store.close?.();
  }
}

function fromEnv(name: string, option: string, io: CommandIo): string {
  const value = io.env[name];
  if (value === undefined || value === '')
    throw new TypeError(`re-encrypt: ${option}: the environment variable ${name} is not set`);
  return value.trim();
}

/** A key file holds the key as text (hex or base64, a trailing newline is fine) or as 32 raw bytes. */
function fromFile(path: string, option: string): string | Buffer {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (cause) {
    throw new TypeError(`re-encrypt: ${option}: cannot read ${path}`, { cause });
  }
  return bytes.length === 32 ? bytes : bytes.toString('utf8').trim();
}
