// Interleaved rounds like bench/lib/harness.ts (but shuffled, with a GC between rounds), timed on two clocks at once: wall time (what a
// request waits, network included) and this process's CPU time (user + system). On a machine
// shared with other work, wall time swings with their load while CPU time per operation does
// not, so CPU time is what compares CPU-bound cases (cache hits) fairly.
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { BenchCase, BenchResult } from '../lib/harness.js';

const BATCH = 64;

// A full collection before each measured round, so the garbage a case leaves (a network client
// allocates a lot) is not paid for by whichever case runs next.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

export interface DualClockResults {
  wall: BenchResult[];
  cpu: BenchResult[];
}

function cpuMicros(): number {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
}

async function measure(fn: () => unknown, ms: number): Promise<{ wall: number; cpu: number }> {
  let operations = 0;
  const cpuStart = cpuMicros();
  const start = performance.now();
  const deadline = start + ms;
  let now = start;
  do {
    for (let i = 0; i < BATCH; i++) await fn();
    operations += BATCH;
    now = performance.now();
  } while (now < deadline);
  const cpuSeconds = Math.max(cpuMicros() - cpuStart, 1) / 1e6;
  return { wall: (operations * 1000) / (now - start), cpu: operations / cpuSeconds };
}

function shuffled<T>(items: readonly T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** Warm-up, then `rounds` rounds in rotating order; the median ops/s of each case on each clock. */
export async function runDualClockBench(
  cases: BenchCase[],
  options: { rounds: number; roundMs: number; warmupMs: number },
): Promise<DualClockResults> {
  for (const benchCase of cases) await measure(benchCase.fn, options.warmupMs);
  const wall = new Map<BenchCase, number[]>(cases.map((c) => [c, []]));
  const cpu = new Map<BenchCase, number[]>(cases.map((c) => [c, []]));
  for (let round = 0; round < options.rounds; round++) {
    // A new random order each round: no case always follows the same neighbour.
    for (const benchCase of shuffled(cases)) {
      collectGarbage();
      const sample = await measure(benchCase.fn, options.roundMs);
      wall.get(benchCase)?.push(sample.wall);
      cpu.get(benchCase)?.push(sample.cpu);
    }
  }
  const summarise = (samples: Map<BenchCase, number[]>) =>
    cases.map((c) => {
      const perRound = samples.get(c) as number[];
      return { name: c.name, opsPerSecond: median(perRound), rounds: perRound };
    });
  return { wall: summarise(wall), cpu: summarise(cpu) };
}
