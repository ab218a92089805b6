import { MemoryStore } from '@connect-jwt/core';
import { afterEach, describe, expect, it } from 'vitest';
import { startAddon } from '../../express-addon/src/app.js';
import { exampleDescriptor, renderGeneralPage, whoAmIPath } from '../src/index.js';

const cleanUps: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanUp of cleanUps.splice(0).reverse()) await cleanUp();
});

describe('exampleDescriptor', () => {
  it('is the shared descriptor with the add-on key, name and base URL filled in', () => {
    const descriptor = exampleDescriptor('http://localhost:3000', { key: 'k-example', name: 'K example' });
    expect(descriptor).toMatchObject({
      key: 'k-example',
      name: 'K example',
      baseUrl: 'http://localhost:3000',
      authentication: { type: 'jwt' },
      apiMigrations: { 'signed-install': true, 'context-qsh': true },
    });
    expect(JSON.stringify(descriptor)).not.toContain('{{');
  });
});

describe('serveAddon', () => {
  it('announces BASE_URL when given: the descriptor and the accepted install audience follow it', async () => {
    const addon = await startAddon({
      port: 0,
      host: '127.0.0.1',
      baseUrl: 'https://tunnel.example.com/',
      store: new MemoryStore(),
    });
    cleanUps.push(() => addon.close());
    expect(addon.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(addon.baseUrl).toBe('https://tunnel.example.com');
    const descriptor = (await (await fetch(`${addon.url}/atlassian-connect.json`)).json()) as { baseUrl: string };
    expect(descriptor.baseUrl).toBe('https://tunnel.example.com');
  });
});

describe('renderGeneralPage', () => {
  it('loads all.js, calls back with a context token, and escapes what it shows', () => {
    const html = renderGeneralPage({
      accountId: '<script>alert(1)</script>',
      baseUrl: 'https://addon.example.com/',
      contextRoute: '/api/context',
      productCallRoute: '/api/myself',
    });
    expect(html).toContain('all.js');
    expect(html).toContain('AP.context.getToken()');
    expect(html).toContain('"https://addon.example.com/api/context"');
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });
});

describe('whoAmIPath', () => {
  it('picks the REST resource of the installation product', () => {
    const installation = { clientKey: 'c', sharedSecret: 's', baseUrl: 'https://x' };
    expect(whoAmIPath({ ...installation, productType: 'jira' })).toBe('/rest/api/3/myself');
    expect(whoAmIPath({ ...installation, productType: 'confluence' })).toBe('/rest/api/user/current');
  });
});
