import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { connectDescriptor } from '../../src/index.js';

// ACE's project template descriptor, kept byte for byte as data (comments included: ACE reads it
// with JSON5).
const ACE_TEMPLATE = readFileSync(new URL('./fixtures/ace-template-atlassian-connect.json', import.meta.url), 'utf8');
const BASE_URL = 'https://addon.example.com';

function template(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    key: 'my-app',
    baseUrl: '{{localBaseUrl}}',
    authentication: { type: 'jwt' },
    lifecycle: { installed: '/installed', uninstalled: '/uninstalled' },
    apiMigrations: { 'signed-install': true },
    ...overrides,
  };
}

describe('connectDescriptor with the ACE template descriptor', () => {
  it('serves it unchanged but for {{localBaseUrl}}', () => {
    const descriptor = connectDescriptor(ACE_TEMPLATE, { baseUrl: `${BASE_URL}/` });
    expect(descriptor.baseUrl).toBe(BASE_URL);
    expect(descriptor.links).toEqual({
      self: `${BASE_URL}/atlassian-connect.json`,
      homepage: `${BASE_URL}/atlassian-connect.json`,
    });
    expect(descriptor.key).toBe('my-app');
    expect(descriptor.lifecycle).toEqual({ installed: '/installed' });
    expect(JSON.stringify(descriptor)).not.toContain('{{');
    expect((descriptor.modules as { generalPages: unknown[] }).generalPages).toHaveLength(2);
  });

  it('refuses it when connectLifecycle serves another installed path', () => {
    expect(() => connectDescriptor(ACE_TEMPLATE, { baseUrl: BASE_URL, installedPath: '/lifecycle/installed' })).toThrow(
      /lifecycle.installed is "\/installed" but connectLifecycle serves "\/lifecycle\/installed"/,
    );
  });

  it('accepts http on loopback only', () => {
    expect(connectDescriptor(ACE_TEMPLATE, { baseUrl: 'http://localhost:3000' }).baseUrl).toBe('http://localhost:3000');
    expect(connectDescriptor(ACE_TEMPLATE, { baseUrl: 'http://127.0.0.1:3000' }).baseUrl).toBe('http://127.0.0.1:3000');
    expect(connectDescriptor(ACE_TEMPLATE, { baseUrl: 'http://[::1]:3000' }).baseUrl).toBe('http://[::1]:3000');
    expect(() => connectDescriptor(ACE_TEMPLATE, { baseUrl: 'http://addon.example.com' })).toThrow(/must be https/);
    expect(() => connectDescriptor(ACE_TEMPLATE, { baseUrl: 'http://localhost.evil.com' })).toThrow(/must be https/);
  });
});

describe('connectDescriptor placeholders', () => {
  it('fills {{appKey}}, {{environment}} and named values everywhere, and every occurrence', () => {
    const descriptor = connectDescriptor(
      template({
        key: '{{appKey}}',
        name: '{{name}} ({{environment}})',
        modules: { webhooks: [{ url: '{{baseUrl}}/hook?env={{environment}}&again={{environment}}' }] },
      }),
      { baseUrl: BASE_URL, appKey: 'my-key', environment: 'staging', values: { name: 'My add-on' } },
    );
    expect(descriptor.key).toBe('my-key');
    expect(descriptor.name).toBe('My add-on (staging)');
    expect(descriptor.modules).toEqual({
      webhooks: [{ url: `${BASE_URL}/hook?env=staging&again=staging` }],
    });
  });

  it('names a placeholder that has no value', () => {
    expect(() => connectDescriptor(template({ name: '{{productName}}' }), { baseUrl: BASE_URL })).toThrow(
      'connectDescriptor: descriptor.name has {{productName}}, and no value was given for "productName"',
    );
  });

  it('does not change the template object it was given', () => {
    const given = template();
    connectDescriptor(given, { baseUrl: BASE_URL });
    expect(given.baseUrl).toBe('{{localBaseUrl}}');
  });

  it('keeps "//" inside strings and drops comments and trailing commas', () => {
    const text = `{ "key": "k", /* block */ "baseUrl": "{{localBaseUrl}}", // line
      "links": { "self": "https://x.example.com//a" },
      "authentication": { "type": "jwt", /* a comment before the bracket */ },
      "lifecycle": { "installed": "/installed" },
      "apiMigrations": { "signed-install": true },
      "description": "a, }",
    }`;
    const descriptor = connectDescriptor(text, { baseUrl: BASE_URL });
    expect(descriptor.links).toEqual({ self: 'https://x.example.com//a' });
    expect(descriptor.description).toBe('a, }');
  });
});

describe('connectDescriptor checks what breaks installs', () => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['no key', { key: undefined }, /key must be/],
    ['a key with a space', { key: 'my app' }, /key must be/],
    ['a key of 65 characters', { key: 'k'.repeat(65) }, /key must be/],
    ['no baseUrl', { baseUrl: undefined }, /baseUrl must be an absolute URL/],
    ['a plain-http baseUrl', { baseUrl: 'http://addon.example.com' }, /must be https/],
    ['no authentication', { authentication: undefined }, /authentication.type must be "jwt"/],
    ['authentication none', { authentication: { type: 'none' } }, /authentication.type must be "jwt"/],
    ['no signed-install', { apiMigrations: { gdpr: true } }, /signed-install/],
    ['signed-install false', { apiMigrations: { 'signed-install': false } }, /signed-install/],
    ['no installed path', { lifecycle: { uninstalled: '/uninstalled' } }, /lifecycle.installed is missing/],
    ['another uninstalled path', { lifecycle: { installed: '/installed', uninstalled: '/bye' } }, /uninstalled/],
  ];
  for (const [name, overrides, message] of cases) {
    it(`refuses ${name}`, () => {
      expect(() => connectDescriptor(template(overrides), { baseUrl: BASE_URL })).toThrow(TypeError);
      expect(() => connectDescriptor(template(overrides), { baseUrl: BASE_URL })).toThrow(message);
    });
  }

  it('accepts lifecycle URLs written absolute under the base URL, and custom paths', () => {
    const descriptor = connectDescriptor(
      template({ lifecycle: { installed: '{{localBaseUrl}}/hooks/in', uninstalled: '/hooks/out' } }),
      { baseUrl: BASE_URL, installedPath: '/hooks/in', uninstalledPath: '/hooks/out' },
    );
    expect(descriptor.lifecycle).toEqual({ installed: `${BASE_URL}/hooks/in`, uninstalled: '/hooks/out' });
  });

  it('refuses a template that is not JSON, and options without a base URL', () => {
    expect(() => connectDescriptor('{ nope', { baseUrl: BASE_URL })).toThrow(/not valid JSON/);
    expect(() => connectDescriptor(template(), { baseUrl: 'addon.example.com' })).toThrow(/options.baseUrl/);
  });
});
