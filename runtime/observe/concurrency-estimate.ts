import { sumSamples, type PrometheusSample } from './prometheus-text.js';

/**
 * The seed's formula (and Lambda's): concurrent executions = events per
 * second × function duration in seconds (Little's law).
 * https://docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html
 */
export interface ConcurrencyEstimate {
  readonly ratePerSecond: number;
  readonly durationMs: number;
  /** rate × duration, unrounded. */
  readonly concurrency: number;
  /** Environments to plan for: the estimate rounded up. */
  readonly plan: number;
  /** The formula with the numbers in it, e.g. `10 /s × 3 s = 30`. */
  readonly formula: string;
}

/** Estimates concurrent executions from a rate (events/s) and a duration (ms). */
export function estimateConcurrency(ratePerSecond: number, durationMs: number): ConcurrencyEstimate {
  if (!Number.isFinite(ratePerSecond) || ratePerSecond < 0) throw new RangeError(`rate must be a non-negative number (got ${ratePerSecond})`);
  if (!Number.isFinite(durationMs) || durationMs < 0) throw new RangeError(`duration must be a non-negative number of ms (got ${durationMs})`);
  // Round away binary noise (0.1 × 3 = 0.30000000000000004) before planning.
  const concurrency = Number(((ratePerSecond * durationMs) / 1000).toPrecision(12));
  return {
    ratePerSecond, durationMs, concurrency, plan: Math.ceil(concurrency),
    formula: `${formatFigure(ratePerSecond)} /s × ${formatFigure(durationMs / 1000)} s = ${formatFigure(concurrency)}`,
  };
}

/** A number with at most 3 decimals, trailing zeros dropped; small ones keep 2 significant digits. */
export function formatFigure(value: number): string {
  if (value !== 0 && Math.abs(value) < 0.01) return String(Number(value.toPrecision(2)));
  return String(Number(value.toFixed(3)));
}

/** One function's load as read from a host's metrics, beside what it actually reached. */
export interface ObservedLoad {
  readonly functionName: string;
  /** Runs counted in the window. */
  readonly invocations: number;
  readonly ratePerSecond: number;
  /** Mean duration in the window; the lifetime mean when nothing ran in it (0 when never run). */
  readonly meanDurationMs: number;
  readonly estimate: ConcurrencyEstimate;
  /** Most concurrent executions since the host started. */
  readonly observedPeak: number;
  readonly running: number;
  readonly reservedConcurrency?: number;
}

/** What {@link estimateFromMetrics} works out. */
export interface MetricsEstimate {
  /** Length of the window the rates are over, seconds. */
  readonly windowSeconds: number;
  readonly functions: readonly ObservedLoad[];
  /** Host-wide: rates add up, and so do the functions' concurrencies. */
  readonly host: { ratePerSecond: number; concurrency: number; observedPeak: number; limit: number };
}

/**
 * Estimates each function's concurrency from a host's `/metrics`: the rate
 * and mean duration over the window between two scrapes (`before` taken
 * `windowSeconds` ahead of `after`), or since the host started when there is
 * no `before`. Reported beside the observed peak.
 */
export function estimateFromMetrics(
  after: readonly PrometheusSample[], options: { before?: readonly PrometheusSample[]; windowSeconds?: number; nowSeconds?: number } = {},
): MetricsEstimate {
  const { before } = options;
  let windowSeconds: number;
  if (before) {
    windowSeconds = options.windowSeconds ?? 0;
  } else {
    const started = sumSamples(after, 'neolith_host_start_time_seconds');
    windowSeconds = (options.nowSeconds ?? Date.now() / 1000) - started;
  }
  const names = new Set<string>();
  for (const s of after) {
    if (s.name === 'neolith_concurrent_executions_peak' && s.labels.function) names.add(s.labels.function);
  }
  const functions: ObservedLoad[] = [];
  let hostRate = 0;
  let hostConcurrency = 0;
  for (const name of [...names].sort()) {
    const by = { function: name };
    const count = (samples: readonly PrometheusSample[] | undefined, metric: string) => (samples ? sumSamples(samples, metric, by) : 0);
    // A counter that went down was reset (the host restarted between the scrapes): count from zero, as Prometheus' rate() does.
    const reset = count(after, 'neolith_invocation_duration_seconds_count') < count(before, 'neolith_invocation_duration_seconds_count')
      || count(after, 'neolith_invocations_total') < count(before, 'neolith_invocations_total');
    const delta = (metric: string) => count(after, metric) - (reset ? 0 : count(before, metric));
    const runs = delta('neolith_invocations_total');
    const durCount = delta('neolith_invocation_duration_seconds_count');
    const durSum = delta('neolith_invocation_duration_seconds_sum');
    const lifetimeCount = count(after, 'neolith_invocation_duration_seconds_count');
    const meanDurationMs = durCount > 0
      ? (durSum / durCount) * 1000
      : lifetimeCount > 0 ? (count(after, 'neolith_invocation_duration_seconds_sum') / lifetimeCount) * 1000 : 0;
    const ratePerSecond = windowSeconds > 0 ? runs / windowSeconds : 0;
    const estimate = estimateConcurrency(ratePerSecond, meanDurationMs);
    const reserved = after.find((s) => s.name === 'neolith_reserved_concurrency' && s.labels.function === name);
    functions.push({
      functionName: name, invocations: runs, ratePerSecond, meanDurationMs, estimate,
      observedPeak: count(after, 'neolith_concurrent_executions_peak'),
      running: count(after, 'neolith_concurrent_executions'),
      ...(reserved && { reservedConcurrency: reserved.value }),
    });
    hostRate += ratePerSecond;
    hostConcurrency += estimate.concurrency;
  }
  return {
    windowSeconds,
    functions,
    host: {
      ratePerSecond: hostRate,
      concurrency: hostConcurrency,
      observedPeak: sumSamples(after, 'neolith_host_concurrent_executions_peak'),
      limit: sumSamples(after, 'neolith_host_concurrency_limit'),
    },
  };
}
