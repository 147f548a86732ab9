/**
 * The durable backend contract: the async event queue, invocation records and
 * their change feed, and the dead-letter store. Both implementations
 * (`sqlite`, `redis`) satisfy it and pass one conformance suite; nothing here
 * names a driver type, so the invoker depends on this file only.
 *
 * Semantics follow Lambda's asynchronous invocation: at-least-once delivery,
 * the same request id on every attempt, retries with configured delays, a
 * maximum event age, and one final outcome per event for destinations.
 */

// ---------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------

/** Lifecycle of an invocation record. Final states never change again. */
export type InvocationStatus = 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'EXPIRED';

/** The statuses after which a record never changes (and may be pruned). */
export const FINAL_STATUSES: ReadonlySet<InvocationStatus> = new Set(['SUCCEEDED', 'FAILED', 'EXPIRED']);

/** Per-event retry policy, copied onto the event when it is accepted. */
export interface AsyncRetryPolicy {
  /** Retries after the first attempt, 0–2 as in Lambda. */
  readonly maxRetries: number;
  /**
   * Delay before attempt 2, 3, … in milliseconds; the last entry repeats when
   * the list is shorter than `maxRetries`. Lambda waits 60 000 then 120 000.
   */
  readonly retryDelaysMs: readonly number[];
  /** An event older than this when it would run is EXPIRED, not run. */
  readonly maxEventAgeSeconds: number;
}

/** Lambda's error shape, as stored on a record after a failed attempt. */
export interface InvocationError {
  readonly errorType: string;
  readonly errorMessage: string;
  readonly trace?: readonly string[];
}

/** What the invoker hands to {@link Backend.enqueue}. */
export interface AsyncEvent {
  /** Becomes the record id and every attempt's `awsRequestId`. */
  readonly requestId: string;
  readonly functionName: string;
  /** The job inside the function, when the layout groups several. */
  readonly job?: string;
  /** The event as JSON text, exactly as accepted. */
  readonly payload: string;
  /** Caller identity passed through to the handler's `context.identity`; must be JSON-serialisable. */
  readonly identity?: unknown;
  /** Base64 client context passed through to `context.clientContext`. */
  readonly clientContext?: string;
  readonly policy: AsyncRetryPolicy;
}

/** An accepted event: what the queue stores. */
export interface QueuedEvent extends AsyncEvent {
  /** Epoch milliseconds when the event became durable; the age clock starts here. */
  readonly acceptedAt: number;
}

/** An event handed to a consumer's handler for one attempt. */
export interface ClaimedEvent extends QueuedEvent {
  /**
   * 1 on the first attempt. An attempt interrupted by a crash or a forced
   * close runs again with the same number: only a finished attempt counts.
   */
  readonly attempt: number;
}

// ---------------------------------------------------------------------------
// Attempt outcomes
// ---------------------------------------------------------------------------

/** The handler returned a result. */
export interface AttemptSuccess {
  readonly ok: true;
  /** The function's response as JSON text. */
  readonly result: string;
  /** Tail of the attempt's log, kept on the record. */
  readonly logTail?: string;
}

/** The handler failed (throw, timeout, exit, out of memory, …). */
export interface AttemptFailure {
  readonly ok: false;
  readonly error: InvocationError;
  /** `false` sends the event straight to its final FAILED state. */
  readonly retryable: boolean;
  readonly logTail?: string;
}

/** What a handler resolves to for one attempt. */
export type AttemptOutcome = AttemptSuccess | AttemptFailure;

/** Lambda's destination-record `condition`. */
export type FinalCondition = 'Success' | 'RetriesExhausted' | 'EventAgeExceeded';

/** Passed to `onFinal` exactly once per event reaching a final state. */
export interface FinalEvent {
  /** The event as accepted (for the destination record's `requestPayload`). */
  readonly event: QueuedEvent;
  /** The record in its final state (status, attempts, result or error). */
  readonly record: InvocationRecord;
  readonly condition: FinalCondition;
  /** The last attempt's outcome; absent when the event expired before running. */
  readonly outcome?: AttemptOutcome;
}

// ---------------------------------------------------------------------------
// Consuming
// ---------------------------------------------------------------------------

/** Runs one attempt. The signal aborts when the consumer is force-closed. */
export type EventHandler = (claimed: ClaimedEvent, signal: AbortSignal) => Promise<AttemptOutcome>;

