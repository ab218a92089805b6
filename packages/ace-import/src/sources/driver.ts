import { AceSourceError } from './types.js';

/**
 * The database driver for one kind of ACE store, loaded by the import that reads that kind only:
 * the drivers are optional peer dependencies, so a PostgreSQL import never builds better-sqlite3.
 * `load` is a literal dynamic import of the driver, so TypeScript still sees its types.
 */
export async function importDriver<T>(
  load: () => Promise<T>,
  name: string,
  display: string,
  purpose = `reading the ACE store at ${display}`,
): Promise<T> {
  try {
    return await load();
  } catch (cause) {
    const { code, message } = cause as { code?: unknown; message?: unknown };
    const missing =
      (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') &&
      typeof message === 'string' &&
      message.includes(`'${name}'`);
    if (!missing) throw cause;
    throw new AceSourceError(`${purpose} needs the package ${name}: npm install ${name}`, {
      cause,
    });
  }
}
