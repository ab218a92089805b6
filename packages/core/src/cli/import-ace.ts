import { importOptionalPackage } from '../lib/optional-package.js';
import type { CliIo } from './main.js';

type ImportAceCommand = (argv: string[], io: CliIo) => Promise<number>;

/**
 * `connect-jwt import-ace …`: run by @connect-jwt/ace-import, loaded only now, because reading ACE's
 * stores takes the SQLite, PostgreSQL and Redis drivers that core does not carry.
 */
export async function runImportAce(argv: string[], io: CliIo): Promise<number> {
  const module = await importOptionalPackage('@connect-jwt/ace-import', 'connect-jwt import-ace', [process.cwd()]);
  const command = module.importAceCommand as ImportAceCommand | undefined;
  if (typeof command !== 'function') throw new TypeError('@connect-jwt/ace-import does not export importAceCommand');
  return command(argv, io);
}
