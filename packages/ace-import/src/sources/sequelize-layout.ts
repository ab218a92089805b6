// How ACE's sequelize adapter lays out its tables, shared by the SQLite and PostgreSQL readers.

/** ACE's model name; sequelize pluralises it into the table name. */
export const DEFAULT_MODEL = 'AddonSetting';
/** ACE's Forge link table (model `InstallationClientKey`). */
export const LINK_TABLE = 'InstallationClientKeys';

/**
 * The table names ACE's `store.table` setting may have become, most likely first. Sequelize names
 * a model's table after its plural (`AddonSetting` -> `AddonSettings`); the name as given comes
 * last, for a table already named in the plural or renamed by hand.
 */
export function tableCandidates(table: string | undefined): string[] {
  const model = table ?? DEFAULT_MODEL;
  const plurals = [`${model}s`, `${model}es`];
  if (/[^aeiou]y$/i.test(model)) plurals.unshift(`${model.slice(0, -1)}ies`);
  return [...new Set([...plurals, model])];
}

export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Every clientKey with a clientInfo row, and how many rows each has. */
export function clientKeysQuery(table: string): string {
  return `SELECT "clientKey" AS "clientKey", COUNT(*) AS "rows" FROM ${quoteIdentifier(table)} WHERE "key" = 'clientInfo' GROUP BY "clientKey"`;
}

/**
 * The statement sequelize runs for ACE's `get('clientInfo', clientKey)` (findOne: no ORDER BY,
 * LIMIT 1), so that where ACE holds duplicate rows the database picks the same one for us as for
 * ACE. `placeholder` is the driver's parameter marker.
 */
export function clientInfoQuery(table: string, placeholder: string, nullKey: boolean): string {
  const where = nullKey ? 'IS NULL' : `= ${placeholder}`;
  return `SELECT "id", "clientKey", "key", "val" FROM ${quoteIdentifier(table)} AS "AddonSetting" WHERE "AddonSetting"."key" = 'clientInfo' AND "AddonSetting"."clientKey" ${where} LIMIT 1`;
}

export function linksQuery(): string {
  return `SELECT "installationId", "clientKey" FROM ${quoteIdentifier(LINK_TABLE)}`;
}

export function missingTableMessage(display: string, candidates: string[], table: string | undefined): string {
  const option = table === undefined ? '' : ` (from --table ${table})`;
  return `the ACE store at ${display} has no table ${candidates.join(' or ')}${option}: pass ACE's store.table setting as --table`;
}
