// The drivers are optional peers: an import that reads one kind of ACE store loads only its driver,
// and a driver that is not installed is one line saying which package to install.
import { describe, expect, it } from 'vitest';
import { importDriver } from '../src/sources/driver.js';

describe('importDriver', () => {
  it('loads an installed driver', async () => {
    const pg = await importDriver(() => import('pg'), 'pg', 'postgres://ace@db/ace');
    expect(typeof pg.default.Client).toBe('function');
  });

  it('names the package to install when it is missing, as ERR_ACE_SOURCE', async () => {
    const name = 'connect-jwt-driver-that-is-not-installed';
    const failure = importDriver(() => import(name), name, 'sqlite:store.db');
    await expect(failure).rejects.toMatchObject({
      code: 'ERR_ACE_SOURCE',
      message: `reading the ACE store at sqlite:store.db needs the package ${name}: npm install ${name}`,
    });
  });
});
