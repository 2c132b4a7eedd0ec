// How every speed bench times a call: the median over repeated calls after a warm-up, so V8 has
// optimised the hot loops and one slow call on a shared machine does not move the figure.

/** How {@link medianCallMs} warms up and how many calls it takes at least. */
export interface TimingOptions {
  /** Untimed calls first, at least this many. */
  warmCalls: number;
  /** …and for at least this many ms of wall time. */
  warmMs: number;
  /** Timed calls, at least this many (more while `seconds` last). */
  minCalls: number;
  /** What times each call, in ms (default wall time; bench/flows.ts can time the process's CPU instead). */
  clock?: () => number;
}

/**
 * The median time of one call of `run`, in ms: calls are timed one by one for about `seconds` of
 * wall time (and at least `minCalls` of them) after the warm-up.
 */
export function medianCallMs(run: () => void, seconds: number, options: TimingOptions): number {
  const { warmCalls, warmMs, minCalls, clock = () => performance.now() } = options;
  const warm = performance.now();
  for (let w = 0; w < warmCalls || performance.now() - warm < warmMs; w++) run();
  const times: number[] = [];
  const start = performance.now();
  while (times.length < minCalls || performance.now() - start < seconds * 1000) {
    const t0 = clock();
    run();
    times.push(clock() - t0);
  }
  times.sort((p, q) => p - q);
  const mid = times.length >> 1;
  return times.length % 2 === 1 ? times[mid] : (times[mid - 1] + times[mid]) / 2;
}
