import type { ObservedOutcome } from './observed-host.js';

/** An outcome and when it was recorded (epoch ms). */
export interface TimedOutcome {
  readonly at: number;
  readonly outcome: ObservedOutcome;
}

/** Latency percentiles of a set of runs, ms. */
export interface LatencySummary {
  /** Runs the figures are taken from. */
  readonly count: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/**
 * The last `capacity` outcomes of one function, overwritten in place: adding
 * is two array stores, so it can sit on the invoke path. Percentiles are
 * computed when someone asks (the dashboard, about once a second).
 */
export class OutcomeRing {
  readonly #at: Float64Array;
  readonly #outcomes: Array<ObservedOutcome | undefined>;
  #next = 0;
  #size = 0;

  constructor(capacity = 512) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer (got ${capacity})`);
    this.#at = new Float64Array(capacity);
    this.#outcomes = new Array<ObservedOutcome | undefined>(capacity);
  }

  get size(): number {
    return this.#size;
  }

  add(outcome: ObservedOutcome, at: number): void {
    const i = this.#next;
    this.#at[i] = at;
    this.#outcomes[i] = outcome;
    this.#next = i + 1 === this.#at.length ? 0 : i + 1;
    if (this.#size < this.#at.length) this.#size++;
  }

  /** Outcomes recorded at or after `since` (epoch ms), newest first, at most `limit`. */
  since(since: number, limit = Number.POSITIVE_INFINITY): TimedOutcome[] {
    const out: TimedOutcome[] = [];
    const capacity = this.#at.length;
    for (let n = 0; n < this.#size && out.length < limit; n++) {
      const i = (this.#next - 1 - n + capacity) % capacity;
      const at = this.#at[i]!;
      if (at < since) break;
      out.push({ at, outcome: this.#outcomes[i]! });
    }
    return out;
  }

  /** p50 and p99 duration of the runs recorded at or after `since` (nearest rank). */
  latency(since: number): LatencySummary {
    const durations = this.since(since).map((t) => t.outcome.durationMs).sort((a, b) => a - b);
    return { count: durations.length, p50Ms: nearestRank(durations, 50), p99Ms: nearestRank(durations, 99) };
  }
}

/** Nearest-rank percentile of sorted samples; 0 for none. */
export function nearestRank(sorted: readonly number[], percentile: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((percentile / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}
