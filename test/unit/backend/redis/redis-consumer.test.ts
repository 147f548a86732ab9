import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createBackend, type AsyncEvent, type Backend, type AttemptOutcome, type FinalEvent, type InvocationRecord } from '../../../../runtime/backend/index.js';
import { RUNNING_RECORD_AFTER_MS, workerSlots } from '../../../../runtime/backend/redis/redis-consumer.js';
import { RedisBackend } from '../../../../runtime/backend/redis/redis-backend.js';
// The copy of bullmq the consumer builds its workers from (its spies must be on that one).
import { bullmq } from '../../../../runtime/backend/redis/redis-packages.js';
import { RedisKeys } from '../../../../runtime/backend/redis/redis-keys.js';
import { RedisRecords } from '../../../../runtime/backend/redis/redis-records.js';
import { deleteRedisKeys } from '../../../support/delete-redis-keys.js';
import { PrivateRedis } from '../../../support/private-redis.js';

const prefix = `neolith-test-${randomUUID()}`;
const admin = new Redis('redis://127.0.0.1:6379');
const backend = createBackend({ kind: 'redis', prefix });

afterAll(async () => {
  await backend.close();
  await deleteRedisKeys(admin, `${prefix}:*`);
  admin.disconnect();
});

const POLICY = { maxRetries: 1, retryDelaysMs: [5], maxEventAgeSeconds: 3600 };
const event = (): AsyncEvent => ({ requestId: randomUUID(), functionName: 'fast', payload: '{}', policy: POLICY });

/** Every change of one record, until it is final. */
function changesUntilFinal(id: string): Promise<InvocationRecord[]> {
  return new Promise((resolve) => {
    const seen: InvocationRecord[] = [];
    const stop = backend.watchRecords((record) => {
      if (record.id !== id) return;
      seen.push(record);
      if (record.status === 'SUCCEEDED' || record.status === 'FAILED') {
        stop();
        resolve(seen);
      }
    });
  });
}

describe('RedisConsumer records', () => {
  it('an attempt over before RUNNING would be recorded goes from QUEUED to its outcome, routed with a whole record', async () => {
    await backend.waitUntilReady();
    const finals: FinalEvent[] = [];
    const attempts: number[] = [];
    const consumer = backend.consume(
      async (claimed): Promise<AttemptOutcome> => {
        attempts.push(claimed.attempt);
        return claimed.attempt === 1
          ? { ok: false, retryable: true, error: { errorType: 'Error', errorMessage: 'first try' } }
          : { ok: true, result: '"done"' };
      },
      { concurrency: 2, onFinal: async (final) => void finals.push(final), onError: (error) => { throw error; } },
    );
    try {
      const queued = event();
      const changes = changesUntilFinal(queued.requestId);
      await backend.enqueue(queued);
      // No RUNNING write for either attempt: one script call and one change message fewer each.
      expect((await changes).map((c) => `${c.status}/${c.attempts}`)).toEqual(['QUEUED/0', 'QUEUED/1', 'SUCCEEDED/2']);
      expect(attempts).toEqual([1, 2]);
      expect(finals).toHaveLength(1);
      expect(finals[0]!.record).toMatchObject({
        id: queued.requestId, functionName: 'fast', status: 'SUCCEEDED', attempts: 2, result: '"done"', createdAt: expect.any(Number),
      });
      expect(await backend.getRecord(queued.requestId)).toMatchObject({ status: 'SUCCEEDED', attempts: 2, result: '"done"' });
    } finally {
      await consumer.close();
    }
  });

  it('routes a fast first attempt with the record as stored', async () => {
    const finals: FinalEvent[] = [];
    const consumer = backend.consume(async () => ({ ok: true, result: '"fast"' }), {
      concurrency: 1, onFinal: async (final) => void finals.push(final), onError: (error) => { throw error; },
    });
    try {
      const queued = { ...event(), job: 'orders/placeOrder', identity: { sub: 'ann' } };
      const changes = changesUntilFinal(queued.requestId);
      await backend.enqueue(queued);
      expect((await changes).map((c) => c.status)).toEqual(['QUEUED', 'SUCCEEDED']);
      expect(finals).toHaveLength(1);
      expect(finals[0]!.record).toEqual(await backend.getRecord(queued.requestId));
    } finally {
      await consumer.close();
    }
  });

  it('reads the record again before routing an attempt that held the event loop past the RUNNING delay', async () => {
    // Another host that took the event over (its lock lapsed) and finished it while this one was held.
    const otherHost = new RedisRecords(admin, new RedisKeys(prefix));
    const finals: FinalEvent[] = [];
    const consumer = backend.consume(
      async (claimed): Promise<AttemptOutcome> => {
        await otherHost.patch(
          { id: claimed.requestId, functionName: claimed.functionName, createdAt: claimed.acceptedAt },
          { status: 'SUCCEEDED', attempts: 1, updatedAt: Date.now(), result: '"elsewhere"' },
        );
        // Held: the RUNNING timer cannot fire, though its time passes.
        const until = performance.now() + 3 * RUNNING_RECORD_AFTER_MS;
        while (performance.now() < until) { /* a blocked event loop */ }
        return { ok: true, result: '"here"' };
      },
      { concurrency: 1, onFinal: async (final) => void finals.push(final), onError: (error) => { throw error; } },
    );
    try {
      const queued = event();
      const changes = changesUntilFinal(queued.requestId);
      await backend.enqueue(queued);
      expect((await changes).at(-1)).toMatchObject({ status: 'SUCCEEDED', result: '"elsewhere"' });
      // The attempt's own outcome is neither routed (the other host did) nor stored; the job completes.
      await consumer.close();
      expect(finals).toEqual([]);
      expect(await backend.getRecord(queued.requestId)).toMatchObject({ status: 'SUCCEEDED', result: '"elsewhere"' });
    } finally {
      await consumer.close();
    }
  });
});

