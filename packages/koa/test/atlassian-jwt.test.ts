// What the shared tables do not cover: option checks at setup time.
import { badOptions } from '@connect-jwt/adapter-test-suite';
import { atlassianJwt } from '@connect-jwt/koa';
import { describe, expect, it } from 'vitest';

describe('atlassianJwt() options', () => {
  it.each(badOptions)('refuses %j with a TypeError naming the option', (options, message) => {
    expect(() => atlassianJwt(options as never)).toThrow(TypeError);
    expect(() => atlassianJwt(options as never)).toThrow(message);
  });
});
