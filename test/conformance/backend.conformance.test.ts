/**
 * One suite, run unchanged against every backend (bullmq's
 * adapter-conformance style). Each test gets its own store (a temp dir or a
 * random Redis prefix); every backend and consumer is closed afterwards.
 * Nothing sleeps to "wait for it": tests await record changes and handler
 * calls through deferred promises.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import {
  BackendUnavailableError,
  createBackend,
  DeadLetterNotFoundError,
  DuplicateRequestIdError,
  type AsyncEvent,
  type AsyncRetryPolicy,
  type AttemptOutcome,
  type Backend,
  type ClaimedEvent,
  type ConsumeOptions,
  type Consumer,
  type DeadLetter,
  type EventHandler,
  type FinalEvent,
  type InvocationRecord,
} from '../../runtime/backend/index.js';
import { RedisBackend } from '../../runtime/backend/redis/redis-backend.js';
import { SqliteBackend } from '../../runtime/backend/sqlite/sqlite-backend.js';
import { deleteRedisKeys } from '../support/delete-redis-keys.js';

const REDIS_URL = 'redis://127.0.0.1:6379';

/** How a backend is opened on a fresh store, reopened on the same store, and "killed". */
interface Harness {
  readonly name: 'sqlite' | 'redis';
  /** Start a fresh, empty store for one test. */
  fresh(): void;
  /** A new backend instance on the current store (another process, or a restart). */
  open(): Backend;
  /** Stop the backend as SIGKILL would: no claim is given back. */
  crash(backend: Backend): Promise<void>;
  /** Remove the current store. */
  cleanup(): Promise<void>;
  /** Close what the harness itself holds (its admin connection). */
  dispose(): Promise<void>;
}

function sqliteHarness(): Harness {
  let dir = '';
  return {
    name: 'sqlite',
    fresh() {
      dir = mkdtempSync(join(tmpdir(), 'neolith-conformance-'));
    },
    open() {
      return createBackend({ kind: 'sqlite', stateDir: dir, pollIntervalMs: 200, leaseMs: 3000 });
    },
    async crash(backend) {
      if (!(backend instanceof SqliteBackend)) throw new TypeError('not a sqlite backend');
      await backend.abandon();
    },
    async cleanup() {
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
    async dispose() {},
  };
}

function redisHarness(): Harness {
  let prefix = '';
  const admin = new Redis(REDIS_URL, { lazyConnect: true });
  return {
    name: 'redis',
    fresh() {
      prefix = `neolith-test-${randomUUID()}`;
    },
    open() {
      // Short locks and stall checks so a vanished consumer's event is recovered in about a second.
      return createBackend({
        kind: 'redis',
        redisUrl: REDIS_URL,
        prefix,
        lockDurationMs: 1000,
        stalledIntervalMs: 250,
        commandTimeoutMs: 3000,
      });
    },
    async crash(backend) {
      if (!(backend instanceof RedisBackend)) throw new TypeError('not a redis backend');
      await backend.abandon();
    },
    async cleanup() {
      if (!prefix) return;
      if (admin.status === 'wait') await admin.connect();
      await deleteRedisKeys(admin, `${prefix}:*`);
    },
    async dispose() {
      if (admin.status !== 'wait') await admin.quit();
    },
  };
}

interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
}

function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

const FAST_POLICY: AsyncRetryPolicy = { maxRetries: 2, retryDelaysMs: [20, 40], maxEventAgeSeconds: 3600 };
/** Lambda's own delays: a failed attempt is not retried within a test. */
const SLOW_RETRY_POLICY: AsyncRetryPolicy = { maxRetries: 2, retryDelaysMs: [60_000, 120_000], maxEventAgeSeconds: 3600 };

function makeEvent(overrides: Partial<AsyncEvent> = {}): AsyncEvent {
  return {
    requestId: randomUUID(),
    functionName: 'echo',
    payload: JSON.stringify({ hello: 'world' }),
    policy: FAST_POLICY,
    ...overrides,
  };
}

const ok = (result: unknown = { ok: true }): AttemptOutcome => ({ ok: true, result: JSON.stringify(result) });
const fail = (message: string, retryable = true): AttemptOutcome => ({
  ok: false,
  retryable,
  error: { errorType: 'Error', errorMessage: message, trace: [`Error: ${message}`, '    at handler'] },
  logTail: `log of ${message}`,
});