describe('RedisConsumer holding events back', () => {
  it('holds a backlog in its slots and, as each attempt ends, asks only the oldest held event of the function', async () => {
    const backlog = 30;
    let running = 0;
    let asked = 0;
    let peak = 0;
    let allFinished!: () => void;
    const finished = new Promise<void>((resolve) => (allFinished = resolve));
    let done = 0;
    const consumer = backend.consume(
      async (): Promise<AttemptOutcome> => {
        running += 1;
        peak = Math.max(peak, running);
        await new Promise((resolve) => setImmediate(resolve));
        running -= 1;
        // As the dispatcher does when an attempt ends.
        consumer.wake();
        return { ok: true, result: 'null' };
      },
      {
        // Room to hold the whole backlog besides the slots kept free to fetch (an eighth); no timer wakes within the test.
        concurrency: backlog + 10,
        blockedRetryMs: 60_000,
        canStart: () => {
          asked += 1;
          return running < 1;
        },
        onFinal: async () => {
          if (++done === backlog) allFinished();
        },
        onError: (error) => { throw error; },
      },
    );
    try {
      await consumer.waitUntilReady();
      await Promise.all(Array.from({ length: backlog }, () => backend.enqueue({ ...event(), functionName: 'limited' })));
      // A put-back would come again only after blockedRetryMs (a minute): finishing shows none was.
      await finished;
      expect(peak).toBe(1);
      // Each event: asked once when fetched, once when picked by wake(), and about once more when
      // the event before it starts and wakes the next. Waking every held event at each end asks ~n²/2.
      expect(asked).toBeLessThanOrEqual(4 * backlog);
    } finally {
      await consumer.close();
    }
  });

  it('starts held events in the order they were held, however often wake() is called', async () => {
    const backlog = 20;
    const keys = new RedisKeys(prefix);
    const activeList = `${keys.bullPrefix}:${keys.queueName}:active`;
    let running = 0;
    // The order events reach the consumer (and are held): its workers fetch side by side, so it
    // need not be the order they were queued in.
    const reached: string[] = [];
    const workers = bullmq().Worker.prototype as unknown as { callProcessJob(job: { data: { requestId: string } }, ...rest: unknown[]): unknown };
    const callProcessJob = workers.callProcessJob;
    const entries = vi.spyOn(workers, 'callProcessJob').mockImplementation(function (this: unknown, job, ...rest) {
      reached.push(job.data.requestId);
      return callProcessJob.call(this, job, ...rest);
    });
    const started: string[] = [];
    let allFinished!: () => void;
    const finished = new Promise<void>((resolve) => (allFinished = resolve));
    let done = 0;
    const consumer = backend.consume(
      async (claimed): Promise<AttemptOutcome> => {
        running += 1;
        started.push(claimed.requestId);
        // The first holds its slot until the whole backlog is fetched (and so held, in that order).
        if (started.length === 1) while ((await admin.llen(activeList)) < backlog) await new Promise((resolve) => setImmediate(resolve));
        await new Promise((resolve) => setImmediate(resolve));
        running -= 1;
        // Two wake-ups for one free slot: the second must not let a younger event overtake.
        consumer.wake();
        consumer.wake();
        return { ok: true, result: 'null' };
      },
      {
        concurrency: backlog + 10,
        blockedRetryMs: 60_000,
        canStart: () => running < 1,
        onFinal: async () => {
          if (++done === backlog) allFinished();
        },
        onError: (error) => { throw error; },
      },
    );
    try {
      await consumer.waitUntilReady();
      const events = Array.from({ length: backlog }, () => ({ ...event(), functionName: 'ordered' }));
      for (const queued of events) await backend.enqueue(queued);
      await finished;
      // They start in the order they reached the consumer and were held.
      expect(reached).toHaveLength(backlog);
      expect(started).toEqual(reached);
    } finally {
      entries.mockRestore();
      await consumer.close();
    }
  });

  it('keeps a slot fetching while one function\'s backlog fills the rest, so other functions still run', async () => {
    let otherRan = false;
    const consumer = backend.consume(
      async (claimed): Promise<AttemptOutcome> => {
        if (claimed.functionName === 'other') otherRan = true;
        return { ok: true, result: 'null' };
      },
      { concurrency: 4, blockedRetryMs: 5, canStart: (functionName) => functionName !== 'busy', onError: (error) => { throw error; } },
    );
    try {
      const busy = Array.from({ length: 10 }, () => ({ ...event(), functionName: 'busy' }));
      for (const queued of busy) await backend.enqueue(queued);
      const other = { ...event(), functionName: 'other' };
      const changes = changesUntilFinal(other.requestId);
      await backend.enqueue(other);
      expect((await changes).at(-1)).toMatchObject({ status: 'SUCCEEDED' });
      expect(otherRan).toBe(true);
      for (const queued of busy) expect(await backend.getRecord(queued.requestId)).toMatchObject({ status: 'QUEUED', attempts: 0 });
    } finally {
      await consumer.close({ drainTimeoutMs: 1000 });
    }
  });

  it('ends a put-back slot\'s rest when closed, and leaves the event queued', async () => {
    let refused!: () => void;
    const wasRefused = new Promise<void>((resolve) => (refused = resolve));
    const consumer = backend.consume(async () => ({ ok: true, result: 'null' }), {
      // One slot: nothing can be held, so the refused event is put back after a rest of a minute.
      concurrency: 1,
      blockedRetryMs: 60_000,
      canStart: () => {
        refused();
        return false;
      },
      onError: (error) => { throw error; },
    });
    const queued = { ...event(), functionName: 'refused' };
    await backend.enqueue(queued);
    await wasRefused;
    const closedAt = performance.now();
    await consumer.close();
    // Well short of the minute's rest (the test's own timeout would end it first anyway).
    expect(performance.now() - closedAt).toBeLessThan(5000);
    expect(await backend.getRecord(queued.requestId)).toMatchObject({ status: 'QUEUED', attempts: 0 });
  });
});

