// A small benchmark harness: every case runs in the same process, interleaved in short slices
// (the order rotates each slice), so CPU frequency changes and other load hit all cases alike.
// Each round adds up its slices; ratios are taken within a round and the median over rounds is
// reported, which shrugs off a round disturbed by other work. Each slice is timed on two clocks:
// wall time, and this process's CPU time (user + system, all its threads), which other processes'
// load on a shared machine disturbs far less.
import { performance } from 'node:perf_hooks';

export interface BenchCase {
  name: string;
  /** One operation; may return a promise, which is awaited before the next call. */
  fn: () => unknown;
}

export interface BenchOptions {
  /** Measured rounds per case; default 9. */
  rounds?: number;
  /** Milliseconds each case runs per round; default 300. */
  roundMs?: number;
  /** Milliseconds of one uninterrupted run of a case within a round; default 10. */
  sliceMs?: number;
  /** Milliseconds of un-measured warm-up per case, so the JIT has settled; default 500. */
  warmupMs?: number;
  /** Which clock the returned results use; default `wall`. `runBench` measures both either way. */
  clock?: Clock;
}

export type Clock = 'wall' | 'cpu';

export interface BenchResult {
  name: string;
  /** Median operations per second over the rounds. */
  opsPerSecond: number;
  /** Operations per second of every round, in round order. */
  rounds: number[];
  /** The same measured on the other clock (CPU time when this is wall time, and back). */
  otherClock?: { clock: Clock; opsPerSecond: number; rounds: number[] };
}

const BATCH = 64;

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && typeof value === 'object' && typeof (value as { then?: unknown }).then === 'function';
}

export interface Sample {
  operations: number;
  milliseconds: number;
  cpuMicros: number;
}

function cpuMicros(): number {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
}

/** Runs `fn` for about `ms` milliseconds; returns how many operations ran in how long. */
export async function measure(fn: () => unknown, ms: number, asynchronous: boolean): Promise<Sample> {
  let operations = 0;
  const cpuStart = cpuMicros();
  const start = performance.now();
  const deadline = start + ms;
  let now = start;
  do {
    if (asynchronous) for (let i = 0; i < BATCH; i++) await fn();
    else for (let i = 0; i < BATCH; i++) fn();
    operations += BATCH;
    now = performance.now();
  } while (now < deadline);
  return { operations, milliseconds: now - start, cpuMicros: cpuMicros() - cpuStart };
}

/** The median of `values` (the mean of the middle two for an even count). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** Measures every case (warm-up, then interleaved rounds) and returns the median ops/s of each. */
export async function runBench(cases: BenchCase[], options: BenchOptions = {}): Promise<BenchResult[]> {
  if (cases.length === 0) throw new TypeError('runBench: cases must not be empty');
  const rounds = options.rounds ?? 9;
  const roundMs = options.roundMs ?? 300;
  const warmupMs = options.warmupMs ?? 500;
  // A case is timed with `await` only if it returns a promise, so sync cases pay no await.
  const asynchronous = new Map<BenchCase, boolean>();
  for (const benchCase of cases) {
    const first = benchCase.fn();
    asynchronous.set(benchCase, isThenable(first));
    if (isThenable(first)) await first;
  }
  for (const benchCase of cases) await measure(benchCase.fn, warmupMs, asynchronous.get(benchCase) as boolean);
  const sliceMs = options.sliceMs ?? 10;
  const slices = Math.max(1, Math.round(roundMs / sliceMs));
  const wall = new Map<BenchCase, number[]>(cases.map((c) => [c, []]));
  const cpu = new Map<BenchCase, number[]>(cases.map((c) => [c, []]));
  for (let round = 0; round < rounds; round++) {
    const totals = new Map<BenchCase, Sample>(cases.map((c) => [c, { operations: 0, milliseconds: 0, cpuMicros: 0 }]));
    for (let slice = 0; slice < slices; slice++) {
      for (let i = 0; i < cases.length; i++) {
        const benchCase = cases[(slice + i) % cases.length] as BenchCase;
        const sample = await measure(benchCase.fn, sliceMs, asynchronous.get(benchCase) as boolean);
        const total = totals.get(benchCase) as Sample;
        total.operations += sample.operations;
        total.milliseconds += sample.milliseconds;
        total.cpuMicros += sample.cpuMicros;
      }
    }
    for (const benchCase of cases) {
      const total = totals.get(benchCase) as Sample;
      wall.get(benchCase)?.push((total.operations * 1000) / total.milliseconds);
      cpu.get(benchCase)?.push((total.operations * 1e6) / Math.max(total.cpuMicros, 1));
    }
  }
  const clock = options.clock ?? 'wall';
  const [primary, secondary] = clock === 'cpu' ? [cpu, wall] : [wall, cpu];
  return cases.map((c) => {
    const perRound = primary.get(c) as number[];
    const other = secondary.get(c) as number[];
    return {
      name: c.name,
      opsPerSecond: median(perRound),
      rounds: perRound,
      otherClock: { clock: clock === 'cpu' ? 'wall' : 'cpu', opsPerSecond: median(other), rounds: other },
    };
  });
}

/** The results as measured on the other clock (CPU time when `runBench` reported wall time). */
export function onOtherClock(results: BenchResult[]): BenchResult[] {
  return results.map((r) => ({
    name: r.name,
    opsPerSecond: r.otherClock?.opsPerSecond ?? 0,
    rounds: r.otherClock?.rounds ?? [],
  }));
}

/** Median over rounds of `result`'s time per operation divided by `base`'s in the same round. */
export function costRatio(result: BenchResult, base: BenchResult): number {
  return median(result.rounds.map((ops, round) => (base.rounds[round] as number) / ops));
}

/** A plain-text table: ops/s and each case's cost relative to the baseline (time per op ÷ baseline's). */
export function formatTable(results: BenchResult[], baseline?: string): string {
  const base = results.find((r) => r.name === baseline) ?? results[results.length - 1];
  if (base === undefined) return '';
  const rows = results.map((r) => {
    const spread = (Math.max(...r.rounds) - Math.min(...r.rounds)) / r.opsPerSecond;
    return [
      r.name,
      Math.round(r.opsPerSecond).toLocaleString('en-US'),
      `±${(spread * 50).toFixed(0)}%`,
      `${costRatio(r, base).toFixed(2)}×`,
    ];
  });
  const header = ['case', 'ops/s (median)', 'spread', `cost vs ${base.name} (median per round)`];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] as string).length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] as number) : cell.padStart(widths[i] as number)))
      .join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
