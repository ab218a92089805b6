// The README code blocks the consumer test compiles (and, for `testing`, runs). A block is chosen
// by a marker on the line just above its fence, so new README sections are never checked by
// accident and a checked one cannot lose its check silently (the test names the blocks it expects):
//
//   <!-- checked-snippet: express -->
//   ```ts
//   …
//   ```
const MARKER = /^<!-- checked-snippet: ([a-z][a-z0-9-]*) -->$/;

/** Marked ```ts blocks of `markdown`, by name. */
export function readmeSnippets(markdown: string): Map<string, string> {
  const lines = markdown.split('\n');
  const snippets = new Map<string, string>();
  lines.forEach((line, index) => {
    const name = MARKER.exec(line.trim())?.[1];
    if (name === undefined) return;
    if (lines[index + 1]?.trim() !== '```ts') {
      throw new Error(`README line ${index + 1}: checked-snippet "${name}" must sit just above a \`\`\`ts fence`);
    }
    const end = lines.findIndex((candidate, at) => at > index + 1 && candidate.trim() === '```');
    if (end === -1) throw new Error(`README line ${index + 1}: checked-snippet "${name}" has no closing fence`);
    if (snippets.has(name)) throw new Error(`README: two snippets are named "${name}"`);
    snippets.set(name, `${lines.slice(index + 2, end).join('\n')}\n`);
  });
  return snippets;
}