/** Backends on a queue of their own (no other test's events in it), its keys deleted after `use`. */
async function onOwnQueue<T>(options: Array<{ lockDurationMs?: number; stalledIntervalMs?: number }>, use: (backends: Backend[], prefix: string) => Promise<T>): Promise<T> {
  const own = `neolith-test-${randomUUID()}`;
  const backends = options.map((extra) => createBackend({ kind: 'redis', prefix: own, ...extra }));
  try {
    return await use(backends, own);
  } finally {
    await Promise.all(backends.map((b) => b.close()));
    await deleteRedisKeys(admin, `${own}:*`);
  }
}

describe('RedisConsumer reading a held event\'s record again', () => {
  const policy = { maxRetries: 0, retryDelaysMs: [], maxEventAgeSeconds: 3600 };

  it('routes an event held briefly (its lock still the one taken with it) without reading its record again', () => onOwnQueue([{}], async ([backend]) => {
    const reads = vi.spyOn(RedisRecords.prototype, 'get');
    let releaseFirst!: () => void;
    const firstHeld = new Promise<void>((resolve) => (releaseFirst = resolve));
    let firstRuns!: () => void;
    const firstRunning = new Promise<void>((resolve) => (firstRuns = resolve));
    let running = 0;
    let heldOne!: () => void;
    const secondIsHeld = new Promise<void>((resolve) => (heldOne = resolve));
    const finals: string[] = [];
    let bothFinal!: () => void;
    const finished = new Promise<void>((resolve) => (bothFinal = resolve));
    const [first, second] = [{ ...event(), functionName: 'brief', policy }, { ...event(), functionName: 'brief', policy }];
    const consumer = backend!.consume(
      async (claimed): Promise<AttemptOutcome> => {
        running += 1;
        if (claimed.requestId === first.requestId) {
          firstRuns();
          await firstHeld;
        }
        running -= 1;
        consumer.wake();
        return { ok: true, result: 'null' };
      },
      {
        concurrency: 4,
        canStart: () => {
          if (running > 0) heldOne();
          return running === 0;
        },
        onFinal: async (final) => {
          finals.push(final.event.requestId);
          if (finals.length === 2) bothFinal();
        },
        onError: (error) => { throw error; },
      },
    );
    try {
      await backend!.enqueue(first);
      // Queued once the first runs: the workers fetch side by side, and the second could start first.
      await firstRunning;
      await backend!.enqueue(second);
      await secondIsHeld;
      // Held well past the RUNNING delay, which used to count the hold too.
      await delay(5 * RUNNING_RECORD_AFTER_MS);
      releaseFirst();
      await finished;
      expect(finals).toEqual([first.requestId, second.requestId]);
      expect(reads).not.toHaveBeenCalled();
    } finally {
      reads.mockRestore();
      await consumer.close();
    }
  }));

  it('reads it again before routing an event held past half its lock\'s time (the lock lives on renewals only, which BullMQ may not have seen fail)', () => onOwnQueue([{ lockDurationMs: 400 }], async ([backend]) => {
    const reads = vi.spyOn(RedisRecords.prototype, 'get');
    let mayStart = false;
    let isHeld!: () => void;
    const held = new Promise<void>((resolve) => (isHeld = resolve));
    let routed!: (id: string) => void;
    const final = new Promise<string>((resolve) => (routed = resolve));
    const queued: AsyncEvent = { ...event(), functionName: 'long-held', policy };
    const consumer = backend!.consume(async () => ({ ok: true, result: 'null' }), {
      concurrency: 4,
      blockedRetryMs: 60_000,
      canStart: () => {
        if (!mayStart) isHeld();
        return mayStart;
      },
      onFinal: async (done) => routed(done.event.requestId),
      onError: (error) => { throw error; },
    });
    try {
      await backend!.enqueue(queued);
      await held;
      // Past half of the 400 ms lock since the event was fetched.
      await delay(250);
      mayStart = true;
      consumer.wake();
      expect(await final).toBe(queued.requestId);
      expect(reads.mock.calls.map(([id]) => id)).toEqual([queued.requestId]);
    } finally {
      reads.mockRestore();
      await consumer.close();
    }
  }));
});

