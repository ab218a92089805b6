import { describe, expect, it } from 'vitest';
import { isClusterUrl, parseClusterUrl } from '../src/cluster-url.js';

describe('parseClusterUrl', () => {
  it('reads the root nodes, credentials and TLS of a redis+cluster:// URL', () => {
    expect(parseClusterUrl('redis+cluster://10.0.0.1:7000,redis-b.example:7001')).toEqual({
      rootNodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: 'redis-b.example', port: 7001 },
      ],
      tls: false,
    });
    expect(parseClusterUrl('rediss+cluster://app:p%40ss@[::1]:7000/0')).toEqual({
      rootNodes: [{ host: '::1', port: 7000 }],
      username: 'app',
      password: 'p@ss',
      tls: true,
    });
    expect(parseClusterUrl('redis+cluster://:secret@h:1')).toEqual({
      rootNodes: [{ host: 'h', port: 1 }],
      password: 'secret',
      tls: false,
    });
  });

  it('tells a cluster URL from a single-server one', () => {
    expect(isClusterUrl('redis+cluster://h:1')).toBe(true);
    expect(isClusterUrl('REDISS+CLUSTER://h:1')).toBe(true);
    expect(isClusterUrl('redis://h:1')).toBe(false);
  });

  it('refuses what it cannot read with a TypeError naming options.url, without echoing credentials', () => {
    for (const url of [
      'redis+cluster://',
      'redis+cluster://h',
      'redis+cluster://h:0',
      'redis+cluster://h:65536',
      'redis+cluster://h:1,',
      'redis+cluster://h:1/1',
      'redis+cluster://h:1?x=y',
      'redis+cluster://u:%zz-secret@h:1',
    ]) {
      expect(() => parseClusterUrl(url), url).toThrow(TypeError);
      expect(() => parseClusterUrl(url), url).toThrow(/options\.url/);
    }
    expect(() => parseClusterUrl('redis+cluster://u:%zz-secret@h:1')).not.toThrow(/secret/);
  });
});
