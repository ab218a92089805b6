import { parseArgs } from 'node:util';
import { isConnectJwtError } from '@connect-jwt/core';
import { formatReport } from './report.js';
import { importAce } from './run.js';

/** Where the command writes and what it reads from its environment; tests pass their own. */
export interface ImportAceIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: Record<string, string | undefined>;
}

export const IMPORT_ACE_USAGE = `usage: npx @connect-jwt/ace-import --from <ACE store> --to <connect-jwt store> [options]

  --from URL             ACE's store: sqlite:<path>, postgres://… or redis://… (never written to)
  --to URL               where connect-jwt keeps installations: sqlite:<path>, postgres://… or redis://…,
                         with the store's own ?table= (sqlite), ?schema=&table= (postgres) or
                         ?prefix= (redis), e.g. postgres://db/app?schema=addon&table=installations
  --table NAME           ACE's store.table setting (sqlite and postgres sources); default AddonSetting
  --dry-run              report what would happen, write nothing
  --overwrite            replace target records that differ (default: keep them, list each conflict)
  --encryption-key KEY   write through encryptedStore (64 hex or 44 base64 characters);
                         or set CONNECT_JWT_ENCRYPTION_KEY

Exit 0 when the import ran (skipped records and conflicts are listed), 1 when a store could not
be read or written, 2 for a usage mistake.
`;

const OPTIONS = {
  from: { type: 'string' },
  to: { type: 'string' },
  table: { type: 'string' },
  'dry-run': { type: 'boolean' },
  overwrite: { type: 'boolean' },
  'encryption-key': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** `connect-jwt-import-ace …` (the arguments after the bin's name); returns the exit code. */
export async function importAceCommand(argv: string[], io: ImportAceIo): Promise<number> {
  let values: ReturnType<typeof parseArgs<{ options: typeof OPTIONS }>>['values'];
  try {
    values = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false }).values;
  } catch (error) {
    io.stderr(`connect-jwt-import-ace: ${(error as Error).message}\n\n${IMPORT_ACE_USAGE}`);
    return 2;
  }
  if (values.help) {
    io.stdout(IMPORT_ACE_USAGE);
    return 0;
  }
  if (!values.from || !values.to) {
    io.stderr(`connect-jwt-import-ace: --from and --to are required\n\n${IMPORT_ACE_USAGE}`);
    return 2;
  }
  try {
    const report = await importAce({
      from: values.from,
      to: values.to,
      table: values.table,
      dryRun: values['dry-run'],
      overwrite: values.overwrite,
      encryptionKey: values['encryption-key'] ?? io.env.CONNECT_JWT_ENCRYPTION_KEY,
    });
    for (const line of formatReport(report)) io.stdout(`${line}\n`);
    return 0;
  } catch (error) {
    if (error instanceof TypeError) {
      io.stderr(`connect-jwt-import-ace: ${error.message}\n`);
      return 2;
    }
    // Store failures are expected outcomes of a migration tool: one line, no stack trace.
    if (isConnectJwtError(error)) {
      io.stderr(`connect-jwt-import-ace: ${(error as Error).message}\n`);
      return 1;
    }
    throw error;
  }
}
