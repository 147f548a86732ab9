import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type {
  IteratorAge, ObservedFunctionConfig, ObservedHost, ObservedOutcome, ObservedThrottle, QueueSnapshot,
} from './observed-host.js';
import { OutcomeRing, type LatencySummary } from './outcome-ring.js';

/** Options of {@link HostMetrics}. */
export interface HostMetricsOptions {
  /** Also export prom-client's process metrics (CPU, memory, event-loop lag, GC), unprefixed as usual. @defaultValue true */
  processMetrics?: boolean;
  /** Outcomes kept per function for the dashboard's percentiles and recent invocations. @defaultValue 512 */
  recentPerFunction?: number;
  /** Clock, epoch ms (tests inject one). @defaultValue Date.now */
  now?: () => number;
  /** Told when a pluggable source (the queue) fails during a scrape; the scrape goes on without it. @defaultValue ignore */
  onSourceError?: (error: unknown) => void;
}

/** Defaults of {@link HostMetricsOptions}. */
export const DEFAULT_HOST_METRICS_OPTIONS: Readonly<Required<Omit<HostMetricsOptions, 'now' | 'onSourceError'>>> = {
  processMetrics: true,
  recentPerFunction: 512,
};

/** One function in a {@link MetricsSnapshot}. */
export interface FunctionSnapshot {
  readonly name: string;
  readonly config: ObservedFunctionConfig;
  readonly environments: { idle: number; busy: number; booting: number; created: number };
  readonly running: number;
  readonly peak: number;
  /** Totals since the host started. */
  readonly invocations: number;
  readonly errors: number;
  readonly coldStarts: number;
  readonly throttles: number;
  /** Durations of the runs in the snapshot's window. */
  readonly latency: LatencySummary;
}

/** One recent run in a {@link MetricsSnapshot}. */
export interface RecentInvocation {
  readonly requestId: string;
  readonly functionName: string;
  readonly job?: string;
  readonly type: string;
  /** Epoch ms when it ended. */
  readonly at: number;
  readonly durationMs: number;
  readonly initDurationMs?: number;
  readonly errorType?: string;
}

/** Everything the dashboard shows, at one moment. */
export interface MetricsSnapshot {
  readonly now: number;
  readonly startedAt: number;
  readonly layout: string;
  readonly backend: string;
  readonly windowMs: number;
  readonly concurrency: { running: number; peak: number; limit: number };
  readonly totals: { invocations: number; errors: number; coldStarts: number; throttles: number };
  /** Absent when no queue is plugged in (or it did not answer). */
  readonly queue?: QueueSnapshot;
  readonly iteratorAges: readonly IteratorAge[];
  readonly functions: readonly FunctionSnapshot[];
  /** Newest first. */
  readonly recent: readonly RecentInvocation[];
}

/** Seconds; from sub-millisecond warm calls to Lambda's 15-minute ceiling. */
const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900];
const INIT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Distinct `error_type` labels kept per function; more are counted as `other` (label values come from handler code). */
const MAX_ERROR_TYPES = 20;

interface FunctionSlot {
  /** Runs by invocation type and outcome: plain increments here, handed to prom-client at scrape time. */
  readonly runs: Map<string, { success: number; error: number }>;
  invocations: number;
  errors: number;
  coldStarts: number;
  throttles: number;
  readonly errorTypes: Set<string>;
  readonly ring: OutcomeRing;
}

/**
 * The host's metrics, in Prometheus form (prom-client, names prefixed
 * `neolith_`) and as a snapshot for the dashboard.
 *
 * Only `record` and `recordThrottle` run on the invoke path: a few counter
 * and histogram updates and a ring-buffer store. Everything that describes
 * state — environments by state, concurrency, queue depth, iterator age — is
 * read from the host when scraped (`collect`), so it costs nothing between
 * scrapes.
 */
export class HostMetrics {
  /** The prom-client registry (this host's own, so several hosts in one process do not collide). */
  readonly registry = new Registry();
  /** Epoch ms when the metrics started (the host's start). */
  readonly startedAt: number;
  readonly #host: ObservedHost;
  readonly #now: () => number;
  readonly #onSourceError: (error: unknown) => void;
  readonly #recentPerFunction: number;
  readonly #slots = new Map<string, FunctionSlot>();
  readonly #iteratorSources = new Set<() => Iterable<IteratorAge>>();
  #queue: (() => Promise<QueueSnapshot>) | undefined;
  #queueInFlight: Promise<QueueSnapshot | undefined> | undefined;

