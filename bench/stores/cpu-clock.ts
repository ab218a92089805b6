// Interleaved rounds like bench/lib/harness.ts (but shuffled, with a GC between rounds), timed on two clocks at once: wall time (what a
// request waits, network included) and this process's CPU time (user + system). On a machine
// shared with other work, wall time swings with their load while CPU time per operation does
// not, so CPU time is what compares CPU-bound cases (cache hits) fairly.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { type BenchCase, type BenchResult, measure, median } from '../lib/harness.js';

// A full collection before each measured round, so the garbage a case leaves (a network client
// allocates a lot) is not paid for by whichever case runs next.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

export interface DualClockResults {
  wall: BenchResult[];
  cpu: BenchResult[];
}

/** One round of `fn` on both clocks, as operations per second. */
async function measureBothClocks(fn: () => unknown, ms: number): Promise<{ wall: number; cpu: number }> {
  const sample = await measure(fn, ms, true);
  return {
    wall: (sample.operations * 1000) / sample.milliseconds,
    cpu: sample.operations / (Math.max(sample.cpuMicros, 1) / 1e6),
  };
}

function shuffled<T>(items: readonly T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

/** Warm-up, then `rounds` rounds in rotating order; the median ops/s of each case on each clock. */
export async function runDualClockBench(
  cases: BenchCase[],
  options: { rounds: number; roundMs: number; warmupMs: number },
): Promise<DualClockResults> {
  for (const benchCase of cases) await measureBothClocks(benchCase.fn, options.warmupMs);
  const wall = new Map<BenchCase, number[]>(cases.map((c) => [c, []]));
  const cpu = new Map<BenchCase, number[]>(cases.map((c) => [c, []]));
  for (let round = 0; round < options.rounds; round++) {
    // A new random order each round: no case always follows the same neighbour.
    for (const benchCase of shuffled(cases)) {
      collectGarbage();
      const sample = await measureBothClocks(benchCase.fn, options.roundMs);
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
