import type { Job, Worker } from 'bullmq';
import { bullmq } from './redis-packages.js';
import {
  FINAL_STATUSES,
  type AttemptOutcome,
  type ClaimedEvent,
  type ConsumeOptions,
  type Consumer,
  type ConsumerCloseOptions,
  type EventHandler,
  type FinalCondition,
  type InvocationRecord,
  type InvocationStatus,
  type QueuedEvent,
} from '../backend.js';
import {
  decideAfterAttempt,
  decideAfterRoutingFailure,
  delayWithinAge,
  finalRecordBase,
  isExpired,
  outcomeFromThrown,
  retryDelayMs,
  stalledOutcome,
} from '../attempt-plan.js';
import type { RedisRecords } from './redis-records.js';
import { resolveConsumeOptions } from '../backend-options.js';
import { settlesWithin } from '../settles-within.js';

/** What a consumer needs from the backend that owns it. */
export interface RedisConsumerContext {
  readonly redisUrl: string;
  readonly bullPrefix: string;
  readonly queueName: string;
  readonly records: RedisRecords;
  readonly lockDurationMs: number;
  readonly stalledIntervalMs: number;
  readonly maxStalledCount: number;
  /** Called once the consumer has closed, so the backend forgets it. */
  readonly onClosed: (consumer: RedisConsumer) => void;
}

interface ActiveAttempt {
  readonly controller: AbortController;
  /** The handler is done and the outcome is being routed: close does not give the event back. */
  routing: boolean;
  /** Resolves when close gives the event back before it finished. */
  readonly evicted: Promise<typeof EVICTED>;
  readonly evict: () => void;
  /** Resolves when the processor is done with the job (finished, moved back or failed). */
  readonly settled: Promise<void>;
}

/** The error thrown to BullMQ so it applies the event's retry delay. */
class RetryableAttemptError extends Error {
  override readonly name = 'RetryableAttemptError';
}

const EVICTED = Symbol('evicted');
const STILL_RUNNING = Symbol('still running');
/**
 * How long an attempt runs before its record says RUNNING. Long enough that a
 * fast handler costs no RUNNING write (a script call and a change message on
 * every host), short enough that anyone watching sees an attempt in progress.
 */
export const RUNNING_RECORD_AFTER_MS = 10;
/** Least time an evicted attempt gets to move its job back to wait before close drops the connections. */
const EVICTED_MOVE_GRACE_MS = 1000;
/** The eviction of a finalisation: it has no handler to give back, close waits for it. */
const NEVER_EVICTED = new Promise<typeof EVICTED>(() => undefined);
const DEFAULT_DRAIN_TIMEOUT_MS = 30_000;
/** BullMQ's own stall limit is set out of reach: we enforce `maxStalledCount` ourselves so the record and `onFinal` see the failure. */
const BULLMQ_MAX_STALLED = 1_000_000;
/** Longest back-off for an event refused by `canStart` over and over. */
const MAX_BLOCKED_DELAY_MS = 2000;
/**
 * Most BullMQ workers one consumer splits its slots among. A worker fills
 * every free slot one fetch (a round trip) at a time before it starts any of
 * the jobs fetched: with all 64 slots in one worker, a burst that arrived on
 * an idle host started nothing for 64 round trips (200–550 ms while the
 * host was busy accepting the burst). Workers of 8 slots fill side by side,
 * and the first jobs start after 8.
 */
const MAX_WORKERS = 8;

/** How long a promoted put-back job counts against the hold room before it is fetched again here. */
const PROMOTED_FETCH_GRACE_MS = 1000;
/** A put-back job this close to due is left to BullMQ, which moves it by itself. */
const PROMOTE_MARGIN_MS = 5;
/** How long after its put-back a job may be promoted: its processor call has surely returned to BullMQ. */
const PARK_SETTLE_MS = 50;

/** How long the same error from the workers' connections counts as one (see `#reportedJustNow`). */
const REPEATED_ERROR_WINDOW_MS = 1000;

/**
 * Stops a worker whose Redis is away: its lock renewals and stalled checks
 * (BullMQ's own members: its close would stop them only after the fetch it
 * waits for) and its command and blocking connections, without the goodbyes
 * Redis would have to answer.
 */
