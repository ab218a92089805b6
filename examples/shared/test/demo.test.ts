import { describe, expect, it } from 'vitest';
import { startAddon } from '../../express-addon/src/app.js';
import { runDemo } from '../src/index.js';

describe('runDemo', () => {
  it('drives the whole flow and every step gets the status it should', async () => {
    const lines: string[] = [];
    const steps = await runDemo({ name: 'express-addon', startAddon, print: (line) => lines.push(line) });
    expect(steps.map((step) => [step.title, step.status])).toEqual([
      ['install', 204],
      ['forged install', 401],
      ['iframe load', 200],
      ['context call', 200],
      ['webhook', 204],
      ['webhook retry', 204],
      ['outbound call', 200],
      ['as the user', 200],
      ['Forge trigger', 200],
      ['Forge UI call', 200],
      ['other app FIT', 401],
      ['bad token', 401],
      ['uninstall', 204],
      ['after uninstall', 401],
    ]);
    expect(steps.every((step) => step.ok)).toBe(true);
    expect(steps[1]?.summary).toBe('ERR_INVALID_INSTALL, stored secret unchanged');
    expect(steps[4]?.summary).toBe('handled jira:issue_created TEST-1');
    expect(steps[5]?.summary).toBe('duplicate absorbed: the handler ran once');
    expect(steps[6]?.summary).toBe('product checked iss=connect-jwt-express-example and qsh: 200');
    expect(lines.at(-1)).toBe('every step answered as expected');
    expect(steps[7]?.summary).toMatch(/^product answered as .{12}… \(user token from 1 token request\)$/);
    expect(steps[8]?.summary).toMatch(/^avi:jira:created:issue → Connect installation .{8}… \(DEVELOPMENT\)$/);
    expect(steps[9]?.summary).toMatch(/^kind forge for /);
    expect(steps[10]?.summary).toBe('ERR_INVALID_AUDIENCE');
    expect(lines.filter((line) => line.startsWith('✓'))).toHaveLength(14);
  });
});