  readonly #errors: Counter<'function' | 'error_type'>;
  readonly #throttles: Counter<'function' | 'reason'>;
  readonly #coldStarts: Counter<'function'>;
  readonly #duration: Histogram<'function'>;
  readonly #initDuration: Histogram<'function'>;

  constructor(host: ObservedHost, options: HostMetricsOptions = {}) {
    const resolved = { ...DEFAULT_HOST_METRICS_OPTIONS, ...options };
    if (!Number.isInteger(resolved.recentPerFunction) || resolved.recentPerFunction < 1) {
      throw new RangeError(`metrics.recentPerFunction must be a positive integer (got ${resolved.recentPerFunction})`);
    }
    this.#host = host;
    this.#now = options.now ?? Date.now;
    this.#onSourceError = options.onSourceError ?? (() => {});
    this.#recentPerFunction = resolved.recentPerFunction;
    this.startedAt = this.#now();
    const registers = [this.registry];

    const slots = this.#slots;
    new Counter({
      name: 'neolith_invocations_total', registers, labelNames: ['function', 'type', 'outcome'],
      help: 'Runs of a function, by invocation type and outcome (success, error); throttled calls are not runs.',
      // The commonest update of all is counted in the slot and read here: half the cost of a labelled inc per run.
      collect() {
        this.reset();
        for (const [fn, slot] of slots) {
          for (const [type, n] of slot.runs) {
            if (n.success > 0) this.inc({ function: fn, type, outcome: 'success' }, n.success);
            if (n.error > 0) this.inc({ function: fn, type, outcome: 'error' }, n.error);
          }
        }
      },
    });
    this.#errors = new Counter({
      name: 'neolith_errors_total', registers, labelNames: ['function', 'error_type'],
      help: `Runs that failed, by Lambda errorType (at most ${MAX_ERROR_TYPES} per function, the rest as "other").`,
    });
    this.#throttles = new Counter({
      name: 'neolith_throttles_total', registers, labelNames: ['function', 'reason'],
      help: 'Invocations refused with TooManyRequestsException, by the limit that refused them.',
    });
    this.#coldStarts = new Counter({
      name: 'neolith_cold_starts_total', registers, labelNames: ['function'],
      help: 'Runs that paid for an environment\'s init (reported an Init Duration).',
    });
    this.#duration = new Histogram({
      name: 'neolith_invocation_duration_seconds', registers, labelNames: ['function'], buckets: DURATION_BUCKETS,
      help: 'Time inside the handler per run (Lambda\'s Duration).',
    });
    this.#initDuration = new Histogram({
      name: 'neolith_init_duration_seconds', registers, labelNames: ['function'], buckets: INIT_BUCKETS,
      help: 'Module-scope init time of cold starts (Lambda\'s Init Duration).',
    });

    // ── read at scrape time ──
    const functions = () => this.#host.functions();
    new Counter({
      name: 'neolith_environments_created_total', registers, labelNames: ['function'],
      help: 'Execution environments created since start (provisioned ones included).',
      collect() {
        this.reset();
        for (const fn of functions()) this.inc({ function: fn.name }, fn.environments().created);
      },
    });
    new Gauge({
      name: 'neolith_environments', registers, labelNames: ['function', 'state'],
      help: 'Live execution environments by state: booting, idle (warm), busy.',
      collect() {
        this.reset();
        for (const fn of functions()) {
          const env = fn.environments();
          this.set({ function: fn.name, state: 'booting' }, env.booting);
          this.set({ function: fn.name, state: 'idle' }, env.idle);
          this.set({ function: fn.name, state: 'busy' }, env.busy);
        }
      },
    });
    new Gauge({
      name: 'neolith_concurrent_executions', registers, labelNames: ['function'],
      help: 'Invocations running now.',
      collect() {
        this.reset();
        for (const fn of functions()) this.set({ function: fn.name }, fn.running());
      },
    });
    new Gauge({
      name: 'neolith_concurrent_executions_peak', registers, labelNames: ['function'],
      help: 'Most invocations of the function running at once since start.',
      collect() {
        this.reset();
        for (const fn of functions()) this.set({ function: fn.name }, fn.peak());
      },
    });
    new Gauge({
      name: 'neolith_reserved_concurrency', registers, labelNames: ['function'],
      help: 'Reserved concurrency of functions that have one.',
      collect() {
        this.reset();
        for (const fn of functions()) {
          if (fn.config.reservedConcurrency !== undefined) this.set({ function: fn.name }, fn.config.reservedConcurrency);
        }
      },
    });
    const concurrency = () => this.#host.concurrency();
    new Gauge({
      name: 'neolith_host_concurrent_executions', registers, help: 'Invocations running now, host-wide.',
      collect() {
        this.set(concurrency().running);
      },
    });
    new Gauge({
      name: 'neolith_host_concurrent_executions_peak', registers, help: 'Most invocations running at once since start, host-wide.',
      collect() {
        this.set(concurrency().peak);
      },
    });
    new Gauge({
      name: 'neolith_host_concurrency_limit', registers, help: 'Host-wide concurrency limit (concurrencyLimit).',
      collect() {
        this.set(concurrency().limit);
      },
    });
    new Gauge({ name: 'neolith_host_start_time_seconds', registers, help: 'When the host started, epoch seconds.' })
      .set(this.startedAt / 1000);
    const iteratorSources = this.#iteratorSources;
    new Gauge({
      name: 'neolith_event_source_iterator_age_seconds', registers, labelNames: ['source', 'function'],
      help: 'Age of the last record an event-source mapping read (Lambda\'s IteratorAge).',
      collect() {
        this.reset();
        for (const source of iteratorSources) {
          for (const age of source()) this.set({ source: age.source, function: age.functionName }, age.ageMs / 1000);
        }
      },
    });
    if (resolved.processMetrics) collectDefaultMetrics({ register: this.registry });
  }

  // ---------------------------------------------------------------------------
  // The invoke path
  // ---------------------------------------------------------------------------

  /** Counts one finished run. Bound: pass it to `invoker.onOutcome` as it is. */
  readonly record = (outcome: ObservedOutcome): void => {
    const fn = outcome.functionName;
    const slot = this.#slots.get(fn) ?? this.#slot(fn);
    const error = outcome.error;
    slot.invocations++;
    let runs = slot.runs.get(outcome.type);
    if (!runs) slot.runs.set(outcome.type, (runs = { success: 0, error: 0 }));
    if (error) runs.error++;
    else runs.success++;
    this.#duration.observe({ function: fn }, outcome.durationMs / 1000);
    if (outcome.initDurationMs !== undefined) {
      slot.coldStarts++;
      this.#coldStarts.inc({ function: fn });
      this.#initDuration.observe({ function: fn }, outcome.initDurationMs / 1000);
    }
    if (error) {
      slot.errors++;
      this.#errors.inc({ function: fn, error_type: errorLabel(slot, error.errorType) });
    }
    slot.ring.add(outcome, this.#now());
  };

  /** Counts one throttled invocation. Bound: pass it to `invoker.onThrottle` as it is. */
  readonly recordThrottle = (throttle: ObservedThrottle): void => {
    const slot = this.#slots.get(throttle.functionName) ?? this.#slot(throttle.functionName);
    slot.throttles++;
    this.#throttles.inc({ function: throttle.functionName, reason: throttle.reason });
  };

  // ---------------------------------------------------------------------------
  // Pluggable sources
  // ---------------------------------------------------------------------------

  /**
   * Plugs in the async queue (a backend's `stats()`, optionally with a
   * dead-letter count): adds the queue gauges, read at each scrape.
   * Only one queue; a second call replaces the first.
   */
  useQueue(stats: () => Promise<QueueSnapshot>): void {
    const first = this.#queue === undefined;
    this.#queue = stats;
    if (!first) return;
    const registers = [this.registry];
    const read = () => this.#queueStats();
    // Labelled by backend: a label-less gauge would read 0 when the queue fails to answer, not "unknown".
    const labels = { backend: this.#host.backend };
    const gauge = (name: string, help: string, pick: (s: QueueSnapshot) => number | undefined) => new Gauge({
      name, help, registers, labelNames: ['backend'],
      async collect() {
        this.reset();
        const stats = await read();
        const value = stats && pick(stats);
        if (value !== undefined) this.set(labels, value);
      },
    });
    gauge('neolith_async_queue_depth', 'Async events waiting, including those waiting for a retry.', (s) => s.queued);
    gauge('neolith_async_queue_running', 'Async events whose record says RUNNING (on redis, attempts past their first 10 ms).', (s) => s.running);
    gauge('neolith_async_queue_oldest_age_seconds', 'Age of the oldest waiting async event; 0 when none.', (s) => s.oldestQueuedAgeMs / 1000);
    gauge('neolith_dead_letters', 'Events in the dead-letter store.', (s) => s.deadLetters);
  }

  /** Adds an event-source mapping's iterator ages; returns the function that removes it. */
  addIteratorAgeSource(source: () => Iterable<IteratorAge>): () => void {
    this.#iteratorSources.add(source);
    return () => this.#iteratorSources.delete(source);
  }

  // ---------------------------------------------------------------------------
  // Reading
  // ---------------------------------------------------------------------------

  /** Content-Type of {@link HostMetrics.metrics}' text. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** The Prometheus text exposition of every metric. */
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  /**
   * Everything the dashboard shows. Latency percentiles cover the runs of
   * the last `windowMs` (at most `recentPerFunction` of them per function).
   * `visible` leaves out the functions and runs a caller may not read: from
   * the totals and the recent list too, not only from the rows.
   */
  async snapshot(options: { windowMs?: number; recent?: number; visible?: (functionName: string, job?: string) => boolean } = {}): Promise<MetricsSnapshot> {
    const visible = options.visible ?? (() => true);
    const windowMs = options.windowMs ?? 60_000;
    const recentLimit = options.recent ?? 20;
    const now = this.#now();
    const since = now - windowMs;
    const queue = this.#queue ? await this.#queueStats() : undefined;
    const totals = { invocations: 0, errors: 0, coldStarts: 0, throttles: 0 };
    const functions: FunctionSnapshot[] = [];
    const recent: Array<{ at: number; outcome: ObservedOutcome }> = [];
    for (const fn of this.#host.functions()) {
      if (!visible(fn.name)) continue;
      const slot = this.#slots.get(fn.name);
      const env = fn.environments();
      functions.push({
        name: fn.name,
        config: fn.config,
        environments: { idle: env.idle, busy: env.busy, booting: env.booting, created: env.created },
        running: fn.running(),
        peak: fn.peak(),
        invocations: slot?.invocations ?? 0,
        errors: slot?.errors ?? 0,
        coldStarts: slot?.coldStarts ?? 0,
        throttles: slot?.throttles ?? 0,
        latency: slot ? slot.ring.latency(since) : { count: 0, p50Ms: 0, p99Ms: 0 },
      });
      if (slot) {
        totals.invocations += slot.invocations;
        totals.errors += slot.errors;
        totals.coldStarts += slot.coldStarts;
        totals.throttles += slot.throttles;
        // Filtered before the newest are cut: a caller's own runs are not crowded out by hidden ones.
        recent.push(...slot.ring.since(0).filter(({ outcome }) => visible(outcome.functionName, outcome.job)).slice(0, recentLimit));
      }
    }
    recent.sort((a, b) => b.at - a.at);
    return {
      now,
      startedAt: this.startedAt,
      layout: this.#host.layout,
      backend: this.#host.backend,
      windowMs,
      concurrency: this.#host.concurrency(),
      totals,
      ...(queue && { queue }),
      iteratorAges: [...this.#iteratorSources].flatMap((source) => [...source()]).filter((age) => visible(age.functionName)),
      functions,
      recent: recent.slice(0, recentLimit).map(({ at, outcome }) => ({
        requestId: outcome.requestId,
        functionName: outcome.functionName,
        type: outcome.type,
        at,
        durationMs: outcome.durationMs,
        ...(outcome.job !== undefined && { job: outcome.job }),
        ...(outcome.initDurationMs !== undefined && { initDurationMs: outcome.initDurationMs }),
        ...(outcome.error && { errorType: outcome.error.errorType }),
      })),
    };
  }

  #slot(fn: string): FunctionSlot {
    const slot: FunctionSlot = {
      runs: new Map(), invocations: 0, errors: 0, coldStarts: 0, throttles: 0, errorTypes: new Set(), ring: new OutcomeRing(this.#recentPerFunction),
    };
    this.#slots.set(fn, slot);
    return slot;
  }

  /**
   * One queue read shared by every gauge of a scrape: prom-client collects
   * all metrics at once, so four gauges would otherwise ask four times.
   * A failing read leaves the gauges empty rather than failing the scrape.
   */
  #queueStats(): Promise<QueueSnapshot | undefined> {
    this.#queueInFlight ??= this.#queue!().then(
      (stats) => stats,
      (error: unknown) => {
        this.#onSourceError(error);
        return undefined;
      },
    ).finally(() => {
      this.#queueInFlight = undefined;
    });
    return this.#queueInFlight;
  }
}

function errorLabel(slot: FunctionSlot, errorType: string): string {
  if (slot.errorTypes.has(errorType)) return errorType;
  if (slot.errorTypes.size >= MAX_ERROR_TYPES) return 'other';
  slot.errorTypes.add(errorType);
  return errorType;
}