async function dropConnections(worker: Worker<QueuedEvent>): Promise<void> {
  // Left running, they fail on the dropped connections over and over and keep the process alive.
  const timers = worker as unknown as { lockManager?: { close(): Promise<void> | void }; stalledCheckStopper?: () => void };
  await timers.lockManager?.close();
  timers.stalledCheckStopper?.();
  await worker.backend.disconnectBlocking(false);
  (await worker.backend.client).disconnect();
}

/** `concurrency` slots split as evenly as can be among at most MAX_WORKERS workers. */
export function workerSlots(concurrency: number): number[] {
  const workers = Math.min(MAX_WORKERS, concurrency);
  return Array.from({ length: workers }, (_, i) => Math.floor(concurrency / workers) + (i < concurrency % workers ? 1 : 0));
}

/**
 * BullMQ workers running the handler. BullMQ does the claiming, locks,
 * retry delays (a custom backoff reading the event's policy) and recovery of
 * events whose host vanished (stalled jobs); this class maps each job to
 * record changes and to the final outcome.
 */
export class RedisConsumer implements Consumer {
  readonly #context: RedisConsumerContext;
  readonly #handler: EventHandler;
  readonly #canStart: (functionName: string) => boolean;
  readonly #onFinal: ConsumeOptions['onFinal'];
  readonly #onError: (error: unknown) => void;
  readonly #blockedRetryMs: number;
  /** The consumer's slots, split among a few workers (see MAX_WORKERS). */
  readonly #workers: Array<Worker<QueuedEvent>>;
  readonly #active = new Map<string, ActiveAttempt>();
  /** How often each job was refused by canStart, for its back-off. Bounded below. */
  readonly #refusals = new Map<string, number>();
  /**
   * Jobs waiting in process for their function to have room: per function, by
   * job id, oldest first. wake() resumes only the oldest of a function with
   * room, and a job that starts wakes the next: resuming them all at every
   * attempt's end re-held all but one each time, a cost growing with the queue.
   */
  readonly #held = new Map<string, Map<string, () => void>>();
  #heldCount = 0;
  /**
   * Per function, the held job wake() let go that has not asked canStart yet:
   * until it has, no other of that function is let go (a second wake() in the
   * same tick would let the next one overtake it and be held again at the back).
   */
  readonly #released = new Map<string, string>();
  /**
   * Per function, the jobs this consumer put back (delayed, see `#putBack`),
   * oldest first: once there is room to hold jobs again (the backlog is
   * ending), they are promoted instead of sitting out their delays (up to
   * MAX_BLOCKED_DELAY_MS) while their function idles. Bounded below.
   */
  readonly #parked = new Map<string, Map<string, { job: Job<QueuedEvent>; parkedAt: number; dueAt: number }>>();
  /** Runs #promoteParked again once the newest put-back jobs have settled (see PARK_SETTLE_MS). */
  #promoteTimer: NodeJS.Timeout | undefined;
  #parkedCount = 0;
  /**
   * Put-back jobs promoted and not fetched again yet, by id, with when they
   * stop counting: each takes hold room until this consumer fetches it, or
   * until PROMOTED_FETCH_GRACE_MS passed (another host took it).
   */
  readonly #promoting = new Map<string, number>();
  /** Put-back slots resting before they fetch again; close ends the rests. */
  readonly #resting = new Set<() => void>();
  /**
   * Worker slots that may run or hold jobs. The rest (an eighth, at least one)
   * stay free to fetch, so events of other functions behind a backlog are reached.
   */
  readonly #holdRoom: number;
  #holdTimer: NodeJS.Timeout | undefined;
  /** When each of the workers' errors (by message) was last reported, so each connection's copy is reported once. */
  readonly #workerErrors = new Map<string, number>();
  #stopping = false;
  #closing: Promise<void> | undefined;
  #dead = false;

  constructor(context: RedisConsumerContext, handler: EventHandler, options: ConsumeOptions) {
    const resolved = resolveConsumeOptions(options);
    this.#context = context;
    this.#handler = handler;
    this.#canStart = resolved.canStart;
    this.#onFinal = resolved.onFinal;
    this.#onError = resolved.onError;
    this.#blockedRetryMs = resolved.blockedRetryMs;
    this.#holdRoom = resolved.concurrency - Math.max(1, Math.floor(resolved.concurrency / 8));
    this.#workers = workerSlots(resolved.concurrency).map((slots) => this.#startWorker(slots));
  }

