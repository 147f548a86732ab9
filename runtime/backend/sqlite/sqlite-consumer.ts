import type {
  AsyncRetryPolicy,
  AttemptOutcome,
  ClaimedEvent,
  ConsumeOptions,
  Consumer,
  ConsumerCloseOptions,
  EventHandler,
  FinalCondition,
  InvocationRecord,
  QueuedEvent,
} from '../backend.js';
import { decideAfterAttempt, decideAfterRoutingFailure, delayWithinAge, finalRecordBase, isExpired, outcomeFromThrown, stalledOutcome } from '../attempt-plan.js';
import { rowToEvent, rowToRecord, type InvocationRow, type ReadyRow } from './sqlite-schema.js';
import type { SqliteStore } from './sqlite-store.js';
import { resolveConsumeOptions } from '../backend-options.js';
import { settlesWithin } from '../settles-within.js';

/** What a consumer needs from the backend that owns it. */
export interface SqliteConsumerContext {
  readonly store: SqliteStore;
  /** Lease owner prefix of this consumer; each claim adds its own number, so writes of a stale claim are refused. */
  readonly owner: string;
  readonly leaseMs: number;
  readonly pollIntervalMs: number;
  readonly maxStalledCount: number;
  /** Publish a changed row to record listeners. */
  readonly emit: (row: InvocationRow) => void;
  /** Called once the consumer has closed, so the backend forgets it. */
  readonly onClosed: (consumer: SqliteConsumer) => void;
}

interface PendingWrite {
  readonly write: () => InvocationRow | undefined;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

interface RunningAttempt {
  /** This claim's lease owner: every write of the attempt is guarded by it. */
  readonly token: string;
  readonly controller: AbortController;
  /** Set when close gave the event back; the late outcome is then dropped. */
  evicted: boolean;
  /** The handler is done and the outcome is being routed to its destination: close waits, it does not give the event back. */
  routing: boolean;
  done: Promise<void>;
}

const DEFAULT_DRAIN_TIMEOUT_MS = 30_000;
/** Ready events read per function and claim pass. */
const CLAIM_CHUNK = 16;

/**
 * Claims events from the SQLite queue and runs them. Woken at once by
 * enqueues in this process, by finished attempts, and by a timer set to the
 * next retry time, capped at the poll interval (events from other processes,
 * expired leases).
 */
export class SqliteConsumer implements Consumer {
  readonly #context: SqliteConsumerContext;
  readonly #handler: EventHandler;
  readonly #concurrency: number;
  readonly #canStart: (functionName: string) => boolean;
  readonly #onFinal: ConsumeOptions['onFinal'];
  readonly #onError: (error: unknown) => void;
  readonly #blockedRetryMs: number;
  readonly #running = new Map<string, RunningAttempt>();
  readonly #leaseTimer: NodeJS.Timeout;
  #timer: NodeJS.Timeout | undefined;
  #wakeScheduled = false;
  /** After a claim pass failed to commit, no pass before this time (else a failing disk means a hot loop of starts and aborts). */
  #retryAfter = 0;
  /** Writes that end attempts, committed together: one fsync-free WAL commit for a burst of completions. */
  #pendingWrites: PendingWrite[] = [];
  #flushScheduled = false;
  #lastReclaimAt = 0;
  #claimSeq = 0;
  #lastExpiryCheckAt = 0;
  #closing: Promise<void> | undefined;
  /** Set by {@link abandon}: the process "died", nothing may be written any more. */
  #dead = false;

  constructor(context: SqliteConsumerContext, handler: EventHandler, options: ConsumeOptions) {
    const resolved = resolveConsumeOptions(options);
    this.#context = context;
    this.#handler = handler;
    this.#concurrency = resolved.concurrency;
    this.#canStart = resolved.canStart;
    this.#onFinal = resolved.onFinal;
    this.#onError = resolved.onError;
    this.#blockedRetryMs = resolved.blockedRetryMs;
    const renewEvery = Math.max(1, Math.floor(context.leaseMs / 3));
    this.#leaseTimer = setInterval(() => this.#renewLeases(), renewEvery).unref();
    this.wake();
  }

  get running(): number {
    return this.#running.size;
  }

  waitUntilReady(): Promise<void> {
    return Promise.resolve();
  }

