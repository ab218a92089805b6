import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const coreSrc = join(root, 'packages/core/src');

// Core's floors, lowest first. A module may import its own floor or one below, never one above;
// a new folder must be given a floor here before it can be imported.
const FLOORS: readonly (readonly string[])[] = [
  // The ground floor: the shared types and the error classes. They import nothing above them.
  ['types', 'errors'],
  // Helpers with no Connect or Forge meaning: URLs, percent-encoding, caches, JWS parsing.
  ['lib'],
  // The rules: the qsh, a token, the store contract and what every store shares.
  ['qsh', 'token', 'store', 'store-kit'],
  // The features, each built on the rules.
  ['request', 'forge', 'license', 'outbound', 'lifecycle', 'webhook', 'descriptor'],
  // The doors: the main entry, the adapter kit (http) and the CLI.
  ['index', 'http', 'cli'],
];

/** The folder a core source file lives in (`index`, `errors`, `cli` for a top-level file). */
function unitOf(file: string): string {
  const path = relative(coreSrc, file);
  return path.includes('/') ? (path.split('/')[0] as string) : path.replace(/\.ts$/, '');
}

function floorOf(unit: string): number {
  return FLOORS.findIndex((floor) => floor.includes(unit));
}

/** Every relative import of every source file below `dir`, as resolved `.ts` paths. */
function importGraph(dir: string): Map<string, string[]> {
  const files = readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => join(entry.parentPath, entry.name));
  return new Map(
    files.map((file) => {
      const text = readFileSync(file, 'utf8');
      const specifiers = [
        ...text.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+'(\.[^']+)'/gm),
        ...text.matchAll(/\bimport\(\s*'(\.[^']+)'\s*\)/g),
      ].map((match) => match[1] as string);
      return [file, specifiers.map((specifier) => resolve(dirname(file), specifier).replace(/\.js$/, '.ts'))];
    }),
  );
}

/** The cycles of a directed graph, each as its path `a -> b -> a` (one per strongly connected part). */
function cycles(graph: Map<string, Iterable<string>>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): void => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'open') found.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  return found;
}

describe("core's floors", () => {
  const graph = importGraph(coreSrc);

  it('every source folder has a floor', () => {
    const homeless = [...new Set([...graph.keys()].map(unitOf))].filter((unit) => floorOf(unit) === -1);
    expect(homeless).toEqual([]);
  });

  it('no import runs upward', () => {
    const upward = [...graph].flatMap(([file, targets]) =>
      targets
        .filter((target) => floorOf(unitOf(target)) > floorOf(unitOf(file)))
        .map((target) => `${relative(coreSrc, file)} -> ${relative(coreSrc, target)}`),
    );
    expect(upward).toEqual([]);
  });

  it('the ground floor imports only the ground floor', () => {
    const ground = [...graph].flatMap(([file, targets]) =>
      floorOf(unitOf(file)) === 0
        ? targets
            .filter((target) => floorOf(unitOf(target)) !== 0)
            .map((target) => `${relative(coreSrc, file)} -> ${relative(coreSrc, target)}`)
        : [],
    );
    expect(ground).toEqual([]);
  });

  it('no two folders import each other, directly or round a loop', () => {
    const folders = new Map<string, Set<string>>();
    for (const [file, targets] of graph) {
      const from = unitOf(file);
      const edges = folders.get(from) ?? new Set<string>();
      for (const target of targets) if (unitOf(target) !== from) edges.add(unitOf(target));
      folders.set(from, edges);
    }
    expect(cycles(folders).map((cycle) => cycle.join(' -> '))).toEqual([]);
  });
});

describe('no import cycle in any package', () => {
  const packages = readdirSync(join(root, 'packages'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name);

  it.each(packages)('%s', (name) => {
    const src = join(root, 'packages', name, 'src');
    let graph: Map<string, string[]>;
    try {
      graph = importGraph(src);
    } catch {
      return; // a package without sources of its own
    }
    const found = cycles(graph).map((cycle) => cycle.map((file) => relative(src, file)).join(' -> '));
    expect(found).toEqual([]);
  });

  it('the cycle finder sees a cycle, so the checks above can fail', () => {
    const loop = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
      ['d', ['a']],
    ]);
    expect(cycles(loop)).toEqual([['a', 'b', 'c', 'a']]);
    expect(cycles(new Map([['a', ['b']]]))).toEqual([]);
  });
});
