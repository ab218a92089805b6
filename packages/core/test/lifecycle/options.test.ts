import { type LifecycleOptions, MemoryStore } from '@connect-jwt/core';
import { describe, expect, it } from 'vitest';
import { createLifecycleHandler } from '../../src/lifecycle/handler.js';

const valid: LifecycleOptions = { baseUrl: 'https://addon.example.com', keyServerUrl: 'http://127.0.0.1:1' };

describe('lifecycle options', () => {
  it('accepts the documented options and defaults the paths', () => {
    const handler = createLifecycleHandler(valid);
    expect(handler.installedPath).toBe('/installed');
    expect(handler.uninstalledPath).toBe('/uninstalled');
    const custom = createLifecycleHandler({
      ...valid,
      baseUrl: ['https://addon.example.com/', 'https://staging.example.com/addon'],
      store: new MemoryStore(),
      installedPath: '/lifecycle/installed',
      uninstalledPath: '/lifecycle/uninstalled',
      onInstalled: () => {},
      onUninstalled: () => {},
      keyFetchTimeoutMs: 1000,
      keyCacheTtlMs: 0,
      keyCacheMaxEntries: 5,
      clockTolerance: 0,
      maxBodyBytes: 1024,
    });
    expect(custom.installedPath).toBe('/lifecycle/installed');
    expect(custom.uninstalledPath).toBe('/lifecycle/uninstalled');
    expect(custom.maxBodyBytes).toBe(1024);
  });

  it.each([
    ['baseUrl', { baseUrl: undefined }],
    ['baseUrl', { baseUrl: [] }],
    ['baseUrl', { baseUrl: 'addon.example.com' }],
    ['baseUrl', { baseUrl: 'ftp://addon.example.com' }],
    ['baseUrl', { baseUrl: 'https://addon.example.com/?x=1' }],
    ['baseUrl', { baseUrl: ['https://addon.example.com', 42] }],
    ['store', { store: {} }],
    ['store', { store: null }],
    ['keyServerUrl', { keyServerUrl: 'not a url' }],
    ['keyServerUrl', { keyServerUrl: 'file:///etc' }],
    ['onInstalled', { onInstalled: 'yes' }],
    ['onUninstalled', { onUninstalled: 1 }],
    ['installedPath', { installedPath: 'installed' }],
    ['uninstalledPath', { uninstalledPath: '/un installed' }],
    ['uninstalledPath', { uninstalledPath: '/installed' }],
    ['keyFetchTimeoutMs', { keyFetchTimeoutMs: 0 }],
    ['keyCacheTtlMs', { keyCacheTtlMs: -1 }],
    ['keyCacheMaxEntries', { keyCacheMaxEntries: 1.5 }],
    ['clockTolerance', { clockTolerance: Number.NaN }],
    ['maxBodyBytes', { maxBodyBytes: '64k' }],
  ])('throws a TypeError naming %s', (name, override) => {
    expect(() => createLifecycleHandler({ ...valid, ...override } as unknown as LifecycleOptions)).toThrow(
      expect.objectContaining({ name: 'TypeError', message: expect.stringContaining(`options.${name}`) }),
    );
  });

  it('throws a TypeError without options', () => {
    expect(() => createLifecycleHandler(undefined as unknown as LifecycleOptions)).toThrow(TypeError);
  });
});
