// A store's constructor options, checked once at setup: a mistake is a TypeError naming the
// option, never a store that quietly runs with a default the caller did not mean.

/** What a store takes: a string (its URL or file name) or an options object. */
export interface StoreOptionsShape<Options> {
  /** The option a plain string stands for, e.g. `url` or `filename`. */
  fromString: keyof Options & string;
  /**
   * Every option the store knows. A record rather than a list, so that the compiler asks for a new
   * option to be added here when it is added to the options type.
   */
  known: Record<keyof Options & string, true>;
}

/**
 * The options object a store was given: a string becomes `{ [fromString]: string }`; anything but
 * an object, and any key the store does not know, is a TypeError that names the known options.
 * (A misspelt or renamed option, e.g. `connectionString` for `url`, would otherwise be ignored and
 * the store would quietly connect to its default.)
 */
export function storeOptions<Options extends object>(
  owner: string,
  given: string | Options | undefined,
  shape: StoreOptionsShape<Options>,
): Options {
  if (typeof given === 'string') return { [shape.fromString]: given } as Options;
  const options = given === undefined ? ({} as Options) : given;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`${owner}: options must be a ${describe(shape.fromString)} or an options object`);
  }
  const known = Object.keys(shape.known);
  const unknown = Object.keys(options).filter((key) => !Object.hasOwn(shape.known, key));
  if (unknown.length > 0) {
    const names = unknown.map((key) => JSON.stringify(key)).join(', ');
    throw new TypeError(
      `${owner}: unknown option${unknown.length > 1 ? 's' : ''} ${names}; the options are ${known.join(', ')}`,
    );
  }
  return options;
}

function describe(fromString: string): string {
  return fromString === 'url' ? 'connection URL' : fromString;
}

export interface NumberRule {
  /** The smallest value allowed. */
  min: number;
  /** A count (connections, entries) rather than a measure: only whole numbers. */
  integer?: boolean;
  /** What the number measures, for the message, e.g. `milliseconds`. */
  unit?: string;
}

/**
 * A numeric option, or `fallback` when it is not given. The one rule for every store: a finite
 * number, at least `min`, and whole where it counts something.
 */
export function numberOption(owner: string, name: string, value: unknown, fallback: number, rule: NumberRule): number {
  if (value === undefined) return fallback;
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    value < rule.min ||
    (rule.integer === true && !Number.isInteger(value))
  ) {
    const kind = rule.integer ? 'a whole number' : 'a number';
    const unit = rule.unit === undefined ? '' : ` of ${rule.unit}`;
    throw new TypeError(`${owner}: options.${name} must be ${kind}${unit}, at least ${rule.min}`);
  }
  return value;
}

// Quoted, since they go into SQL text: letters, digits and `_`, within PostgreSQL's 63 characters.
const SQL_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** An SQL identifier option (schema, table), or `fallback`: safe to quote into a statement. */
export function identifierOption(owner: string, name: string, value: unknown, fallback: string): string {
  const identifier = value ?? fallback;
  if (typeof identifier !== 'string' || !SQL_IDENTIFIER.test(identifier)) {
    throw new TypeError(`${owner}: options.${name} must be an SQL identifier (letters, digits, _)`);
  }
  return identifier;
}