/** Options of {@link Backend.consume}. */
export interface ConsumeOptions {
  /** Attempts this consumer runs at once. */
  readonly concurrency: number;
  /**
   * Asked right before an event would start. `false` leaves the event queued
   * without consuming an attempt; it is offered again after
   * `blockedRetryMs` or on {@link Consumer.wake}.
   * @defaultValue always true
   */
  readonly canStart?: (functionName: string) => boolean;
  /**
   * Called once per event reaching SUCCEEDED, FAILED or EXPIRED, before the
   * final state is stored: a crash in between re-runs the event, so routing
   * is at-least-once, like Lambda's destinations. A rejection is reported to
   * `onError` and does not change the outcome.
   */
  readonly onFinal?: (final: FinalEvent) => Promise<void>;
  /**
   * Errors nobody awaits (a failing `onFinal`, a lost record write).
   * @defaultValue logs with `console.error`
   */
  readonly onError?: (error: unknown) => void;
  /**
   * How soon an event refused by `canStart` is offered again.
   * @defaultValue 50
   */
  readonly blockedRetryMs?: number;
}

/** Options of {@link Consumer.close}. */
export interface ConsumerCloseOptions {
  /**
   * How long running attempts may take to finish. After it their signals
   * abort and their events go back to the queue, same attempt number.
   * @defaultValue 30000
   */
  readonly drainTimeoutMs?: number;
}

/** A running dispatcher claiming events and calling the handler. */
export interface Consumer {
  /** Resolves once the consumer is claiming. */
  waitUntilReady(): Promise<void>;
  /** Look for claimable events now (e.g. after capacity was released). */
  wake(): void;
  /** Attempts currently running in this consumer. */
  readonly running: number;
  /** Stop claiming, drain, leave the rest queued. Idempotent. */
  close(options?: ConsumerCloseOptions): Promise<void>;
}

// ---------------------------------------------------------------------------
// Records
// ---------------------------------------------------------------------------

/** One async invocation as stored and reported. */
export interface InvocationRecord {
  /** The request id. */
  readonly id: string;
  readonly functionName: string;
  readonly job?: string;
  readonly status: InvocationStatus;
  /** Number of the current or last attempt; 0 while never started. */
  readonly attempts: number;
  /** Epoch ms when accepted. */
  readonly createdAt: number;
  /** Epoch ms of the last change. */
  readonly updatedAt: number;
  /** JSON text of the result once SUCCEEDED. */
  readonly result?: string;
  /**
   * The last failed attempt's error: kept while retrying and on FAILED or
   * EXPIRED, never on SUCCEEDED (the success is the outcome, as in Lambda).
   */
  readonly error?: InvocationError;
  readonly logTail?: string;
  readonly identity?: unknown;
}

/** Filter of {@link Backend.listRecords}; newest first. */
export interface RecordQuery {
  readonly functionName?: string;
  readonly status?: InvocationStatus;
  /** @defaultValue 100 */
  readonly limit?: number;
}

/** Receives every record after it changed. Must not throw. */
export type RecordListener = (record: InvocationRecord) => void;

// ---------------------------------------------------------------------------
// Dead letters
// ---------------------------------------------------------------------------

/** What the invoker stores when an event's failure destination is the dead-letter store. */
export interface DeadLetterInput {
  /** @defaultValue a random UUID */
  readonly id?: string;
  /** The original event, kept so it can be redriven. */
  readonly event: QueuedEvent;
  readonly condition: FinalCondition;
  readonly attempts: number;
  readonly error?: InvocationError;
  /** Lambda's destination record as JSON text, when the invoker built one. */
  readonly destinationRecord?: string;
}

/** A stored dead letter. */
export interface DeadLetter extends DeadLetterInput {
  readonly id: string;
  /** Epoch ms when stored. */
  readonly createdAt: number;
}

/** Filter of {@link Backend.listDeadLetters}; newest first. */
export interface DeadLetterQuery {
  readonly functionName?: string;
  /** @defaultValue 100 */
  readonly limit?: number;
}

/** A record's or dead letter's id and the size of what a read of it loads, as {@link Backend.deadLetterSizes} and {@link Backend.recordSizes} give. */
export interface StoredSize {
  readonly id: string;
  /** UTF-8 bytes of its stored text: a letter's JSON; a record's result, error, log tail and identity. */
  readonly bytes: number;
}

