import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// The README's browser test is a real test (test/browser/readme-example.test.ts, run by the browser
// suite); this keeps the two identical, so the README shows exactly what runs.
describe('README', () => {
  it('shows the browser test that the browser suite runs', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('## Testing your page in a browser'));
    const shown = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
    const runs = readFileSync(new URL('./browser/readme-example.test.ts', import.meta.url), 'utf8');
    expect(shown).toBe(runs);
  });
});
