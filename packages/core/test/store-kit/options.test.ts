import { identifierOption, numberOption, storeOptions } from '@connect-jwt/core/store-kit';
import { describe, expect, it } from 'vitest';

interface ExampleOptions {
  url?: string;
  table?: string;
  commandTimeout?: number;
}
const shape = { fromString: 'url', known: { url: true, table: true, commandTimeout: true } } as const;

describe('storeOptions', () => {
  it('takes a string as the option it stands for, and an object or nothing as it is', () => {
    expect(storeOptions<ExampleOptions>('ExampleStore', 'postgres://h/db', shape)).toEqual({ url: 'postgres://h/db' });
    const given = { table: 't' };
    expect(storeOptions<ExampleOptions>('ExampleStore', given, shape)).toBe(given);
    expect(storeOptions<ExampleOptions>('ExampleStore', undefined, shape)).toEqual({});
  });

  it('refuses an unknown key with a TypeError that names it and every known option', () => {
    const call = () => storeOptions<ExampleOptions>('ExampleStore', { connectionString: 'x' } as never, shape);
    expect(call).toThrow(TypeError);
    expect(call).toThrow('ExampleStore: unknown option "connectionString"; the options are url, table, commandTimeout');
    expect(() => storeOptions<ExampleOptions>('ExampleStore', { a: 1, b: 2 } as never, shape)).toThrow(
      /unknown options "a", "b"/,
    );
  });

  it('refuses what is neither a string nor an options object', () => {
    for (const bad of [null, 5, [], true]) {
      expect(() => storeOptions<ExampleOptions>('ExampleStore', bad as never, shape)).toThrow(
        'ExampleStore: options must be a connection URL or an options object',
      );
    }
  });
});

describe('numberOption: one rule (finite, at least min, whole where it counts)', () => {
  it('answers the fallback when not given, and the value when it keeps the rule', () => {
    expect(numberOption('S', 'timeout', undefined, 2000, { min: 1 })).toBe(2000);
    expect(numberOption('S', 'timeout', 1.5, 2000, { min: 1 })).toBe(1.5);
    expect(numberOption('S', 'busy', 0, 2000, { min: 0, integer: true })).toBe(0);
  });

  it('refuses NaN, infinities, strings, values below min and fractions of a count', () => {
    const rule = { min: 1, unit: 'milliseconds' };
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, '100', 0, -5, null]) {
      expect(() => numberOption('S', 'timeout', bad, 2000, rule)).toThrow(
        'S: options.timeout must be a number of milliseconds, at least 1',
      );
    }
    expect(() => numberOption('S', 'max', 2.5, 10, { min: 1, integer: true })).toThrow(
      'S: options.max must be a whole number, at least 1',
    );
  });
});

describe('identifierOption', () => {
  it('takes letters, digits and _ (up to 63), the fallback when not given', () => {
    expect(identifierOption('S', 'table', undefined, 'installations')).toBe('installations');
    expect(identifierOption('S', 'table', `_${'a'.repeat(62)}`, 'x')).toHaveLength(63);
  });

  it('refuses anything that could break out of a quoted identifier', () => {
    for (const bad of ['', 'a"; DROP', '1abc', 'a b', 'a'.repeat(64), 5]) {
      expect(() => identifierOption('S', 'table', bad, 'x')).toThrow('S: options.table must be an SQL identifier');
    }
  });
});