describe('RedisConsumer fetching', () => {
  it('splits its slots among at most 8 BullMQ workers, as evenly as can be', () => {
    expect(workerSlots(64)).toEqual([8, 8, 8, 8, 8, 8, 8, 8]);
    expect(workerSlots(10)).toEqual([2, 2, 1, 1, 1, 1, 1, 1]);
    expect(workerSlots(3)).toEqual([1, 1, 1]);
    expect(workerSlots(1)).toEqual([1]);
    expect(workerSlots(100).reduce((a, b) => a + b)).toBe(100);
  });

  it('starts the first event of a queued burst after a few fetches, not after one fetch for every slot', () => onOwnQueue([{}], async ([backend]) => {
    // Each fetch made slow, as on a host busy accepting the burst. A worker fills all its free
    // slots one fetch at a time before it starts a job: one worker of 64 slots started nothing
    // for 64 fetches (~1,280 ms here); workers of 8 slots fill side by side (~160 ms).
    const FETCH_MS = 20;
    // BullMQ's fetch (protected: the worker's own).
    const workers = bullmq().Worker.prototype as unknown as { moveToActive(...args: unknown[]): Promise<unknown> };
    const moveToActive = workers.moveToActive;
    // From the first fetch: connecting the workers' connections is not what is measured.
    let firstFetch: number | undefined;
    const slowFetch = vi.spyOn(workers, 'moveToActive').mockImplementation(async function (this: unknown, ...args: unknown[]) {
      firstFetch ??= performance.now();
      await delay(FETCH_MS);
      return moveToActive.apply(this, args);
    });
    const burst = Array.from({ length: 80 }, () => ({ ...event(), functionName: 'burst' }));
    for (const queued of burst) await backend!.enqueue(queued);
    let firstStart: number | undefined;
    let finished = 0;
    let allFinished!: () => void;
    const done = new Promise<void>((resolve) => (allFinished = resolve));
    const consumer = backend!.consume(
      async () => {
        firstStart ??= performance.now();
        return { ok: true, result: 'null' };
      },
      {
        concurrency: 64,
        onFinal: async () => {
          if (++finished === burst.length) allFinished();
        },
        onError: (error) => { throw error; },
      },
    );
    try {
      await done;
      expect(firstStart! - firstFetch!).toBeLessThan(32 * FETCH_MS);
    } finally {
      slowFetch.mockRestore();
      await consumer.close();
    }
  }));
});