  #startWorker(slots: number): Worker<QueuedEvent> {
    const context = this.#context;
    const worker = new (bullmq().Worker)<QueuedEvent>(
      context.queueName,
      (job, token, signal) => this.#process(job, token, signal),
      {
        // The worker's blocking connection must wait for Redis forever, hence null.
        connection: { url: context.redisUrl, maxRetriesPerRequest: null },
        prefix: context.bullPrefix,
        concurrency: slots,
        lockDuration: context.lockDurationMs,
        stalledInterval: context.stalledIntervalMs,
        maxStalledCount: BULLMQ_MAX_STALLED,
        // Long-poll briefly so close() is not held up by an idle BZPOPMIN.
        drainDelay: 1,
        settings: {
          backoffStrategy: (attemptsMade, _type, _error, job) => {
            const event = job?.data as QueuedEvent;
            return delayWithinAge(event, retryDelayMs(event.policy, attemptsMade), Date.now());
          },
        },
      },
    );
    worker.on('error', (error) => {
      if (!this.#dead && !this.#reportedJustNow(error)) this.#onError(error);
    });
    // BullMQ only reports a lock it could not renew (Redis away, event loop stalled): a held job
    // whose lock is gone may already run elsewhere, so it lets go at once rather than run later.
    worker.on('lockRenewalFailed', (ids) => {
      for (const id of ids) if ([...this.#held.values()].some((jobs) => jobs.has(id))) worker.cancelJob(id, 'lock lost');
    });
    worker.on('failed', (job, error) => {
      if (job && job.finishedOn) void this.#failedByQueue(job, error);
    });
    return worker;
  }

  /**
   * Whether the same error (by message) was reported within the last
   * second: in a Redis outage each worker's two connections say the same
   * thing, and one report per condition is enough.
   */
  #reportedJustNow(error: unknown): boolean {
    const message = error instanceof Error ? error.message : String(error);
    const now = Date.now();
    const last = this.#workerErrors.get(message);
    if (last !== undefined && now - last < REPEATED_ERROR_WINDOW_MS) return true;
    // Bounded: messages that vary (ids in them) are forgotten once their window has passed.
    if (this.#workerErrors.size >= 64) for (const [seen, at] of this.#workerErrors) if (now - at >= REPEATED_ERROR_WINDOW_MS) this.#workerErrors.delete(seen);
    this.#workerErrors.set(message, now);
    return false;
  }

  get running(): number {
    return this.#active.size;
  }

  waitUntilReady(): Promise<void> {
    return Promise.all(this.#workers.map((worker) => worker.waitUntilReady())).then(() => undefined);
  }

  /**
   * An attempt ended (or capacity may have returned): for each function with
   * room, its oldest held job goes on to start (all of them when stopping, to
   * be put back).
   */
  wake(): void {
    if (this.#dead) return;
    this.#useReturnedRoom();
    if (this.#heldCount === 0) return;
    for (const [functionName, jobs] of this.#held) {
      if (this.#stopping) {
        for (const [id, resume] of jobs) this.#release(functionName, id, resume);
        continue;
      }
      if (this.#released.has(functionName) || !this.#canStart(functionName)) continue;
      const [id, resume] = jobs.entries().next().value!;
      this.#released.set(functionName, id);
      this.#release(functionName, id, resume);
    }
  }

  /**
   * Room came back (the backlog is ending): resting slots go on at once, and put-back jobs return.
   * Asked when an attempt ends as well as on wake(): the owner wakes the consumer when the handler
   * is done, while the attempt still takes room until its outcome is stored; when that comes last,
   * no later wake() would see the room (the rests would last `blockedRetryMs`).
   */
  #useReturnedRoom(): void {
    if (this.#stopping || this.#dead || (this.#resting.size === 0 && this.#parkedCount === 0)) return;
    if (this.#holdRoomLeft() <= 0) return;
    if (this.#resting.size > 0) this.#endRests();
    if (this.#parkedCount > 0) this.#promoteParked();
  }

  /**
   * While there is room to hold more jobs, put-back jobs go back to wait now,
   * oldest first, rather than sit out their delays: fetched again, they are
   * held in order behind their function's others and start when it has room.
   */
  #promoteParked(): void {
    if (this.#stopping || this.#dead) return;
    const now = Date.now();
    let room = this.#holdRoomLeft();
    for (const [functionName, jobs] of this.#parked) {
      for (const [id, { job, parkedAt, dueAt }] of jobs) {
        // Due (or nearly): BullMQ moves it itself, and any host may have taken it since, run it and
        // delayed it again for a retry, which a promote would cut short. Only a job not yet due is
        // surely still the one this consumer put back.
        if (now >= dueAt - PROMOTE_MARGIN_MS) {
          this.#unpark(functionName, id);
          continue;
        }
        if (room <= 0) return;
        // Just put back: BullMQ stops tracking its lock only once its processor call has returned (a
        // round trip later); fetched again here before that, the job would lose its lock renewals.
        if (now - parkedAt < PARK_SETTLE_MS) {
          this.#promoteTimer ??= setTimeout(() => {
            this.#promoteTimer = undefined;
            this.#promoteParked();
          }, PARK_SETTLE_MS).unref();
          continue;
        }
        room--;
        this.#unpark(functionName, id);
        this.#promoting.set(id, now + PROMOTED_FETCH_GRACE_MS);
        job.promote().catch((error: unknown) => {
          if (this.#promoting.get(id) === now + PROMOTED_FETCH_GRACE_MS) this.#promoting.delete(id);
          // Due meanwhile and moved by BullMQ, or taken, finished or removed since: nothing to promote.
          const code = (error as { code?: unknown }).code;
          if (code !== bullmq().ErrorCode.JobNotInState && code !== bullmq().ErrorCode.JobNotExist && !this.#dead) this.#onError(error);
        });
      }
    }
  }

  /** Jobs this consumer may still take in, held or running, counting the promoted ones on their way back. */
  #holdRoomLeft(): number {
    if (this.#promoting.size > 0) {
      const now = Date.now();
      for (const [id, until] of this.#promoting) if (until <= now) this.#promoting.delete(id);
    }
    return this.#holdRoom - this.#active.size - this.#heldCount - this.#promoting.size;
  }

  #unpark(functionName: string, id: string): void {
    const jobs = this.#parked.get(functionName);
    if (!jobs?.delete(id)) return;
    this.#parkedCount--;
    if (jobs.size === 0) this.#parked.delete(functionName);
  }

  /** Whether jobs of the function are held, or let go and not started yet. */
  #waitingAhead(functionName: string): boolean {
    return this.#held.has(functionName) || this.#released.has(functionName);
  }

  #release(functionName: string, id: string, resume: () => void): void {
    const jobs = this.#held.get(functionName);
    if (!jobs?.delete(id)) return;
    if (jobs.size === 0) this.#held.delete(functionName);
    if (--this.#heldCount === 0) {
      clearInterval(this.#holdTimer);
      this.#holdTimer = undefined;
    }
    resume();
  }

  /**
   * Resolves once wake() picks it, or at `expiresAt` (its maximum age: the caller then expires it, as
   * Lambda discards an event that waited too long however busy its function still is); capacity
   * freed by sync invocations calls no wake(), so wake() also runs now and then.
   */
  #hold(id: string, functionName: string, expiresAt: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      // Cancelled (its lock was lost, above): stop holding it at once.
      const letGo = (): void => this.#release(functionName, id, resume);
      const expiry = setTimeout(letGo, Math.max(0, expiresAt - Date.now())).unref();
      const resume = (): void => {
        clearTimeout(expiry);
        signal?.removeEventListener('abort', letGo);
        resolve();
      };
      let jobs = this.#held.get(functionName);
      if (!jobs) this.#held.set(functionName, (jobs = new Map()));
      jobs.set(id, resume);
      this.#heldCount++;
      this.#holdTimer ??= setInterval(() => this.wake(), this.#blockedRetryMs).unref();
      signal?.addEventListener('abort', letGo, { once: true });
    });
  }

  close(options: ConsumerCloseOptions = {}): Promise<void> {
    this.#closing ??= this.#close(options.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS);
    return this.#closing;
  }

  /**
   * Stop at once without giving events back, as if the host were killed:
   * the locks expire and another worker's stalled check takes the events.
   * For crash tests.
   */
  async abandon(): Promise<void> {
    this.#dead = true;
    this.#endRests();
    // Held jobs stay held, as in a killed process: their locks expire and another worker takes them.
    clearInterval(this.#holdTimer);
    clearTimeout(this.#promoteTimer);
    for (const attempt of this.#active.values()) attempt.controller.abort(new Error('consumer abandoned'));
    // A killed host reports nothing.
    await Promise.allSettled(this.#workers.map((worker) => worker.close(true)));
  }

  async #close(drainTimeoutMs: number): Promise<void> {
    // Held jobs go back to the queue now rather than wait for room.
    this.#stopping = true;
    clearTimeout(this.#promoteTimer);
    this.#endRests();
    this.wake();
    // BullMQ's close stops fetching and waits for the running jobs.
    const closed = Promise.allSettled(this.#workers.map((worker) => worker.close())).then((results) => {
      // Every worker has stopped, each in its own time; the first failure is reported.
      const failed = results.find((result) => result.status === 'rejected');
      if (failed) throw failed.reason;
    });
    closed.catch(() => undefined);
    const timedOut = !(await settlesWithin(closed, drainTimeoutMs));
    if (timedOut) {
      // Give the rest back: each processor moves its job to wait and returns. An attempt whose
      // outcome is being routed is not given back: it would run, and be routed, twice.
      for (const attempt of this.#active.values()) {
        if (attempt.routing) continue;
        try {
          attempt.evict();
          attempt.controller.abort(new Error('consumer closed before the attempt finished'));
        } catch (error) {
          this.#onError(error);
        }
      }
    }
    // Routing and its final write get one more drain period, and the evicted (which move their jobs
    // back in one call) at least EVICTED_MOVE_GRACE_MS — bounded for all, as an evicted attempt whose
    // outcome came in first goes on to route. Past it the worker's connections are dropped: its locks
    // stop being renewed and lapse, and another worker's stalled check recovers those events.
    const graceMs = Math.max(drainTimeoutMs, EVICTED_MOVE_GRACE_MS);
    let gaveUp = false;
    if (timedOut && this.#active.size > 0) {
      const attempts = [...this.#active.values()].map((attempt) => attempt.settled);
      gaveUp = !(await settlesWithin(Promise.all(attempts), graceMs));
    }
    try {
      if (gaveUp) {
        // Not BullMQ's disconnect: it waits for an 'end' a client reconnecting to an absent Redis never sends.
        await this.#dropWorkers(graceMs);
        throw new Error(`closed with ${this.#active.size} event(s) still routing their outcome; they are recovered once their locks lapse`);
      }
      if (!(await settlesWithin(closed, graceMs))) {
        // Redis is away: BullMQ's close waits for the fetch in flight, which waits for Redis, and its
        // forced close and disconnect wait too (for the same close, for an 'end' a reconnecting client
        // never sends). So the workers are stopped here, as a killed host's would be: their events'
        // locks lapse and a host's stalled check takes them back.
        await this.#dropWorkers(graceMs);
        throw new Error(`closed without Redis answering within ${graceMs} ms: the workers' connections and timers were dropped; their events are recovered once their locks lapse`);
      }
      await closed;
    } catch (error) {
      this.#onError(error);
    }
    try {
      this.#context.onClosed(this);
    } catch (error) {
      this.#onError(error);
    }
  }

  /** Stops every worker where it is (see `dropConnections`), waiting at most `ms`. */
  async #dropWorkers(ms: number): Promise<void> {
    await settlesWithin(Promise.allSettled(this.#workers.map((worker) => dropConnections(worker))), ms);
  }

  async #process(job: Job<QueuedEvent>, token: string | undefined, signal: AbortSignal | undefined): Promise<void> {
    const event = job.data;
    if (this.#parkedCount > 0) this.#unpark(event.functionName, job.id ?? event.requestId);
    this.#promoting.delete(job.id ?? event.requestId);
    const records = this.#context.records;
    const attemptNumber = job.attemptsMade + 1;
    const now = Date.now();
    const id = job.id ?? event.requestId;

    if (isExpired(event, now)) {
      await this.#finalizeTracked(id, event, job.attemptsMade, 'EventAgeExceeded', undefined);
      return;
    }
    if (job.stalledCounter > this.#context.maxStalledCount) {
      const outcome = stalledOutcome(job.stalledCounter, this.#context.maxStalledCount);
      await this.#finalizeTracked(id, event, attemptNumber, 'RetriesExhausted', outcome);
      return;
    }
    // Finalised before a crash stopped BullMQ from completing the job: never run it twice. Only a
    // job taken back from a holder that stopped (stalled) or tried before can be in that state;
    // a first delivery skips the read (a round trip per event): its record is as enqueued.
    let known: InvocationRecord | undefined;
    if (job.stalledCounter > 0 || job.attemptsMade > 0) {
      known = await records.get(event.requestId);
      if (known && FINAL_STATUSES.has(known.status)) return;
    } else {
      known = recordFromEvent(event);
    }
    // Refused events wait without spending an attempt (Lambda: events wait, they are not throttled
    // away): held here, in its worker slot, until wake() picks it. Some slots always stay free to
    // fetch: a job they fetch that cannot start either is put back in the queue with a growing
    // delay, so events behind a busy function's backlog are still reached. Asked right before the
    // start, with no await in between: the owner counts the attempt when the handler is called (the
    // invoker's governor takes its slot synchronously), so this answer cannot go stale. Answers
    // given before an await can: every job fetched meanwhile would be admitted too, and the surplus
    // throttled into a spent attempt and a retry delay.
    // A job new to this consumer queues behind the held ones of its function: started ahead of
    // them, it would take the room wake() just gave the oldest, which would be held again at the back.
    let knownAt = performance.now();
    let waited = false;
    while ((!waited && this.#waitingAhead(event.functionName)) || !this.#canStart(event.functionName)) {
      if (this.#stopping || this.#active.size + this.#heldCount >= this.#holdRoom) {
        // The slot first rests (see #putBack); room may come back meanwhile (the backlog ending: wake
        // ends the rest), and then the job is held like any other instead of put back.
        if (!this.#stopping && !this.#dead) await this.#rest();
        if (this.#stopping || this.#dead || this.#active.size + this.#heldCount >= this.#holdRoom) return this.#putBack(job, token, id);
      }
      // The room it was refused because of goes to the oldest.
      if (!waited) queueMicrotask(() => this.wake());
      waited = true;
      await this.#hold(id, event.functionName, event.acceptedAt + event.policy.maxEventAgeSeconds * 1000, signal);
      if (this.#released.get(event.functionName) === id) this.#released.delete(event.functionName);
      // Let go without starting (below): the room it was given goes to the next held job.
      if (signal?.aborted || isExpired(event, Date.now())) queueMicrotask(() => this.wake());
      // No longer ours: another worker may have it; BullMQ's own move of it will fail on the lock.
      if (signal?.aborted) throw new Error(`event ${event.requestId} was let go while it waited for room: ${String(signal.reason)}`);
      if (this.#stopping) return this.#putBack(job, token, id);
      if (isExpired(event, Date.now())) {
        this.#refusals.delete(id);
        await this.#finalizeTracked(id, event, job.attemptsMade, 'EventAgeExceeded', undefined);
        return;
      }
    }
    this.#refusals.delete(id);
    // A hold leaves the record as known while the lock taken with the job (at processedOn, for
    // lockDurationMs) cannot have lapsed: no other host can have run the event meanwhile. Past half
    // of it, the lock lives only through renewals, and BullMQ learns of a failed one late (at its
    // next renewal, or only as an 'error'), so the outcome reads the record again before routing.
    // Counted from before every hold, each event of a backlog read its record again: a round trip.
    if (waited && job.processedOn !== undefined && Date.now() - job.processedOn < this.#context.lockDurationMs / 2) knownAt = performance.now();
    // There may be room for more than this one: the next held job of the function asks in turn.
    if (this.#heldCount > 0) queueMicrotask(() => this.wake());

    const controller = new AbortController();
    const onQueueAbort = (): void => controller.abort(signal?.reason);
    signal?.addEventListener('abort', onQueueAbort, { once: true });
    let evict!: () => void;
    const evicted = new Promise<typeof EVICTED>((resolve) => {
      evict = () => resolve(EVICTED);
    });
    let settle!: () => void;
    const active: ActiveAttempt = { controller, routing: false, evicted, evict, settled: new Promise((resolve) => (settle = resolve)) };
    this.#active.set(id, active);
    try {
      const claimed: ClaimedEvent = { ...event, attempt: attemptNumber };
      let running: Promise<AttemptOutcome>;
      try {
        running = this.#handler(claimed, controller.signal).catch(outcomeFromThrown);
      } catch (error) {
        running = Promise.resolve(outcomeFromThrown(error));
      }
      // RUNNING is written only for an attempt still running after RUNNING_RECORD_AFTER_MS: a
      // shorter one goes from QUEUED to its outcome, saving a script call and a change message an
      // event. Written after the start (see above); the outcome is written after it, so it never
      // lands on top. Without it the outcome's routing starts from the record as read above.
      let current = known;
      let timer: NodeJS.Timeout | undefined;
      const early = await Promise.race([
        running, evicted, new Promise<typeof STILL_RUNNING>((resolve) => (timer = setTimeout(resolve, RUNNING_RECORD_AFTER_MS, STILL_RUNNING))),
      ]);
      clearTimeout(timer);
      if (early === STILL_RUNNING && !this.#dead) {
        try {
          const started = await records.patchAndRead(base(event), { status: 'RUNNING', attempts: attemptNumber, updatedAt: now });
          // Not written: final meanwhile (or pruned); the outcome reads it again before routing.
          current = started.written ? started.record : undefined;
        } catch (error) {
          // The attempt runs anyway; its outcome is written (or the job retried) when it ends.
          if (!this.#dead) this.#onError(error);
        }
      }
      // The timer could not fire (the event loop was held: a held canStart, a handler that blocks it),
      // yet more than RUNNING_RECORD_AFTER_MS passed: another host may have taken the event over and
      // finished it meanwhile, so the outcome reads the record again before routing.
      if (early !== STILL_RUNNING && performance.now() - knownAt > RUNNING_RECORD_AFTER_MS) current = undefined;
      const outcome = early === STILL_RUNNING ? await Promise.race([running, evicted]) : early;
      if (this.#dead) return;
      if (outcome === EVICTED) {
        // Back to wait, same attempt number, for the next consumer.
        await job.moveToWait(token);
        await records.patch(base(event), { status: 'QUEUED', attempts: job.attemptsMade, updatedAt: Date.now() });
        throw new (bullmq().WaitingError)();
      }
      const decision = decideAfterAttempt(event.policy, attemptNumber, outcome);
      if (decision.kind === 'retry' && !outcome.ok) {
        await records.patch(base(event), {
          status: 'QUEUED',
          attempts: attemptNumber,
          updatedAt: Date.now(),
          error: outcome.error,
          ...(outcome.logTail !== undefined ? { logTail: outcome.logTail } : {}),
        });
        // BullMQ moves the job to delayed for the policy's delay (backoffStrategy).
        throw new RetryableAttemptError(outcome.error.errorMessage);
      }
      if (decision.kind === 'retry') return;
      active.routing = true;
      await this.#finalize(event, attemptNumber, decision.condition, outcome, current, true);
    } finally {
      signal?.removeEventListener('abort', onQueueAbort);
      this.#active.delete(id);
      settle();
      this.#useReturnedRoom();
    }
  }

  /**
   * Offer a refused event again later, delay doubling up to `MAX_BLOCKED_DELAY_MS`.
   * The slot has first rested `blockedRetryMs` (unless closing), the job still ours and
   * its lock renewed: the job it would fetch next is most likely from the same
   * backlog, and putting a backlog back one event after another costs more than
   * the events behind it gain. Then one atomic move from active (our lock) to
   * delayed: a crash before it leaves the job active, and once the lock expires
   * another worker's stalled check puts it back to wait; after it, any worker
   * promotes it when due.
   */
  async #putBack(job: Job<QueuedEvent>, token: string | undefined, id: string): Promise<never> {
    const refusals = (this.#refusals.get(id) ?? 0) + 1;
    if (this.#refusals.size > 10_000) this.#refusals.clear();
    this.#refusals.set(id, refusals);
    const delay = Math.min(this.#blockedRetryMs * 2 ** Math.min(refusals - 1, 6), MAX_BLOCKED_DELAY_MS);
    const dueAt = Date.now() + delay;
    await job.moveToDelayed(dueAt, token);
    this.#park(job, id, dueAt);
    throw new (bullmq().DelayedError)();
  }

  #park(job: Job<QueuedEvent>, id: string, dueAt: number): void {
    // Bounded as #refusals: past it, put-back jobs just wait out their delays.
    if (this.#parkedCount >= 10_000) return;
    const functionName = job.data.functionName;
    let jobs = this.#parked.get(functionName);
    if (!jobs) this.#parked.set(functionName, (jobs = new Map()));
    if (jobs.has(id)) return;
    jobs.set(id, { job, parkedAt: Date.now(), dueAt });
    this.#parkedCount++;
  }

  /** Resolves after `blockedRetryMs`, or at once when close begins or room returns (see wake). */
  #rest(): Promise<void> {
    return new Promise((resolve) => {
      const end = (): void => {
        clearTimeout(timer);
        this.#resting.delete(end);
        resolve();
      };
      const timer = setTimeout(end, this.#blockedRetryMs);
      this.#resting.add(end);
    });
  }

  #endRests(): void {
    for (const end of [...this.#resting]) end();
  }

  /** BullMQ failed the job for good by itself (an unexpected error on the last attempt). */
  async #failedByQueue(job: Job<QueuedEvent>, error: Error): Promise<void> {
    if (this.#dead || error instanceof RetryableAttemptError) return;
    try {
      const record = await this.#context.records.get(job.data.requestId);
      if (!record || FINAL_STATUSES.has(record.status)) return;
      const outcome: AttemptOutcome = {
        ok: false,
        retryable: false,
        error: { errorType: error.name || 'Error', errorMessage: error.message },
      };
      await this.#finalizeTracked(job.id ?? job.data.requestId, job.data, job.attemptsMade, 'RetriesExhausted', outcome, false);
    } catch (failure) {
      this.#onError(failure);
    }
  }

  /** A final outcome routed and stored outside a running attempt (expired, stalled, failed by BullMQ): close waits for it too. */
  async #finalizeTracked(
    id: string, event: QueuedEvent, attempts: number, condition: FinalCondition, outcome: AttemptOutcome | undefined, mayRetry = true,
  ): Promise<void> {
    let settle!: () => void;
    const tracked: ActiveAttempt = {
      controller: new AbortController(), routing: true, evicted: NEVER_EVICTED, evict: () => undefined,
      settled: new Promise((resolve) => (settle = resolve)),
    };
    this.#active.set(id, tracked);
    try {
      await this.#finalize(event, attempts, condition, outcome, undefined, mayRetry);
    } finally {
      if (this.#active.get(id) === tracked) this.#active.delete(id);
      settle();
      this.#useReturnedRoom();
    }
  }

  async #finalize(
    event: QueuedEvent,
    attempts: number,
    condition: FinalCondition,
    outcome: AttemptOutcome | undefined,
    known?: InvocationRecord,
    /** Whether a routing failure may send the job to another attempt (it is still ours, not failed by BullMQ). */
    mayRetry = true,
  ): Promise<void> {
    const now = Date.now();
    const status: InvocationStatus =
      condition === 'Success' ? 'SUCCEEDED' : condition === 'EventAgeExceeded' ? 'EXPIRED' : 'FAILED';
    const patch = {
      status,
      attempts,
      updatedAt: now,
      ...(outcome?.ok ? { result: outcome.result } : {}),
      ...(outcome && !outcome.ok ? { error: outcome.error } : {}),
      ...(outcome?.logTail !== undefined ? { logTail: outcome.logTail } : {}),
    };
    // The caller usually knows the record from the RUNNING write; read it otherwise.
    const current = known ?? (await this.#context.records.get(event.requestId));
    if (current && FINAL_STATUSES.has(current.status)) return;
    // The record script drops an earlier attempt's error on success too, so the record routed is the one stored.
    const record: InvocationRecord = { ...finalRecordBase(current ?? recordFromEvent(event), status), ...patch };
    // Route first, then store: a crash in between re-runs the event rather than
    // losing its destination (at-least-once, as Lambda's destinations).
    if (this.#onFinal) {
      try {
        await this.#onFinal({ event, record, condition, ...(outcome ? { outcome } : {}) });
      } catch (error) {
        this.#onError(error);
        const retry = mayRetry ? decideAfterRoutingFailure(event, attempts, condition, error) : undefined;
        if (retry && !this.#dead) {
          await this.#context.records.patch(base(event), {
            status: 'QUEUED',
            attempts,
            updatedAt: Date.now(),
            error: retry.error,
            ...(outcome?.logTail !== undefined ? { logTail: outcome.logTail } : {}),
          });
          // BullMQ moves the job to delayed for the policy's delay (backoffStrategy).
          throw new RetryableAttemptError(retry.error.errorMessage);
        }
      }
    }
    if (this.#dead) return;
    await this.#context.records.patch(base(event), patch);
  }
}

function base(event: QueuedEvent): Pick<InvocationRecord, 'id' | 'functionName' | 'createdAt'> {
  return { id: event.requestId, functionName: event.functionName, createdAt: event.acceptedAt };
}

function recordFromEvent(event: QueuedEvent): InvocationRecord {
  return {
    id: event.requestId,
    functionName: event.functionName,
    ...(event.job !== undefined ? { job: event.job } : {}),
    status: 'QUEUED',
    attempts: 0,
    createdAt: event.acceptedAt,
    updatedAt: event.acceptedAt,
    ...(event.identity !== undefined ? { identity: event.identity } : {}),
  };
}
