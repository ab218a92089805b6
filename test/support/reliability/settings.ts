// How long and how hard the reliability suites push. `npm test` (and CI) runs the short profile;
// `npm run test:load` sets RELIABILITY_PROFILE=full. Each figure can be overridden on its own.
const full = process.env.RELIABILITY_PROFILE === 'full';

function setting(name: string, short: number, long: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return full ? long : short;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new TypeError(`${name} must be a positive number: ${raw}`);
  return value;
}

export const settings = {
  profile: full ? 'full' : 'short',
  /** Seconds of measured load per framework. */
  loadDuration: setting('LOAD_DURATION', 3, 20),
  /** Seconds of load before the heap baseline is taken. */
  warmUp: setting('LOAD_WARMUP', 2, 5),
  connections: setting('LOAD_CONNECTIONS', 50, 50),
  /** Share of requests that carry an invalid (or no) token. */
  invalidShare: 0.2,
  /** Heap at the end may exceed the heap after warm-up by at most this many MiB (both after a forced GC). */
  heapBoundMiB: setting('HEAP_BOUND_MIB', 8, 8),
  /** Fault runs: seconds of load before the cut, of outage, and after the link returns. */
  faultBefore: setting('FAULT_BEFORE', 1.5, 3),
  faultOutage: setting('FAULT_OUTAGE', 3, 5),
  faultAfter: setting('FAULT_AFTER', 4.5, 8),
  /** The stores' connect and command timeouts during fault runs (ms). */
  storeTimeoutMs: setting('FAULT_STORE_TIMEOUT_MS', 1000, 1000),
  /** fast-check runs per property. */
  fuzzRuns: setting('FUZZ_RUNS', 150, 1000),
  /** fast-check runs per property that go over real HTTP (each run is a request). */
  fuzzHttpRuns: setting('FUZZ_HTTP_RUNS', 100, 600),
};