/** Options of {@link Backend.redriveDeadLetter}. */
export interface RedriveOptions {
  /**
   * Request id of the new event. A new id by default, because the original
   * record keeps its final state (and may still be read); handlers that need
   * idempotency across a redrive can use the payload or pass the old id once
   * its record has been pruned.
   * @defaultValue a random UUID
   */
  readonly requestId?: string;
  /**
   * Retry policy of the new event: a redrive is a new invocation, under the
   * function's policy as it is now (EventInvokeConfig changes take effect at once).
   * @defaultValue the policy the event was first accepted with
   */
  readonly policy?: AsyncRetryPolicy;
}

// ---------------------------------------------------------------------------
// The backend
// ---------------------------------------------------------------------------

/** Queue gauges for metrics. */
export interface QueueStats {
  /** Events waiting (including those waiting for a retry delay). */
  readonly queued: number;
  /** Events being attempted by some consumer. */
  readonly running: number;
  /** Age of the oldest queued event in ms; 0 when none. */
  readonly oldestQueuedAgeMs: number;
  /** Letters in the dead-letter store (counted, never read: a scrape must not parse them). */
  readonly deadLetters: number;
}

/** Options of {@link Backend.pruneRecords}. */
export interface PruneOptions {
  /**
   * Delete final records last changed before this epoch ms.
   * @defaultValue now minus `retentionSeconds`
   */
  readonly before?: number;
}

/** The durable state of async invocations. */
export interface Backend {
  readonly kind: 'sqlite' | 'redis';
  /** Resolves once the store answers; rejects with `BackendUnavailableError` when it does not. */
  waitUntilReady(): Promise<void>;

  // -- queue ---------------------------------------------------------------
  /**
   * Store the event and its QUEUED record. Resolves only once both are
   * durable; rejects with `BackendUnavailableError` (store down or backend
   * closed) or `DuplicateRequestIdError`.
   */
  enqueue(event: AsyncEvent): Promise<InvocationRecord>;
  /** Start a dispatcher. Several may run, in one process or many. */
  consume(handler: EventHandler, options: ConsumeOptions): Consumer;
  stats(): Promise<QueueStats>;

  // -- records -------------------------------------------------------------
  getRecord(id: string): Promise<InvocationRecord | undefined>;
  listRecords(query?: RecordQuery): Promise<InvocationRecord[]>;
  /**
   * The ids and stored sizes of the records `listRecords(query)` would give,
   * in its order, without reading a record (a record may hold a 6 MB result).
   * The status filter is the index's: a record may have moved on since.
   */
  recordSizes(query?: RecordQuery): Promise<StoredSize[]>;
  /**
   * Subscribe to record changes. Listening starts synchronously; returns the
   * unsubscribe function. Redis reports the changes of every host sharing the
   * store (pub/sub, subscribed by `waitUntilReady`); SQLite, one host per
   * file, reports the changes made through this instance.
   */
  watchRecords(listener: RecordListener): () => void;
  /** Delete final records older than the retention; returns how many. Also runs on a timer. */
  pruneRecords(options?: PruneOptions): Promise<number>;

  // -- dead letters --------------------------------------------------------
  putDeadLetter(input: DeadLetterInput): Promise<DeadLetter>;
  listDeadLetters(query?: DeadLetterQuery): Promise<DeadLetter[]>;
  /**
   * The ids and stored sizes of the letters `listDeadLetters(query)` would
   * give, in its order, without reading a letter: a reader can then take
   * only as many as fit in memory (a letter holds up to a 1 MB event and a
   * 6 MB error).
   */
  deadLetterSizes(query?: DeadLetterQuery): Promise<StoredSize[]>;
  getDeadLetter(id: string): Promise<DeadLetter | undefined>;
  /**
   * Enqueue the dead letter's original event again as a fresh series of
   * attempts, then delete the dead letter. Rejects with
   * `DeadLetterNotFoundError` for an unknown id.
   */
  redriveDeadLetter(id: string, options?: RedriveOptions): Promise<InvocationRecord>;
  /** Returns whether it existed. */
  deleteDeadLetter(id: string): Promise<boolean>;
  /**
   * Delete dead letters stored before `before` (default: now minus
   * `deadLetterRetentionSeconds`); returns how many. Also runs on the prune timer.
   */
  pruneDeadLetters(options?: PruneOptions): Promise<number>;

  /** Close consumers (forced), timers and connections. Idempotent. */
  close(): Promise<void>;
}
