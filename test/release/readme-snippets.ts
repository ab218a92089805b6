import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

// The README code blocks the consumer test compiles. Every ```ts block of every public package's
// README (and the root one) is compiled as a user pastes it; a block marked by name on the line
// just above its fence can also be run by that name, and the test names the ones it expects, so a
// marked block cannot lose its marker silently:
//
//   <!-- checked-snippet: express -->
//   ```ts
//   …
//   ```
const MARKER = /^<!-- checked-snippet: ([a-z][a-z0-9-]*) -->$/;
const TS_FENCE = /^(\s*)```ts\s*$/;

export interface ReadmeBlock {
  /** The marker's name, else `<readme>-<line>`: a file name. */
  name: string;
  /** The block's code, its fence's indentation removed. */
  code: string;
  /** Whether it augments a module (`declare module`): such a block is its own program, or its declarations would reach every other block. */
  augments: boolean;
}

/** Every ```ts block of `markdown`; `readme` names the file (`root`, `core`, …) in unmarked blocks' names. */
export function readmeBlocks(markdown: string, readme: string): ReadmeBlock[] {
  const lines = markdown.split('\n');
  const blocks: ReadmeBlock[] = [];
  const names = new Set<string>();
  lines.forEach((line, index) => {
    const marker = MARKER.exec(line.trim())?.[1];
    if (marker !== undefined && !TS_FENCE.test(lines[index + 1] ?? '')) {
      throw new Error(
        `${readme} README line ${index + 1}: checked-snippet "${marker}" must sit just above a \`\`\`ts fence`,
      );
    }
    const fence = TS_FENCE.exec(line);
    if (fence === null) return;
    const indent = fence[1] ?? '';
    const end = lines.findIndex((candidate, at) => at > index && candidate.trim() === '```');
    if (end === -1) throw new Error(`${readme} README line ${index + 1}: a \`\`\`ts block has no closing fence`);
    const name = MARKER.exec(lines[index - 1]?.trim() ?? '')?.[1] ?? `${readme}-${index + 1}`;
    if (names.has(name)) throw new Error(`${readme} README: two snippets are named "${name}"`);
    names.add(name);
    const code = lines
      .slice(index + 1, end)
      .map((codeLine) => (codeLine.startsWith(indent) ? codeLine.slice(indent.length) : codeLine))
      .join('\n');
    blocks.push({ name, code: `${code}\n`, augments: /^\s*declare module\b/m.test(code) });
  });
  return blocks;
}

/** The root README and each public package's, by a short name (`root`, `core`, `store-redis`…). */
export function publicReadmes(root: string): { readme: string; markdown: string }[] {
  const readmes = [{ readme: 'root', markdown: readFileSync(join(root, 'README.md'), 'utf8') }];
  for (const dir of readdirSync(join(root, 'packages')).sort()) {
    const manifest = JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8')) as {
      private?: boolean;
    };
    const file = join(root, 'packages', dir, 'README.md');
    // A private package's README describes repository internals no user installs.
    if (manifest.private || !existsSync(file)) continue;
    readmes.push({ readme: dir, markdown: readFileSync(file, 'utf8') });
  }
  return readmes;
}

// The modules a block imports as the reader's own add-on (`./app.js`): declared here, as each
// reader writes their own.
const READER_MODULES: Record<string, string> = {
  'app.d.ts': `import type { RequestListener } from 'node:http';
export declare function createApp(options: { baseUrl: string; keyServerUrl: string }): RequestListener;
`,
  'my-addon.d.ts': `export declare function startAddon(options: { keyServerUrl: string }): Promise<{ baseUrl: string; close(): Promise<void> }>;
`,
};

/**
 * Writes the blocks into `dir` as programs under `compilerOptions`: one program (`src/`, one module
 * per block) for all blocks that augment nothing, one more (`isolated/<name>/`) per block that does.
 * Returns the tsconfig files to compile.
 */
export function writeReadmePrograms(dir: string, blocks: ReadmeBlock[], compilerOptions: object): string[] {
  const tsconfigs = [join(dir, 'tsconfig.json')];
  mkdirSync(join(dir, 'src'), { recursive: true });
  writeFileSync(
    tsconfigs[0] as string,
    JSON.stringify({
      compilerOptions: { ...compilerOptions, rootDir: 'src', outDir: 'out' },
      include: ['src/**/*.ts'],
    }),
  );
  for (const [file, code] of Object.entries(READER_MODULES)) writeFileSync(join(dir, 'src', file), code);
  for (const block of blocks) {
    // `export {}` makes a block without imports a module too, so no two blocks share a scope.
    const code = `${block.code}export {};\n`;
    if (!block.augments) {
      writeFileSync(join(dir, 'src', `${block.name}.ts`), code);
      continue;
    }
    const own = join(dir, 'isolated', block.name);
    mkdirSync(own, { recursive: true });
    writeFileSync(join(own, 'snippet.ts'), code);
    const tsconfig = join(own, 'tsconfig.json');
    writeFileSync(
      tsconfig,
      JSON.stringify({ compilerOptions: { ...compilerOptions, noEmit: true }, files: ['snippet.ts'] }),
    );
    tsconfigs.push(tsconfig);
  }
  return tsconfigs;
}