describe('RedisConsumer in a Redis outage', () => {
  it('reports it once, not once for each of its workers\' connections', async () => {
    const redis = await PrivateRedis.start();
    const backend = new RedisBackend({ kind: 'redis', prefix: 'outage', redisUrl: redis.url });
    const errors: string[] = [];
    let first!: () => void;
    const reported = new Promise<void>((resolve) => (first = resolve));
    try {
      await backend.waitUntilReady();
      const consumer = backend.consume(async () => ({ ok: true, result: 'null' }), {
        concurrency: 64,
        onError: (error) => {
          errors.push((error as Error).message);
          first();
        },
      });
      await consumer.waitUntilReady();
      await redis.kill();
      await reported;
      // Sixteen connections refused, each retrying: within this window they say the same thing many times.
      await delay(300);
      expect(errors[0]).toMatch(/ECONNREFUSED|ECONNRESET/);
      // Each thing said once (the connections may also disagree on what they saw first).
      expect(errors).toEqual([...new Set(errors)]);
    } finally {
      await backend.close();
      await redis.kill();
    }
  });

  it('closes within its drain time and a grace, saying so, when Redis stops answering (BullMQ\'s own close waited for it forever)', async () => {
    const redis = await PrivateRedis.start();
    const backend = new RedisBackend({ kind: 'redis', prefix: 'outage', redisUrl: redis.url, commandTimeoutMs: 300 });
    const errors: string[] = [];
    try {
      await backend.waitUntilReady();
      const consumer = backend.consume(async () => ({ ok: true, result: 'null' }), {
        concurrency: 16,
        onError: (error) => errors.push((error as Error).message),
      });
      await consumer.waitUntilReady();
      // The workers' fetches are out: a frozen Redis never answers them.
      redis.freeze();
      const closing = performance.now();
      await consumer.close({ drainTimeoutMs: 100 });
      // The drain time (100 ms), then a second for BullMQ's close, then the workers are stopped.
      expect(performance.now() - closing).toBeLessThan(3500);
      expect(errors.at(-1)).toMatch(/^closed without Redis answering within 1000 ms: the workers' connections and timers were dropped/);
    } finally {
      await redis.kill();
      await backend.close();
    }
  });
});