describe.each([sqliteHarness(), redisHarness()])('backend conformance: $name', (harness) => {
  const backends: Backend[] = [];
  const consumers: Consumer[] = [];

  async function open(): Promise<Backend> {
    const backend = harness.open();
    backends.push(backend);
    await backend.waitUntilReady();
    return backend;
  }

  function consume(backend: Backend, handler: EventHandler, options: Partial<ConsumeOptions> = {}): Consumer {
    const consumer = backend.consume(handler, { concurrency: 4, onError: (error) => console.error(error), ...options });
    consumers.push(consumer);
    return consumer;
  }

  /** Resolves with the record once `predicate` holds, from the change feed or the store. */
  function recordWhere(
    backend: Backend,
    id: string,
    predicate: (record: InvocationRecord) => boolean,
  ): Promise<InvocationRecord> {
    return new Promise<InvocationRecord>((resolve, reject) => {
      let settled = false;
      const stop = backend.watchRecords((record) => {
        if (settled || record.id !== id || !predicate(record)) return;
        settled = true;
        stop();
        resolve(record);
      });
      // The change may already have happened before we subscribed.
      backend.getRecord(id).then((record) => {
        if (settled || !record || !predicate(record)) return;
        settled = true;
        stop();
        resolve(record);
      }, reject);
    });
  }

  const finalRecord = (backend: Backend, id: string): Promise<InvocationRecord> =>
    recordWhere(backend, id, (r) => r.status === 'SUCCEEDED' || r.status === 'FAILED' || r.status === 'EXPIRED');

  /** Every event's final record, or a failure saying `why` if they are not all final within 10 s. */
  const finalRecordsWithin10s = (backend: Backend, events: readonly AsyncEvent[], why: string): Promise<InvocationRecord[]> =>
    Promise.race([
      Promise.all(events.map((event) => finalRecord(backend, event.requestId))),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(why)), 10_000).unref()),
    ]);

  beforeEach(() => {
    harness.fresh();
  });

  /** A close that hangs (the bug some tests look for) must not keep the store from being cleaned up. */
  const bounded = (closing: Promise<void>): Promise<void> =>
    Promise.race([closing.catch(() => undefined), new Promise<void>((resolve) => setTimeout(resolve, 5000).unref())]);

  afterEach(async () => {
    try {
      for (const consumer of consumers.splice(0)) await bounded(consumer.close({ drainTimeoutMs: 0 }));
      for (const backend of backends.splice(0)) await bounded(backend.close());
    } finally {
      await harness.cleanup();
    }
  });

  afterAll(async () => {
    await harness.cleanup();
    await harness.dispose();
  });

  it('enqueue is durable and creates a QUEUED record', async () => {
    const backend = await open();
    const event = makeEvent({ job: 'users/create', identity: { user: 'ann', roles: ['admin'] }, clientContext: 'e30=' });
    const created = await backend.enqueue(event);
    expect(created).toMatchObject({ id: event.requestId, functionName: 'echo', job: 'users/create', status: 'QUEUED', attempts: 0 });

    // Another instance on the same store sees it: it was stored, not held in memory.
    const other = await open();
    const record = await other.getRecord(event.requestId);
    expect(record).toEqual({
      id: event.requestId,
      functionName: 'echo',
      job: 'users/create',
      status: 'QUEUED',
      attempts: 0,
      createdAt: created.createdAt,
      updatedAt: created.updatedAt,
      identity: { user: 'ann', roles: ['admin'] },
    });
    expect((await other.listRecords({ functionName: 'echo' })).map((r) => r.id)).toEqual([event.requestId]);
    expect(await other.listRecords({ status: 'RUNNING' })).toEqual([]);
    const stats = await other.stats();
    expect(stats.queued).toBe(1);
    expect(stats.running).toBe(0);
    expect(stats.oldestQueuedAgeMs).toBeGreaterThanOrEqual(0);
    expect(stats.deadLetters).toBe(0);
    expect(await other.getRecord(randomUUID())).toBeUndefined();
  });

  it('keys events by any request id of letters, digits, _ and -: integers and the queue\'s own key names too', async () => {
    // BullMQ keeps a queue's keys beside its jobs' (meta, marker, id, events, wait, …) and refuses integer job ids.
    const backend = await open();
    const ran: string[] = [];
    consume(backend, async (claimed) => {
      ran.push(claimed.requestId);
      return ok();
    });
    const ids = ['12345', '-5', 'meta', 'marker', 'id', 'events', 'wait', 'delayed', 'active', 'stalled-check'];
    for (const requestId of ids) await backend.enqueue(makeEvent({ requestId }));
    const after = makeEvent();
    await backend.enqueue(after);
    for (const id of [...ids, after.requestId]) expect(await finalRecord(backend, id)).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
    expect(ran.sort()).toEqual([...ids, after.requestId].sort());
  });

  it('refuses a second event with the same request id', async () => {
    const backend = await open();
    const event = makeEvent();
    await backend.enqueue(event);
    const error = await backend.enqueue(event).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DuplicateRequestIdError);
    expect(error).toMatchObject({ name: 'ResourceConflictException', code: 'ResourceConflictException' });
  });

  it('stores every event of a burst sent at once and refuses only a duplicate among them', async () => {
    const backend = await open();
    const first = makeEvent();
    const burst = [makeEvent(), first, makeEvent(), { ...first, payload: '{"again":true}' }, makeEvent()];
    const results = await Promise.allSettled(burst.map((event) => backend.enqueue(event)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect((results[3] as PromiseRejectedResult).reason).toBeInstanceOf(DuplicateRequestIdError);
    for (const event of [burst[0]!, first, burst[2]!, burst[4]!]) {
      expect(await backend.getRecord(event.requestId)).toMatchObject({ id: event.requestId, status: 'QUEUED' });
    }
  });

  it('claims an event and stores the success with its result', async () => {
    const backend = await open();
    const changes: InvocationRecord[] = [];
    backend.watchRecords((record) => changes.push(record));
    const finals: FinalEvent[] = [];
    const seen: ClaimedEvent[] = [];
    consume(
      backend,
      async (claimed) => {
        seen.push(claimed);
        return { ok: true, result: claimed.payload, logTail: 'START\nEND\n' };
      },
      { onFinal: async (final) => void finals.push(final) },
    );
    const event = makeEvent({ identity: { user: 'bob' }, clientContext: 'e30=' });
    await backend.enqueue(event);
    const record = await finalRecord(backend, event.requestId);

    expect(record).toMatchObject({ status: 'SUCCEEDED', attempts: 1, result: event.payload, logTail: 'START\nEND\n' });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      requestId: event.requestId,
      functionName: 'echo',
      payload: event.payload,
      identity: { user: 'bob' },
      clientContext: 'e30=',
      attempt: 1,
      policy: FAST_POLICY,
    });
    expect(finals).toHaveLength(1);
    expect(finals[0]?.condition).toBe('Success');
    expect(finals[0]?.record).toMatchObject({ id: event.requestId, status: 'SUCCEEDED', attempts: 1, result: event.payload });
    expect(finals[0]?.event.payload).toBe(event.payload);
    // A fast attempt may go from QUEUED to its outcome: RUNNING is recorded for an attempt that lasts (below).
    expect([['QUEUED', 'SUCCEEDED'], ['QUEUED', 'RUNNING', 'SUCCEEDED']]).toContainEqual(
      changes.filter((c) => c.id === event.requestId).map((c) => c.status),
    );
    expect(changes.filter((c) => c.id === event.requestId).at(-1)).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
  });

  it('records an attempt that lasts as RUNNING, then its outcome, each change in order', async () => {
    const backend = await open();
    const running = deferred();
    const changes: InvocationRecord[] = [];
    const event = makeEvent();
    backend.watchRecords((record) => {
      changes.push(record);
      if (record.id === event.requestId && record.status === 'RUNNING') running.resolve();
    });
    // The handler holds its attempt until the feed shows it RUNNING: however long a backend waits to record it.
    consume(backend, async (claimed) => {
      await running.promise;
      return ok(claimed.attempt);
    });
    await backend.enqueue(event);
    expect(await finalRecord(backend, event.requestId)).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
    expect(changes.filter((c) => c.id === event.requestId).map((c) => `${c.status}/${c.attempts}`)).toEqual(['QUEUED/0', 'RUNNING/1', 'SUCCEEDED/1']);
    expect(await backend.getRecord(event.requestId)).toMatchObject({ status: 'SUCCEEDED', attempts: 1, result: JSON.stringify(1) });
  });

  it('retries a failure after the configured delays with the same request id', async () => {
    const backend = await open();
    const starts: { attempt: number; requestId: string; at: number }[] = [];
    consume(backend, async (claimed) => {
      starts.push({ attempt: claimed.attempt, requestId: claimed.requestId, at: Date.now() });
      return claimed.attempt < 3 ? fail(`attempt ${claimed.attempt}`) : ok('third time');
    });
    const event = makeEvent();
    await backend.enqueue(event);
    const record = await finalRecord(backend, event.requestId);

    expect(record).toMatchObject({ status: 'SUCCEEDED', attempts: 3, result: JSON.stringify('third time') });
    expect(starts.map((s) => [s.attempt, s.requestId])).toEqual([
      [1, event.requestId],
      [2, event.requestId],
      [3, event.requestId],
    ]);
    // Timer granularity allows a millisecond or two early.
    expect(starts[1]!.at - starts[0]!.at).toBeGreaterThanOrEqual(18);
    expect(starts[2]!.at - starts[1]!.at).toBeGreaterThanOrEqual(38);
  });

  it('keeps the last error on the record while waiting for a retry', async () => {
    const backend = await open();
    const release = deferred();
    consume(backend, async (claimed) => {
      if (claimed.attempt === 1) return fail('first');
      await release.promise;
      return ok();
    });
    const event = makeEvent({ policy: { ...FAST_POLICY, retryDelaysMs: [30] } });
    await backend.enqueue(event);
    const retrying = await recordWhere(backend, event.requestId, (r) => r.status === 'QUEUED' && r.attempts === 1);
    expect(retrying.error).toEqual({ errorType: 'Error', errorMessage: 'first', trace: ['Error: first', '    at handler'] });
    expect(retrying.logTail).toBe('log of first');
    release.resolve();
    expect(await finalRecord(backend, event.requestId)).toMatchObject({ status: 'SUCCEEDED', attempts: 2 });
  });

  it('stores errors, logs and results holding a lone surrogate, and runs the event no more than its attempts', async () => {
    // A handler may log or throw any JavaScript string: one that is not well-formed Unicode must not
    // break the record's later writes (Redis's Lua refuses its JSON escape), so re-run a finished event.
    const backend = await open();
    const finals: FinalEvent[] = [];
    let calls = 0;
    consume(backend, async (claimed) => {
      calls += 1;
      if (claimed.attempt === 1) return { ...fail('bad name: \ud800'), logTail: 'log \udc00 of first' };
      return { ok: true, result: JSON.stringify({ name: '\ud800' }), logTail: 'log \ud800 of second' };
    }, { onFinal: async (final) => void finals.push(final) });
    const event = makeEvent();
    await backend.enqueue(event);
    const record = await finalRecord(backend, event.requestId);
    expect(record).toMatchObject({ status: 'SUCCEEDED', attempts: 2 });
    // Stored as UTF-8 can: the surrogate itself, or a replacement for it (SQLite's text makes three).
    expect(record.logTail).toMatch(/^log (\ud800|\ufffd+) of second$/);
    expect(JSON.parse(record.result!)).toEqual({ name: '\ud800' });
    expect(calls).toBe(2);
    expect(finals.map((f) => f.condition)).toEqual(['Success']);
  });

  it('fails the event once retries are exhausted and calls onFinal once', async () => {
    const backend = await open();
    const finals: FinalEvent[] = [];
    let calls = 0;
    consume(
      backend,
      async (claimed) => {
        calls += 1;
        return claimed.functionName === 'sentinel' ? ok() : fail(`attempt ${claimed.attempt}`);
      },
      { onFinal: async (final) => void finals.push(final), concurrency: 1 },
    );
    const event = makeEvent();
    await backend.enqueue(event);
    const record = await finalRecord(backend, event.requestId);
    expect(record).toMatchObject({ status: 'FAILED', attempts: 3, error: { errorType: 'Error', errorMessage: 'attempt 3' } });

    // A later event finishing proves nothing else was pending for the first one.
    const sentinel = makeEvent({ functionName: 'sentinel' });
    await backend.enqueue(sentinel);
    await finalRecord(backend, sentinel.requestId);
    expect(calls).toBe(4);
    const failed = finals.filter((f) => f.event.requestId === event.requestId);
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({
      condition: 'RetriesExhausted',
      record: { status: 'FAILED', attempts: 3 },
      outcome: { ok: false, retryable: true, error: { errorMessage: 'attempt 3' } },
    });
  });

  it('does not retry a failure marked not retryable', async () => {
    const backend = await open();
    let calls = 0;
    const finals: FinalEvent[] = [];
    consume(
      backend,
      async () => {
        calls += 1;
        return fail('bad input', false);
      },
      { onFinal: async (final) => void finals.push(final) },
    );
    const event = makeEvent();
    await backend.enqueue(event);
    const record = await finalRecord(backend, event.requestId);
    expect(record).toMatchObject({ status: 'FAILED', attempts: 1, error: { errorMessage: 'bad input' } });
    expect(calls).toBe(1);
    expect(finals.map((f) => f.condition)).toEqual(['RetriesExhausted']);
  });

  it('treats a handler that throws as a retryable failure', async () => {
    const backend = await open();
    consume(backend, async (claimed) => {
      if (claimed.attempt === 1) throw new TypeError('handler bug');
      return ok();
    });
    const event = makeEvent();
    await backend.enqueue(event);
    const record = await finalRecord(backend, event.requestId);
    expect(record).toMatchObject({ status: 'SUCCEEDED', attempts: 2 });
    expect(record.error).toBeUndefined();
  });

  it('stores a success after a failed attempt without the earlier error, in the store and in the feed', async () => {
    const backend = await open();
    const event = makeEvent({ policy: { ...FAST_POLICY, retryDelaysMs: [10] } });
    const changes: InvocationRecord[] = [];
    // Awaited on the feed itself: the store may answer final before the feed delivered every change.
    const succeeded = deferred();
    backend.watchRecords((record) => {
      if (record.id !== event.requestId) return;
      changes.push(record);
      if (record.status === 'SUCCEEDED') succeeded.resolve();
    });
    const finals: FinalEvent[] = [];
    consume(backend, async (claimed) => (claimed.attempt === 1 ? fail('first') : { ...ok('second'), logTail: 'log of second' }), {
      onFinal: async (final) => void finals.push(final),
    });
    await backend.enqueue(event);
    await succeeded.promise;

    // Read back from the store, as `GET /invocations/{id}` and the CLI do, not only from the feed.
    const stored = await backend.getRecord(event.requestId);
    expect(stored).toMatchObject({ status: 'SUCCEEDED', attempts: 2, result: JSON.stringify('second'), logTail: 'log of second' });
    expect(stored).not.toHaveProperty('error');
    const [listed] = await backend.listRecords({ functionName: 'echo', status: 'SUCCEEDED' });
    expect(listed).toEqual(stored);
    // The retry's wait still shows why it is retried; the success does not.
    expect(changes.find((c) => c.status === 'QUEUED' && c.attempts === 1)?.error).toMatchObject({ errorMessage: 'first' });
    expect(changes.at(-1)).toMatchObject({ status: 'SUCCEEDED', attempts: 2 });
    expect(changes.at(-1)).not.toHaveProperty('error');
    expect(finals.map((f) => f.condition)).toEqual(['Success']);
    expect(finals[0]?.record).toMatchObject({ status: 'SUCCEEDED', attempts: 2 });
  });

  it('expires an event older than its maximum age instead of running it', async () => {
    const backend = await open();
    let calls = 0;
    const finals: FinalEvent[] = [];
    consume(
      backend,
      async () => {
        calls += 1;
        return ok();
      },
      { onFinal: async (final) => void finals.push(final) },
    );
    const event = makeEvent({ policy: { ...FAST_POLICY, maxEventAgeSeconds: 0 } });
    const changes: string[] = [];
    const expired = deferred();
    backend.watchRecords((r) => {
      if (r.id !== event.requestId) return;
      changes.push(r.status);
      if (r.status === 'EXPIRED') expired.resolve();
    });
    await backend.enqueue(event);
    const record = await finalRecord(backend, event.requestId);
    expect(record).toMatchObject({ status: 'EXPIRED', attempts: 0 });
    expect(calls).toBe(0);
    // It never ran: watchers never hear RUNNING.
    await expired.promise;
    expect(changes).toEqual(['QUEUED', 'EXPIRED']);
    expect(finals).toHaveLength(1);
    expect(finals[0]).toMatchObject({ condition: 'EventAgeExceeded', record: { status: 'EXPIRED' } });
    expect(finals[0]?.outcome).toBeUndefined();
  });

  it('expires a failed event when its maximum age comes before its next retry, not when the retry delay ends', async () => {
    const backend = await open();
    const finals: FinalEvent[] = [];
    let calls = 0;
    consume(backend, async () => {
      calls += 1;
      return fail('always');
    }, { onFinal: async (final) => void finals.push(final) });
    // A retry a minute away, a maximum age of a second: the event is done once the second is over.
    const event = makeEvent({ policy: { maxRetries: 2, retryDelaysMs: [60_000, 60_000], maxEventAgeSeconds: 1 } });
    await backend.enqueue(event);
    const record = await finalRecord(backend, event.requestId);
    expect(record).toMatchObject({ status: 'EXPIRED', attempts: 1, error: { errorMessage: 'always' } });
    expect(calls).toBe(1);
    expect(finals.map((f) => f.condition)).toEqual(['EventAgeExceeded']);
  });

  it('runs other functions\' events while one function is refused, even with a single slot', async () => {
    const backend = await open();
    consume(backend, async (claimed) => ok(claimed.attempt), {
      concurrency: 1,
      blockedRetryMs: 10,
      canStart: (functionName) => functionName !== 'busy',
    });
    const waiting = makeEvent({ functionName: 'busy' });
    await backend.enqueue(waiting);
    const other = makeEvent({ functionName: 'other' });
    await backend.enqueue(other);
    expect(await finalRecord(backend, other.requestId)).toMatchObject({ status: 'SUCCEEDED' });
    expect(await backend.getRecord(waiting.requestId)).toMatchObject({ status: 'QUEUED', attempts: 0 });
  });

  it('expires an event past its maximum age even while canStart keeps refusing its function', async () => {
    const backend = await open();
    let calls = 0;
    consume(
      backend,
      async () => {
        calls += 1;
        return ok();
      },
      { blockedRetryMs: 10, canStart: (functionName) => functionName !== 'busy' },
    );
    const event = makeEvent({ functionName: 'busy', policy: { ...FAST_POLICY, maxEventAgeSeconds: 0 } });
    await backend.enqueue(event);
    expect(await finalRecord(backend, event.requestId)).toMatchObject({ status: 'EXPIRED', attempts: 0 });
    expect(calls).toBe(0);
  });

  it('expires an event that reaches its maximum age while it waits for a function that stays busy', async () => {
    const backend = await open();
    let calls = 0;
    let refusals = 0;
    const refused = deferred();
    consume(
      backend,
      async () => {
        calls += 1;
        return ok();
      },
      {
        blockedRetryMs: 10,
        canStart: (functionName) => {
          if (functionName !== 'busy') return true;
          if (++refusals === 1) refused.resolve();
          return false;
        },
      },
    );
    // Young enough to be taken in and made to wait; nothing frees the function afterwards.
    const event = makeEvent({ functionName: 'busy', policy: { ...FAST_POLICY, maxEventAgeSeconds: 0.5 } });
    await backend.enqueue(event);
    await refused.promise;
    expect(await backend.getRecord(event.requestId)).toMatchObject({ status: 'QUEUED', attempts: 0 });
    expect(await finalRecord(backend, event.requestId)).toMatchObject({ status: 'EXPIRED', attempts: 0 });
    expect(calls).toBe(0);
  });

  it('leaves an event queued while canStart refuses, then runs it once capacity returns', async () => {
    const backend = await open();
    let open_ = false;
    let refusals = 0;
    const refusedTwice = deferred();
    let calls = 0;
    const consumer = consume(
      backend,
      async (claimed) => {
        calls += 1;
        return ok(claimed.attempt);
      },
      {
        blockedRetryMs: 10,
        canStart: (functionName) => {
          if (functionName !== 'echo' || open_) return true;
          refusals += 1;
          if (refusals === 2) refusedTwice.resolve();
          return false;
        },
      },
    );
    const event = makeEvent();
    await backend.enqueue(event);
    await refusedTwice.promise;
    expect(await backend.getRecord(event.requestId)).toMatchObject({ status: 'QUEUED', attempts: 0 });
    expect(calls).toBe(0);

    // Another function is not held up by the refused one.
    const other = makeEvent({ functionName: 'other' });
    await backend.enqueue(other);
    expect(await finalRecord(backend, other.requestId)).toMatchObject({ status: 'SUCCEEDED' });

    open_ = true;
    consumer.wake();
    const record = await finalRecord(backend, event.requestId);
    expect(record).toMatchObject({ status: 'SUCCEEDED', attempts: 1, result: '1' });
  });

  it('starts an event right after canStart allows it, so the next canStart already counts it', async () => {
    const backend = await open();
    const limit = 2;
    let running = 0;
    let peak = 0;
    const overAdmitted = deferred();
    // A slow retry: an over-admitted attempt that fails would not come back within the test.
    const events = Array.from({ length: 24 }, (_, n) =>
      makeEvent({ functionName: 'limited', payload: JSON.stringify({ n }), policy: SLOW_RETRY_POLICY }),
    );
    for (const event of events) await backend.enqueue(event);
    consume(
      backend,
      async (claimed) => {
        // Counted synchronously at the start, as the invoker's concurrency governor does.
        running += 1;
        peak = Math.max(peak, running);
        try {
          if (running > limit) {
            overAdmitted.resolve();
            return fail('over-admitted');
          }
          await new Promise((resolve) => setTimeout(resolve, 15));
          return ok(claimed.attempt);
        } finally {
          running -= 1;
        }
      },
      { concurrency: 8, blockedRetryMs: 5, canStart: () => running < limit },
    );
    const records = await Promise.race([
      Promise.all(events.map((event) => finalRecord(backend, event.requestId))),
      overAdmitted.promise.then(() => {
        throw new Error(`more than ${limit} attempts started: canStart was not asked right before the start`);
      }),
    ]);
    expect(peak).toBeLessThanOrEqual(limit);
    expect(records.map((r) => [r.status, r.attempts])).toEqual(events.map(() => ['SUCCEEDED', 1]));
  });

  it('starts an event held back by canStart as soon as capacity returns, not after its retry delay', async () => {
    const backend = await open();
    let running = 0;
    let refused = 0;
    const othersRefused = deferred();
    const starts = [deferred(), deferred(), deferred()];
    const gates: Array<() => void> = [];
    let started = 0;
    const events = [0, 1, 2].map((n) => makeEvent({ functionName: 'single', payload: JSON.stringify({ n }) }));
    const consumer: Consumer = consume(
      backend,
      async (claimed) => {
        running += 1;
        starts[started++]!.resolve();
        await new Promise<void>((resolve) => gates.push(resolve));
        running -= 1;
        // As the dispatcher does when an attempt ends and its slot is free again.
        consumer.wake();
        return ok(claimed.attempt);
      },
      {
        concurrency: 8,
        // A put-back would wait this long: the next start must not.
        blockedRetryMs: 2000,
        canStart: () => {
          if (running < 1) return true;
          if (++refused === 2) othersRefused.resolve();
          return false;
        },
      },
    );
    for (const event of events) await backend.enqueue(event);
    await starts[0]!.promise;
    await othersRefused.promise;
    gates.shift()!();
    const next = await Promise.race([
      starts[1]!.promise.then(() => 'started'),
      new Promise<string>((resolve) => setTimeout(() => resolve('still waiting after 1 s'), 1000).unref()),
    ]);
    expect(next).toBe('started');
    gates.shift()!();
    await starts[2]!.promise;
    gates.shift()!();
    const records = await Promise.all(events.map((event) => finalRecord(backend, event.requestId)));
    expect(records.map((r) => [r.status, r.attempts])).toEqual([['SUCCEEDED', 1], ['SUCCEEDED', 1], ['SUCCEEDED', 1]]);
  });

  it('runs a backlog past its hold room without waiting out the put-back delays once room returns', async () => {
    const backend = await open();
    let running = 0;
    const events = Array.from({ length: 40 }, (_, n) => makeEvent({ functionName: 'single', payload: JSON.stringify({ n }) }));
    for (const event of events) await backend.enqueue(event);
    const consumer: Consumer = consume(
      backend,
      async (claimed) => {
        running += 1;
        await new Promise((resolve) => setImmediate(resolve));
        running -= 1;
        // As the dispatcher does when an attempt ends and its slot is free again.
        queueMicrotask(() => consumer.wake());
        return ok(claimed.attempt);
      },
      // One at a time, 40 events, 16 slots of which 14 may run or hold a job: on Redis, the others
      // rest before they are put back, here for a minute. Once room returns the backlog must not wait
      // for them.
      { concurrency: 16, blockedRetryMs: 60_000, canStart: () => running < 1 },
    );
    const records = await finalRecordsWithin10s(backend, events, 'events waited out their put-back delay');
    expect(records.map((r) => [r.status, r.attempts])).toEqual(events.map(() => ['SUCCEEDED', 1]));
  });

  it('goes on with refused events when room returns as outcomes are stored, after the last wake', async () => {
    const backend = await open();
    const events = Array.from({ length: 16 }, (_, n) => makeEvent({ functionName: 'single', payload: JSON.stringify({ n }) }));
    for (const event of events) await backend.enqueue(event);
    let started = 0;
    let admitAll = false;
    const routing = deferred();
    const allRouting = deferred();
    const refused = deferred();
    const consumer = consume(
      backend,
      async (claimed) => {
        started += 1;
        return ok(claimed.attempt);
      },
      {
        // 16 slots of which 14 may run or hold a job: the first 14 run and stay in their routing,
        // taking all that room, so the two refused ones rest (here, for a minute).
        concurrency: 16,
        blockedRetryMs: 60_000,
        canStart: () => {
          if (admitAll || started < 14) return true;
          refused.resolve();
          return false;
        },
        onFinal: async () => {
          if (started >= 14) allRouting.resolve();
          await routing.promise;
        },
      },
    );
    await Promise.all([allRouting.promise, refused.promise]);
    // The owner's wake comes while every attempt still takes its room; the room returns only as the
    // outcomes are stored, and no wake() follows.
    admitAll = true;
    consumer.wake();
    routing.resolve();
    const records = await finalRecordsWithin10s(backend, events, 'refused events waited out their rest');
    expect(records.map((r) => r.status)).toEqual(events.map(() => 'SUCCEEDED'));
  });

  it('finishes on a surviving instance the events a dead one was holding back with canStart', async () => {
    const limit = 2;
    const events = Array.from({ length: 8 }, (_, n) =>
      makeEvent({ functionName: 'limited', payload: JSON.stringify({ n }), policy: SLOW_RETRY_POLICY }),
    );
    const doomed = await open();
    for (const event of events) await doomed.enqueue(event);
    const startedOnDoomed: string[] = [];
    let refusals = 0;
    const refusedEnough = deferred();
    consume(
      doomed,
      (claimed) => {
        startedOnDoomed.push(claimed.requestId);
        // Over-admitted: fail below rather than wait for refusals that may never come.
        if (startedOnDoomed.length > limit) refusedEnough.resolve();
        return new Promise<AttemptOutcome>(() => undefined); // the process dies mid-run
      },
      {
        concurrency: 8,
        blockedRetryMs: 10,
        canStart: () => {
          if (startedOnDoomed.length < limit) return true;
          refusals += 1;
          if (refusals === 3 * (events.length - limit)) refusedEnough.resolve();
          return false;
        },
      },
    );
    // Running ones, refused ones waiting to be offered again, and refused ones being put back.
    await refusedEnough.promise;
    await harness.crash(doomed);
    expect(startedOnDoomed).toHaveLength(limit);

    const survivor = await open();
    let running = 0;
    const ran: string[] = [];
    const overAdmitted = deferred();
    consume(
      survivor,
      async (claimed) => {
        running += 1;
        try {
          if (running > limit) {
            overAdmitted.resolve();
            return fail('over-admitted');
          }
          ran.push(claimed.requestId);
          await new Promise((resolve) => setTimeout(resolve, 20));
          return ok(JSON.parse(claimed.payload));
        } finally {
          running -= 1;
        }
      },
      { concurrency: 8, blockedRetryMs: 10, canStart: () => running < limit },
    );
    const records = await Promise.race([
      Promise.all(events.map((event) => finalRecord(survivor, event.requestId))),
      overAdmitted.promise.then(() => {
        throw new Error(`the survivor started more than ${limit} attempts at once`);
      }),
    ]);
    expect(records.map((r) => [r.status, r.attempts])).toEqual(events.map(() => ['SUCCEEDED', 1]));
    expect(records.map((r) => JSON.parse(r.result!).n)).toEqual(events.map((_, n) => n));
    expect(new Set(ran).size).toBe(events.length);
  });

  it('stores, lists, redrives and deletes dead letters', async () => {
    const backend = await open();
    const original = makeEvent({ functionName: 'payments', payload: '{"amount":5}' });
    const queued = await backend.enqueue(original);
    const letter = await backend.putDeadLetter({
      event: { ...original, acceptedAt: queued.createdAt },
      condition: 'RetriesExhausted',
      attempts: 3,
      // Not ASCII: sizes are UTF-8 bytes on both backends, not characters.
      error: { errorType: 'Error', errorMessage: 'card declined — café' },
      destinationRecord: '{"version":"1.0"}',
    });
    const other = await backend.putDeadLetter({
      id: 'fixed-id',
      event: { ...makeEvent({ functionName: 'mail' }), acceptedAt: Date.now() },
      condition: 'EventAgeExceeded',
      attempts: 0,
    });
    expect(other.id).toBe('fixed-id');
    expect(await backend.getDeadLetter(letter.id)).toEqual(letter);
    expect((await backend.listDeadLetters()).map((l) => l.id).sort()).toEqual([letter.id, 'fixed-id'].sort());
    expect((await backend.listDeadLetters({ functionName: 'payments' })).map((l) => l.id)).toEqual([letter.id]);
    // Sizes without the letters: the same ids in the same order, each its stored JSON's UTF-8 bytes.
    const listed = await backend.listDeadLetters();
    const bytesOf = (l: DeadLetter) => Buffer.byteLength(JSON.stringify(l));
    expect(await backend.deadLetterSizes()).toEqual(listed.map((l) => ({ id: l.id, bytes: bytesOf(l) })));
    expect(await backend.deadLetterSizes({ functionName: 'payments' })).toEqual([{ id: letter.id, bytes: bytesOf(letter) }]);
    expect(await backend.deadLetterSizes({ limit: 1 })).toEqual([{ id: listed[0]!.id, bytes: bytesOf(listed[0]!) }]);
    // Counted for the metrics without reading a letter.
    expect((await backend.stats()).deadLetters).toBe(2);

    const runs: ClaimedEvent[] = [];
    consume(backend, async (claimed) => {
      runs.push(claimed);
      return ok();
    });
    const redriven = await backend.redriveDeadLetter(letter.id);
    expect(redriven.id).not.toBe(original.requestId);
    expect(redriven).toMatchObject({ functionName: 'payments', attempts: 0 });
    const done = await finalRecord(backend, redriven.id);
    expect(done).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
    const rerun = runs.find((r) => r.requestId === redriven.id);
    expect(rerun).toMatchObject({ payload: '{"amount":5}', attempt: 1, functionName: 'payments' });
    expect(await backend.getDeadLetter(letter.id)).toBeUndefined();

    const missing = await backend.redriveDeadLetter('no-such-letter').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(DeadLetterNotFoundError);
    expect(missing).toMatchObject({ code: 'ResourceNotFoundException', message: 'Dead letter not found: no-such-letter' });
    expect(await backend.deleteDeadLetter('fixed-id')).toBe(true);
    expect(await backend.deleteDeadLetter('fixed-id')).toBe(false);
    expect(await backend.listDeadLetters()).toEqual([]);
    expect(await backend.deadLetterSizes()).toEqual([]);
    expect((await backend.stats()).deadLetters).toBe(0);
  });

  it('gives the ids and stored sizes of the records a listing would read, in its order, without reading them', async () => {
    const backend = await open();
    consume(backend, async () => ok('r'.repeat(50_000)), { canStart: (fn) => fn !== 'held' });
    const done = makeEvent();
    const waiting = makeEvent({ functionName: 'held' });
    await backend.enqueue(done);
    await finalRecord(backend, done.requestId);
    await backend.enqueue(waiting);
    for (const query of [{}, { functionName: 'echo' }, { status: 'QUEUED' as const }, { functionName: 'echo', status: 'SUCCEEDED' as const }, { limit: 1 }]) {
      expect((await backend.recordSizes(query)).map((s) => s.id)).toEqual((await backend.listRecords(query)).map((r) => r.id));
    }
    const sizes = new Map((await backend.recordSizes()).map((s) => [s.id, s.bytes]));
    // The result is counted: what a read of the finished record loads is far more than the queued one's.
    expect(sizes.get(done.requestId)).toBeGreaterThan(50_000);
    expect(sizes.get(waiting.requestId)).toBeLessThan(2_000);
    expect(await backend.recordSizes({ functionName: 'nobody' })).toEqual([]);
  });

  it('prunes final records past retention and keeps queued ones', async () => {
    const backend = await open();
    consume(backend, async () => ok(), { canStart: (fn) => fn !== 'held' });
    const done = makeEvent();
    await backend.enqueue(done);
    await finalRecord(backend, done.requestId);
    const held = makeEvent({ functionName: 'held' });
    await backend.enqueue(held);

    expect(await backend.pruneRecords()).toBe(0); // default retention: a day
    expect(await backend.pruneRecords({ before: Date.now() + 1 })).toBe(1);
    expect(await backend.getRecord(done.requestId)).toBeUndefined();
    expect(await backend.getRecord(held.requestId)).toMatchObject({ status: 'QUEUED' });
    expect((await backend.listRecords()).map((r) => r.id)).toEqual([held.requestId]);
  });

  it('closes gracefully: the running attempt finishes, the queued event waits for the next consumer', async () => {
    const backend = await open();
    const started = deferred<string>();
    const release = deferred();
    const first = consume(
      backend,
      async (claimed) => {
        started.resolve(claimed.requestId);
        await release.promise;
        return ok('first consumer');
      },
      { concurrency: 1 },
    );
    const a = makeEvent();
    const b = makeEvent();
    await backend.enqueue(a);
    const runningId = await started.promise;
    await backend.enqueue(b);
    const closing = first.close({ drainTimeoutMs: 10_000 });
    release.resolve();
    await closing;
    const waitingId = runningId === a.requestId ? b.requestId : a.requestId;
    expect(await backend.getRecord(runningId)).toMatchObject({ status: 'SUCCEEDED', result: JSON.stringify('first consumer') });
    expect(await backend.getRecord(waitingId)).toMatchObject({ status: 'QUEUED', attempts: 0 });

    consume(backend, async () => ok('second consumer'));
    expect(await finalRecord(backend, waitingId)).toMatchObject({ status: 'SUCCEEDED', result: JSON.stringify('second consumer') });
  });

  it('gives an unfinished attempt back after the drain timeout, aborting its signal', async () => {
    const backend = await open();
    const aborted = deferred<unknown>();
    const started = deferred();
    const first = consume(backend, (_claimed, signal) => {
      started.resolve();
      signal.addEventListener('abort', () => aborted.resolve(signal.reason));
      return new Promise<AttemptOutcome>(() => undefined); // never settles
    });
    const event = makeEvent();
    await backend.enqueue(event);
    await started.promise;
    await first.close({ drainTimeoutMs: 20 });
    expect(await aborted.promise).toBeInstanceOf(Error);
    expect(await backend.getRecord(event.requestId)).toMatchObject({ status: 'QUEUED' });

    const attempts: number[] = [];
    consume(backend, async (claimed) => {
      attempts.push(claimed.attempt);
      return ok();
    });
    expect(await finalRecord(backend, event.requestId)).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
    expect(attempts).toEqual([1]);
  });

  it('runs an event again after the process running it died', async () => {
    const doomed = await open();
    const started = deferred<ClaimedEvent>();
    consume(doomed, (claimed) => {
      started.resolve(claimed);
      return new Promise<AttemptOutcome>(() => undefined); // the process dies mid-run
    });
    const event = makeEvent();
    await doomed.enqueue(event);
    expect((await started.promise).requestId).toBe(event.requestId);
    await harness.crash(doomed);

    const survivor = await open();
    const rerun = deferred<ClaimedEvent>();
    consume(survivor, async (claimed) => {
      rerun.resolve(claimed);
      return ok('recovered');
    });
    const again = await rerun.promise;
    expect(again).toMatchObject({ requestId: event.requestId, attempt: 1, payload: event.payload });
    expect(await finalRecord(survivor, event.requestId)).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
  });

  it('shares the work between consumers of several backend instances', async () => {
    const one = await open();
    const two = await open();
    const ran = new Map<string, number>();
    const handler: EventHandler = async (claimed) => {
      ran.set(claimed.requestId, (ran.get(claimed.requestId) ?? 0) + 1);
      return ok();
    };
    consume(one, handler, { concurrency: 2 });
    consume(two, handler, { concurrency: 2 });
    const events = Array.from({ length: 20 }, () => makeEvent());
    for (const [i, event] of events.entries()) await (i % 2 ? one : two).enqueue(event);
    // The sqlite feed reports the changes its own instance made, so listen on both.
    await Promise.all(events.map((event) => Promise.race([finalRecord(one, event.requestId), finalRecord(two, event.requestId)])));
    expect([...ran.values()].every((n) => n === 1)).toBe(true);
    expect(ran.size).toBe(20);
  });

  it('runs an event again when its destination could not be reached, storing it final only once routed', async () => {
    const backend = await open();
    const attempts: number[] = [];
    const routed: number[] = [];
    consume(
      backend,
      async (claimed) => {
        attempts.push(claimed.attempt);
        return ok({ attempt: claimed.attempt });
      },
      {
        onFinal: async (final) => {
          const attempt = final.record.attempts;
          if (attempt === 1) throw new Error('destination unreachable');
          routed.push(attempt);
        },
      },
    );
    const event = makeEvent();
    await backend.enqueue(event);
    const record = await finalRecord(backend, event.requestId);
    expect(record).toMatchObject({ status: 'SUCCEEDED', attempts: 2, result: JSON.stringify({ attempt: 2 }) });
    expect(attempts).toEqual([1, 2]);
    expect(routed).toEqual([2]);
  });

  it('stores the outcome as it is when its destination fails on the last attempt', async () => {
    const backend = await open();
    const errors: unknown[] = [];
    const routings: string[] = [];
    consume(backend, async () => fail('always', false), {
      onFinal: async (final) => {
        routings.push(final.condition);
        throw new Error('destination unreachable');
      },
      onError: (error) => errors.push(error),
    });
    const event = makeEvent({ policy: { ...FAST_POLICY, maxRetries: 0 } });
    await backend.enqueue(event);
    expect(await finalRecord(backend, event.requestId)).toMatchObject({ status: 'FAILED', attempts: 1, error: { errorMessage: 'always' } });
    expect(routings).toEqual(['RetriesExhausted']);
    expect(errors).toContainEqual(expect.objectContaining({ message: 'destination unreachable' }));
  });

  it('closing waits for an outcome being routed instead of giving its event back to run twice', async () => {
    const backend = await open();
    const routing = deferred();
    const routed = deferred();
    const stuckStarted = deferred();
    let runs = 0;
    const first = consume(
      backend,
      (claimed, signal) => {
        if (claimed.functionName === 'stuck') {
          stuckStarted.resolve();
          // Aborted once the drain timed out: only then may the other event's routing end.
          signal.addEventListener('abort', () => routed.resolve());
          return new Promise<AttemptOutcome>(() => undefined);
        }
        runs += 1;
        return Promise.resolve(ok('done'));
      },
      {
        onFinal: async (final) => {
          if (final.event.functionName !== 'echo') return;
          routing.resolve();
          await routed.promise;
        },
      },
    );
    const stuck = makeEvent({ functionName: 'stuck' });
    const event = makeEvent();
    await backend.enqueue(stuck);
    await stuckStarted.promise;
    await backend.enqueue(event);
    await routing.promise;
    await first.close({ drainTimeoutMs: 300 });
    expect(await backend.getRecord(event.requestId)).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
    expect(await backend.getRecord(stuck.requestId)).toMatchObject({ status: 'QUEUED' });
    // The next consumer finds nothing of it to run again: a later event finishing proves it looked.
    consume(backend, async (claimed) => {
      if (claimed.requestId === event.requestId) runs += 1;
      return ok();
    });
    const later = makeEvent();
    await backend.enqueue(later);
    await finalRecord(backend, later.requestId);
    expect(runs).toBe(1);
  });

  it('closing gives up on a routing that never ends after a second drain period', async () => {
    const backend = await open();
    const routing = deferred();
    const never = deferred();
    onTestFinished(() => never.resolve());
    const errors: unknown[] = [];
    const first = consume(backend, async () => ok(), {
      onFinal: async () => {
        routing.resolve();
        await never.promise;
      },
      onError: (error) => errors.push(error),
    });
    await backend.enqueue(makeEvent());
    await routing.promise;
    const started = Date.now();
    await first.close({ drainTimeoutMs: 50 });
    const took = Date.now() - started;
    // Two drain periods (the attempts', then the routing's), not one and not for ever.
    expect(took).toBeGreaterThanOrEqual(95);
    expect(took).toBeLessThan(3000);
    if (harness.name === 'redis') expect(errors).toContainEqual(expect.objectContaining({ message: expect.stringMatching(/still routing their outcome/) }));
  });

  it('closing is bounded while an expired event\'s outcome is being routed', async () => {
    const backend = await open();
    const routing = deferred();
    const never = deferred();
    onTestFinished(() => never.resolve());
    const first = consume(backend, async () => ok(), {
      onFinal: async () => {
        routing.resolve();
        await never.promise;
      },
      onError: () => undefined,
    });
    await backend.enqueue(makeEvent({ policy: { ...FAST_POLICY, maxEventAgeSeconds: 0 } }));
    await routing.promise;
    const started = Date.now();
    await first.close({ drainTimeoutMs: 50 });
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('another consumer finishes an event whose routing outlived the close that gave up on it', async () => {
    const first = await open();
    const routing = deferred();
    const never = deferred();
    onTestFinished(() => never.resolve());
    const closing = consume(first, async () => ok('first'), {
      onFinal: async () => {
        routing.resolve();
        await never.promise;
      },
      onError: () => undefined,
    });
    const event = makeEvent();
    await first.enqueue(event);
    await routing.promise;
    await closing.close({ drainTimeoutMs: 50 });
    // The claim (lease or lock) lapses and a consumer of another instance takes the event.
    const second = await open();
    consume(second, async () => ok('second'));
    expect(await finalRecord(second, event.requestId)).toMatchObject({ status: 'SUCCEEDED', result: JSON.stringify('second') });
  });

  it('a second open of the same store leaves the claims of a running instance alone', async () => {
    const first = await open();
    const started = deferred();
    const release = deferred();
    let runs = 0;
    const event = makeEvent();
    // Started, and recorded as such (a backend may record RUNNING only once an attempt lasts).
    first.watchRecords((record) => {
      if (record.id === event.requestId && record.status === 'RUNNING') started.resolve();
    });
    consume(first, async () => {
      runs += 1;
      await release.promise;
      return ok('first');
    });
    await first.enqueue(event);
    await started.promise;
    const second = await open();
    consume(second, async () => {
      runs += 1;
      return ok('second');
    });
    expect(await second.getRecord(event.requestId)).toMatchObject({ status: 'RUNNING' });
    release.resolve();
    expect(await finalRecord(first, event.requestId)).toMatchObject({ status: 'SUCCEEDED', result: JSON.stringify('first') });
    // A later event through the second instance proves it had nothing of the first pending.
    const later = makeEvent();
    await second.enqueue(later);
    await Promise.race([finalRecord(first, later.requestId), finalRecord(second, later.requestId)]);
    expect(runs).toBe(2);
  });

  it('redrives a dead letter under the policy it is given, else under the one its event was accepted with', async () => {
    const backend = await open();
    const letterOf = async () => backend.putDeadLetter({
      event: { ...makeEvent({ functionName: 'payments', policy: { ...FAST_POLICY, maxRetries: 1 } }), acceptedAt: Date.now() },
      condition: 'RetriesExhausted',
      attempts: 2,
    });
    consume(backend, async () => fail('still declined'));
    const now = await backend.redriveDeadLetter((await letterOf()).id, { policy: { ...FAST_POLICY, maxRetries: 0 } });
    expect(await finalRecord(backend, now.id)).toMatchObject({ status: 'FAILED', attempts: 1 });
    const then = await backend.redriveDeadLetter((await letterOf()).id);
    expect(await finalRecord(backend, then.id)).toMatchObject({ status: 'FAILED', attempts: 2 });
  });

  it('redrives a dead letter once when two callers redrive it at the same time', async () => {
    const backend = await open();
    const letter = await backend.putDeadLetter({
      event: { ...makeEvent({ functionName: 'held' }), acceptedAt: Date.now() },
      condition: 'RetriesExhausted',
      attempts: 3,
    });
    const results = await Promise.allSettled([backend.redriveDeadLetter(letter.id), backend.redriveDeadLetter(letter.id)]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const refused = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(refused?.reason).toBeInstanceOf(DeadLetterNotFoundError);
    expect(await backend.listRecords({ functionName: 'held' })).toHaveLength(1);
    expect(await backend.getDeadLetter(letter.id)).toBeUndefined();
  });

  it('prunes dead letters past their retention and keeps the newer ones', async () => {
    const backend = await open();
    const event = { ...makeEvent({ functionName: 'payments' }), acceptedAt: Date.now() };
    const old = await backend.putDeadLetter({ event, condition: 'RetriesExhausted', attempts: 3 });
    expect(await backend.pruneDeadLetters()).toBe(0); // default retention: 14 days
    const cutoff = old.createdAt + 1;
    // Stored at or after the cutoff: kept.
    while (Date.now() < cutoff) await new Promise((resolve) => setImmediate(resolve));
    const recent = await backend.putDeadLetter({ event, condition: 'EventAgeExceeded', attempts: 0 });
    expect(await backend.pruneDeadLetters({ before: cutoff })).toBe(1);
    expect((await backend.listDeadLetters()).map((l) => l.id)).toEqual([recent.id]);
    expect((await backend.listDeadLetters({ functionName: 'payments' })).map((l) => l.id)).toEqual([recent.id]);
    expect(await backend.getDeadLetter(old.id)).toBeUndefined();
  });

  it('refuses a second dead letter with the same id and keeps the first', async () => {
    const backend = await open();
    const event = { ...makeEvent(), acceptedAt: Date.now() };
    const first = await backend.putDeadLetter({ id: 'same', event, condition: 'RetriesExhausted', attempts: 1 });
    const error = await backend.putDeadLetter({ id: 'same', event, condition: 'EventAgeExceeded', attempts: 0 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DuplicateRequestIdError);
    expect((error as Error).message).toMatch(/dead letter same already exists/);
    expect(await backend.getDeadLetter('same')).toEqual(first);
    expect(await backend.listDeadLetters()).toHaveLength(1);
  });

  it('refuses an event whose identity JSON cannot hold with a TypeError, storing nothing', async () => {
    const backend = await open();
    const event = makeEvent({ identity: { big: 1n } });
    await expect(backend.enqueue(event)).rejects.toBeInstanceOf(TypeError);
    expect(await backend.getRecord(event.requestId)).toBeUndefined();
  });

  it('rejects calls on a closed backend with BackendUnavailableError', async () => {
    const backend = await open();
    await backend.close();
    await backend.close(); // idempotent
    const error = await backend.enqueue(makeEvent()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendUnavailableError);
    expect(error).toMatchObject({ name: 'ServiceException', code: 'ServiceException' });
    // The size reads too, not only the writes.
    await expect(backend.recordSizes()).rejects.toBeInstanceOf(BackendUnavailableError);
    await expect(backend.deadLetterSizes()).rejects.toBeInstanceOf(BackendUnavailableError);
  });
});
