/**
 * What the observers read from a host, as narrow structural types: observe/
 * sits below invoke/ and the host, so it names what it needs instead of
 * importing their classes. The host adapts its parts to these.
 */

/** Environments of one function, by state (a pool's `stats()`). */
export interface EnvironmentCounts {
  readonly idle: number;
  readonly busy: number;
  readonly booting: number;
  /** Environments created since start (= cold starts, provisioned ones included). */
  readonly created: number;
}

/** A function's config, as the dashboard shows it. */
export interface ObservedFunctionConfig {
  readonly kind: 'handler' | 'jobs';
  /** Jobs it holds (kind `jobs`), by name. */
  readonly jobs: readonly string[];
  readonly memoryMB: number;
  readonly timeoutMs: number;
  readonly reservedConcurrency?: number | undefined;
  readonly provisionedConcurrency: number;
}

/** One function of the host, read at scrape time. */
export interface ObservedFunction {
  readonly name: string;
  readonly config: ObservedFunctionConfig;
  environments(): EnvironmentCounts;
  /** Invocations running now. */
  running(): number;
  /** Most concurrent invocations seen since start. */
  peak(): number;
}

/** The host as a whole, read at scrape time. */
export interface ObservedHost {
  functions(): Iterable<ObservedFunction>;
  /** Host-wide concurrency: running now, highest seen, limit. */
  concurrency(): { running: number; peak: number; limit: number };
  /** Layout and backend names, for the dashboard's heading. */
  readonly layout: string;
  readonly backend: string;
}

/**
 * One finished run, as the invoker reports it (`InvocationOutcome`
 * satisfies this).
 */
export interface ObservedOutcome {
  readonly requestId: string;
  readonly functionName: string;
  readonly job?: string | undefined;
  readonly type: string;
  readonly durationMs: number;
  /** Set on a cold start. */
  readonly initDurationMs?: number | undefined;
  readonly error?: { readonly errorType: string } | undefined;
}

/** One refused invocation (`InvocationThrottle` satisfies this). */
export interface ObservedThrottle {
  readonly functionName: string;
  readonly type: string;
  /** Which limit refused it: reserved or host-wide concurrency. */
  readonly reason: string;
}

/**
 * Async queue gauges (a backend's `stats()`, plus the dead-letter count
 * when the backend can give it).
 */
export interface QueueSnapshot {
  /** Events waiting, including those waiting for a retry delay. */
  readonly queued: number;
  /** Events being attempted. */
  readonly running: number;
  /** Age of the oldest queued event, ms; 0 when none. */
  readonly oldestQueuedAgeMs: number;
  /** Events in the dead-letter store. */
  readonly deadLetters?: number | undefined;
}

/** Age of the last record an event-source mapping read (Lambda's IteratorAge). */
export interface IteratorAge {
  /** The mapping's source, e.g. `stream:orders`. */
  readonly source: string;
  readonly functionName: string;
  readonly ageMs: number;
}