  wake(): void {
    if (this.#closing || this.#dead || this.#wakeScheduled) return;
    // The scheduled pass after the back-off will look.
    if (Date.now() < this.#retryAfter) return;
    this.#wakeScheduled = true;
    // Coalesce a burst of enqueues into one claim pass.
    setImmediate(() => {
      this.#wakeScheduled = false;
      this.#pump();
    });
  }

  close(options: ConsumerCloseOptions = {}): Promise<void> {
    this.#closing ??= this.#close(options.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS);
    return this.#closing;
  }

  /** Stop without writing anything, as if the process had been killed. */
  abandon(): void {
    this.#dead = true;
    clearTimeout(this.#timer);
    clearInterval(this.#leaseTimer);
    for (const attempt of this.#running.values()) {
      attempt.evicted = true;
      attempt.controller.abort(new Error('consumer abandoned'));
    }
  }

  async #close(drainTimeoutMs: number): Promise<void> {
    clearTimeout(this.#timer);
    try {
      if (this.#running.size > 0) await settlesWithin(Promise.allSettled([...this.#running.values()].map((a) => a.done)), drainTimeoutMs);
    } catch (error) {
      this.#onError(error);
    }
    // Outcomes already decided are stored before anything is given back.
    try {
      if (this.#pendingWrites.length > 0) this.#flush();
    } catch (error) {
      this.#onError(error);
    }
    // Whatever is still running is given back, same attempt number, for the next consumer. An attempt
    // whose outcome is being routed is not: giving it back would run it, and route it, twice.
    const routing: RunningAttempt[] = [];
    for (const [id, attempt] of this.#running) {
      if (attempt.routing) {
        routing.push(attempt);
        continue;
      }
      attempt.evicted = true;
      try {
        attempt.controller.abort(new Error('consumer closed before the attempt finished'));
      } catch (error) {
        this.#onError(error);
      }
      try {
        if (!this.#dead) {
          const row = this.#context.store.release(id, attempt.token, Date.now());
          if (row) this.#context.emit(row);
        }
      } catch (error) {
        this.#onError(error);
      }
    }
    // Their routing and final write get one more drain period; one still unfinished after it keeps its
    // claim, which lapses with the lease and is recovered as a stalled event.
    if (routing.length > 0) await settlesWithin(Promise.allSettled(routing.map((attempt) => attempt.done)), drainTimeoutMs);
    try {
      clearInterval(this.#leaseTimer);
    } catch (error) {
      this.#onError(error);
    }
    try {
      this.#context.onClosed(this);
    } catch (error) {
      this.#onError(error);
    }
  }

  #renewLeases(): void {
    if (this.#dead || this.#running.size === 0) return;
    try {
      const claims = [...this.#running].map(([id, attempt]) => [id, attempt.token] as const);
      this.#context.store.renewLeases(claims, Date.now() + this.#context.leaseMs);
    } catch (error) {
      this.#onError(error);
    }
  }

  #pump(): void {
    if (this.#closing || this.#dead) return;
    clearTimeout(this.#timer);
    const { store, pollIntervalMs } = this.#context;
    const now = Date.now();
    let sawBlocked = false;
    try {
      if (now - this.#lastReclaimAt >= pollIntervalMs) {
        this.#lastReclaimAt = now;
        for (const row of store.reclaimExpiredLeases(now)) this.#context.emit(row);
      }
      const blocked = new Set<string>();
      const checkExpiry = now - this.#lastExpiryCheckAt >= pollIntervalMs;
      if (checkExpiry) this.#lastExpiryCheckAt = now;
      let more = true;
      while (more && this.#running.size < this.#concurrency) {
        more = false;
        // Each function's oldest ready events, read per function so that a function at its
        // limit costs one check, not a scan past every event it has waiting.
        const chunk = Math.min(this.#concurrency - this.#running.size, CLAIM_CHUNK);
        const candidates: ReadyRow[] = [];
        const fetched = new Map<string, number>();
        for (const name of store.queuedFunctions()) {
          if (blocked.has(name)) continue;
          if (!this.#canStart(name)) {
            blocked.add(name);
            sawBlocked = true;
            // Its events wait; those past their maximum age expire all the same (looked for once a poll interval).
            if (checkExpiry) {
              for (const row of store.readyOf(name, now, chunk)) {
                if (isExpired({ acceptedAt: row.created_at, policy: JSON.parse(row.policy) as AsyncRetryPolicy }, now)) candidates.push(row);
              }
            }
            continue;
          }
          const rows = store.readyOf(name, now, chunk);
          fetched.set(name, rows.length);
          for (const row of rows) candidates.push(row);
        }
        // Oldest first across functions, as one queue would.
        candidates.sort((a, b) => a.available_at - b.available_at);
        const claimedOf = new Map<string, number>();
        // One commit for the pass's claims. An attempt starts inside it (so that the next canStart
        // counts it); if the transaction fails, the attempts it started are stopped, as their
        // events are QUEUED again.
        const claimedRows: InvocationRow[] = [];
        // Claimed only to be stored EXPIRED: they never run, so listeners never hear RUNNING (as on redis).
        const expiring = new Set<string>();
        if (candidates.length > 0) {
          try {
            store.transaction(() => {
              if (this.#claimInOrder(candidates, blocked, claimedOf, claimedRows, expiring, now)) sawBlocked = true;
            });
          } catch (error) {
            for (const row of claimedRows) this.#evict(row.id, error);
            this.#retryAfter = Date.now() + pollIntervalMs;
            throw error;
          }
          // Listeners hear of a claim once it is committed (an attempt's own writes come a turn later).
          for (const row of claimedRows) if (!expiring.has(row.id)) this.#context.emit(row);
        }
        // A function whose whole chunk was claimed may have more ready events: another pass.
        for (const [name, count] of fetched) {
          if (count === chunk && claimedOf.get(name) === count && !blocked.has(name)) more = true;
        }
      }
    } catch (error) {
      this.#onError(error);
    }
    this.#schedule(now, sawBlocked);
  }

  /**
   * Claims and starts candidates, oldest first, while there is room; runs in
   * the pump's transaction. Returns whether a function was refused by canStart.
   */
  #claimInOrder(
    candidates: ReadyRow[], blocked: Set<string>, claimedOf: Map<string, number>, claimedRows: InvocationRow[], expiring: Set<string>, now: number,
  ): boolean {
    const { store, owner, leaseMs } = this.#context;
    let sawBlocked = false;
    for (const row of candidates) {
      if (this.#running.size >= this.#concurrency) break;
      const name = row.function_name;
      // Its lease lapsed while this consumer still runs it (a stalled event loop) and it was put back:
      // it runs again once that attempt ends, not beside it.
      if (this.#running.has(row.id)) continue;
      const expired = isExpired({ acceptedAt: row.created_at, policy: JSON.parse(row.policy) as AsyncRetryPolicy }, now);
      // Expiry does not need capacity from the governor: the event will not run.
      if (!expired && (blocked.has(name) || !this.#canStart(name))) {
        if (!blocked.has(name)) sawBlocked = true;
        blocked.add(name);
        continue;
      }
      const claimed = store.claim(row.id, `${owner}#${++this.#claimSeq}`, now, now + leaseMs, !expired);
      if (!claimed) continue; // another process took it
      // Start each attempt before asking canStart for the next one, so the
      // invoker's governor has counted it.
      claimedRows.push(claimed);
      if (expired) expiring.add(claimed.id);
      this.#start(claimed, rowToEvent(claimed), expired);
      claimedOf.set(name, (claimedOf.get(name) ?? 0) + 1);
    }
    return sawBlocked;
  }

  /** Stops an attempt whose claim did not commit: nothing it writes will be kept. */
  #evict(id: string, reason: unknown): void {
    const attempt = this.#running.get(id);
    if (!attempt) return;
    attempt.evicted = true;
    this.#running.delete(id);
    attempt.controller.abort(reason);
  }

  #schedule(now: number, sawBlocked: boolean): void {
    if (this.#closing || this.#dead) return;
    let delay = this.#context.pollIntervalMs;
    if (now < this.#retryAfter) delay = this.#retryAfter - now;
    else if (this.#running.size < this.#concurrency) {
      if (sawBlocked) delay = Math.min(delay, this.#blockedRetryMs);
      try {
        const next = this.#context.store.nextAvailableAt();
        if (next !== undefined && next > now) delay = Math.min(delay, next - now);
      } catch (error) {
        this.#onError(error);
      }
    }
    this.#timer = setTimeout(() => this.#pump(), Math.max(1, delay)).unref();
  }

  #start(row: InvocationRow, event: QueuedEvent, expired: boolean): void {
    const controller = new AbortController();
    const attempt: RunningAttempt = { token: row.lease_owner!, controller, evicted: false, routing: false, done: Promise.resolve() };
    this.#running.set(row.id, attempt);
    let work: Promise<void>;
    if (expired) {
      work = this.#finalize(row, event, attempt, 'EventAgeExceeded', undefined);
    } else if (row.stalls > this.#context.maxStalledCount) {
      const outcome = stalledOutcome(row.stalls, this.#context.maxStalledCount);
      work = this.#finalize(row, event, attempt, 'RetriesExhausted', outcome);
    } else {
      const claimed: ClaimedEvent = { ...event, attempt: row.attempts };
      let outcome: Promise<AttemptOutcome>;
      try {
        outcome = this.#handler(claimed, controller.signal);
      } catch (error) {
        outcome = Promise.reject(error);
      }
      work = outcome.then(
        (value) => this.#settle(row, event, attempt, value),
        (error: unknown) => this.#settle(row, event, attempt, outcomeFromThrown(error)),
      );
    }
    attempt.done = work
      .catch((error: unknown) => this.#onError(error))
      .finally(() => {
        // The same event may run again under a new attempt once this one was evicted.
        if (this.#running.get(row.id) === attempt) this.#running.delete(row.id);
        this.wake();
      });
  }

  async #settle(row: InvocationRow, event: QueuedEvent, attempt: RunningAttempt, outcome: AttemptOutcome): Promise<void> {
    if (attempt.evicted || this.#dead) return;
    const decision = decideAfterAttempt(event.policy, row.attempts, outcome);
    if (decision.kind === 'retry' && !outcome.ok) {
      const now = Date.now();
      await this.#write(() =>
        this.#context.store.retry(row.id, attempt.token, {
          now,
          availableAt: now + delayWithinAge(event, decision.delayMs, now),
          error: outcome.error,
          ...(outcome.logTail !== undefined ? { logTail: outcome.logTail } : {}),
        }),
      );
      return;
    }
    if (decision.kind === 'retry') return; // unreachable: only failures retry
    await this.#finalize(row, event, attempt, decision.condition, outcome);
  }

  async #finalize(
    row: InvocationRow,
    event: QueuedEvent,
    attempt: RunningAttempt,
    condition: FinalCondition,
    outcome: AttemptOutcome | undefined,
  ): Promise<void> {
    const now = Date.now();
    const status = condition === 'Success' ? 'SUCCEEDED' : condition === 'EventAgeExceeded' ? 'EXPIRED' : 'FAILED';
    // The store drops an earlier attempt's error on success too, so the record routed is the one stored.
    const record: InvocationRecord = {
      ...finalRecordBase(rowToRecord(row), status),
      status,
      updatedAt: now,
      ...(status === 'FAILED' ? { attempts: row.attempts } : {}),
      ...(outcome?.ok ? { result: outcome.result } : {}),
      ...(outcome && !outcome.ok ? { error: outcome.error } : {}),
      ...(outcome?.logTail !== undefined ? { logTail: outcome.logTail } : {}),
    };
    // Route first, then store: a crash in between re-runs the event rather
    // than losing its destination (at-least-once, as Lambda's destinations).
    if (this.#onFinal) {
      attempt.routing = true;
      try {
        await this.#onFinal({ event, record, condition, ...(outcome ? { outcome } : {}) });
      } catch (error) {
        this.#onError(error);
        const retry = decideAfterRoutingFailure(event, row.attempts, condition, error);
        if (retry && !attempt.evicted && !this.#dead) {
          const retryAt = Date.now();
          await this.#write(() =>
            this.#context.store.retry(row.id, attempt.token, {
              now,
              availableAt: retryAt + delayWithinAge(event, retry.delayMs, retryAt),
              error: retry.error,
              ...(outcome?.logTail !== undefined ? { logTail: outcome.logTail } : {}),
            }),
          );
          return;
        }
      }
    }
    if (attempt.evicted || this.#dead) return;
    await this.#write(() =>
      this.#context.store.finish(row.id, attempt.token, {
        status,
        now,
        ...(outcome?.ok ? { result: outcome.result } : {}),
        ...(outcome && !outcome.ok ? { error: outcome.error } : {}),
        ...(outcome?.logTail !== undefined ? { logTail: outcome.logTail } : {}),
      }),
    );
  }

  /**
   * Queue a write that ends an attempt. Writes queued in the same turn are
   * committed in one transaction; the attempt counts as running until its
   * write is committed, so close() never gives back an event whose outcome
   * is about to be stored.
   */
  #write(write: () => InvocationRow | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#pendingWrites.push({ write, resolve, reject });
      if (this.#flushScheduled) return;
      this.#flushScheduled = true;
      setImmediate(() => this.#flush());
    });
  }

  #flush(): void {
    this.#flushScheduled = false;
    const batch = this.#pendingWrites;
    this.#pendingWrites = [];
    if (this.#dead) {
      for (const pending of batch) pending.resolve();
      return;
    }
    let rows: (InvocationRow | undefined)[];
    try {
      rows = this.#context.store.transaction(() => batch.map((pending) => pending.write()));
    } catch (error) {
      // Rolled back: the events stay RUNNING and are taken back when the lease expires.
      for (const pending of batch) pending.reject(error);
      return;
    }
    for (const row of rows) if (row) this.#context.emit(row);
    for (const pending of batch) pending.resolve();
  }
}

