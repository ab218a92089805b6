import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { MissingPackageError } from '../errors.js';

function isNotFound(error: unknown, specifier: string): boolean {
  const { code, message } = error as { code?: unknown; message?: unknown };
  // Only the package itself missing: a package that is there but lacks one of ITS dependencies
  // must surface as that error, not as "install the package you already have".
  return (
    (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') &&
    typeof message === 'string' &&
    message.includes(`'${specifier}'`)
  );
}

/**
 * Imports an optional package: first as this package sees it (npm and yarn hoist it next to us),
 * then from each of `from` (directories or module URLs), because a strict layout such as pnpm's
 * only lets the application, not core, see the packages the application installed.
 */
export async function importOptionalPackage(
  specifier: string,
  purpose: string,
  from: readonly (string | URL)[],
): Promise<Record<string, unknown>> {
  let firstError: unknown;
  try {
    return (await import(specifier)) as Record<string, unknown>;
  } catch (error) {
    if (!isNotFound(error, specifier)) throw error;
    firstError = error;
  }
  for (const base of from) {
    const anchor = base instanceof URL || base.startsWith('file:') ? base : join(base, 'noop.js');
    let resolved: string;
    try {
      resolved = createRequire(anchor).resolve(specifier);
    } catch {
      continue;
    }
    return (await import(pathToFileURL(resolved).href)) as Record<string, unknown>;
  }
  throw new MissingPackageError(`${purpose} needs the package ${specifier}: install it (npm install ${specifier})`, {
    cause: firstError,
    packageName: specifier,
  });
}
