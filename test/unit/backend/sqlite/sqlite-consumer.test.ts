import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { AttemptOutcome, ClaimedEvent } from '../../../../runtime/backend/index.js';
import { SqliteConsumer } from '../../../../runtime/backend/sqlite/sqlite-consumer.js';
import { SqliteStore } from '../../../../runtime/backend/sqlite/sqlite-store.js';
import { tempDir } from '../../../support/temp-dir.js';

const POLICY = { maxRetries: 0, retryDelaysMs: [], maxEventAgeSeconds: 21600 };
const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('SqliteConsumer', () => {
  it('stops the attempts a failed claim transaction started, so an event never runs twice at once', async () => {
    const dir = tempDir();
    const store = new SqliteStore(dir.path, 'NORMAL');
    cleanups.push(() => dir.remove(), () => store.close());
    for (const id of ['e1', 'e2']) {
      store.insertEvent({ requestId: id, functionName: 'f', payload: '{}', policy: POLICY, acceptedAt: Date.now() - 10 });
    }
    // The second claim of the first pass fails as a full disk would; the pass's transaction rolls back.
    let claims = 0;
    const failing = new Proxy(store, {
      get(target, key) {
        if (key === 'claim') {
          return (...args: Parameters<SqliteStore['claim']>) => {
            if (++claims === 2) throw Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' });
            return target.claim(...args);
          };
        }
        const value = Reflect.get(target, key) as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const aborted: string[] = [];
    const finished: string[] = [];
    const errors: unknown[] = [];
    const bothDone = deferred();
    const handler = async (claimed: ClaimedEvent, signal: AbortSignal): Promise<AttemptOutcome> => {
      // Each attempt waits a turn, so the failed pass's attempt is still running when it is stopped.
      await new Promise((resolve) => setImmediate(resolve));
      if (signal.aborted) {
        aborted.push(claimed.requestId);
        throw signal.reason;
      }
      finished.push(claimed.requestId);
      if (finished.length === 2) bothDone.resolve();
      return { ok: true, result: 'null' };
    };
    const consumer = new SqliteConsumer(
      { store: failing, owner: 'host-a', leaseMs: 30_000, pollIntervalMs: 20, maxStalledCount: 1, emit: () => undefined, onClosed: () => undefined },
      handler,
      { concurrency: 4, blockedRetryMs: 10, onError: (error) => errors.push(error) },
    );
    cleanups.push(() => consumer.close({ drainTimeoutMs: 1000 }));
    await bothDone.promise;
    await consumer.close({ drainTimeoutMs: 1000 });
    expect(aborted).toEqual(['e1']);
    expect(finished.sort()).toEqual(['e1', 'e2']);
    expect(errors).toHaveLength(1);
    expect(consumer.running).toBe(0);
    for (const id of ['e1', 'e2']) expect(store.get(id)).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
  });

  it('waits a poll interval after a claim pass that did not commit, and reports no claim it rolled back', async () => {
    const dir = tempDir();
    const store = new SqliteStore(dir.path, 'NORMAL');
    cleanups.push(() => dir.remove(), () => store.close());
    store.insertEvent({ requestId: 'e1', functionName: 'f', payload: '{}', policy: POLICY, acceptedAt: Date.now() - 10 });
    // Every claim pass fails at commit, as on a full disk: the claims roll back.
    const failing = new Proxy(store, {
      get(target, key) {
        if (key === 'transaction') {
          return (fn: () => unknown) => target.transaction(() => {
            fn();
            throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
          });
        }
        const value = Reflect.get(target, key) as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const pollIntervalMs = 200;
    let starts = 0;
    const failedAt: number[] = [];
    const twoFailures = deferred();
    const emitted: string[] = [];
    const consumer = new SqliteConsumer(
      { store: failing, owner: 'host-a', leaseMs: 30_000, pollIntervalMs, maxStalledCount: 1, emit: (row) => emitted.push(row.status), onClosed: () => undefined },
      // Stopped at once when its claim is rolled back; its end wakes the consumer, which must not pump again at once.
      (_claimed, signal) => {
        starts++;
        return new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
      },
      {
        concurrency: 4,
        blockedRetryMs: 1,
        onError: () => {
          failedAt.push(performance.now());
          if (failedAt.length === 2) twoFailures.resolve();
        },
      },
    );
    cleanups.push(() => consumer.close({ drainTimeoutMs: 1000 }));
    consumer.wake();
    await twoFailures.promise;
    await consumer.close({ drainTimeoutMs: 1000 });
    expect(failedAt[1]! - failedAt[0]!).toBeGreaterThanOrEqual(pollIntervalMs - 5);
    expect(starts).toBe(2);
    expect(emitted).not.toContain('RUNNING');
    expect(store.get('e1')).toMatchObject({ status: 'QUEUED', attempts: 0 });
  });
  it('does not run an event beside itself when its own lease lapsed, and the stale attempt\'s outcome is not kept', async () => {
    const dir = tempDir();
    const store = new SqliteStore(dir.path, 'NORMAL');
    cleanups.push(() => dir.remove(), () => store.close());
    store.insertEvent({ requestId: 'e1', functionName: 'f', payload: '{}', policy: POLICY, acceptedAt: Date.now() - 10 });
    const firstStarted = deferred();
    const releaseFirst = deferred();
    const requeued = deferred();
    const succeeded = deferred();
    let calls = 0;
    let running = 0;
    let mostAtOnce = 0;
    const consumer = new SqliteConsumer(
      {
        store, owner: 'host-a', leaseMs: 60_000, pollIntervalMs: 1, maxStalledCount: 5, onClosed: () => undefined,
        emit: (row) => {
          if (row.status === 'QUEUED') requeued.resolve();
          if (row.status === 'SUCCEEDED') succeeded.resolve();
        },
      },
      async () => {
        const call = ++calls;
        running++;
        mostAtOnce = Math.max(mostAtOnce, running);
        try {
          if (call === 1) {
            firstStarted.resolve();
            await releaseFirst.promise;
            return { ok: true, result: JSON.stringify('stale') };
          }
          return { ok: true, result: JSON.stringify('fresh') };
        } finally {
          running--;
        }
      },
      { concurrency: 4, blockedRetryMs: 1, onError: () => undefined },
    );
    cleanups.push(() => consumer.close({ drainTimeoutMs: 1000 }));
    await firstStarted.promise;
    // The lease lapses as if this process's event loop had stalled past it; the next pass puts the event back.
    const raw = new Database(join(dir.path, 'neolith.db'));
    raw.prepare(`UPDATE invocations SET lease_until = 1 WHERE id = 'e1'`).run();
    raw.close();
    consumer.wake();
    await requeued.promise;
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls).toBe(1);
    releaseFirst.resolve();
    await succeeded.promise;
    expect(mostAtOnce).toBe(1);
    expect(calls).toBe(2);
    expect(store.get('e1')).toMatchObject({ status: 'SUCCEEDED', result: JSON.stringify('fresh') });
  });

  it('lets the lease of an attempt whose final write failed lapse while other attempts keep running', async () => {
    const dir = tempDir();
    const store = new SqliteStore(dir.path, 'NORMAL');
    cleanups.push(() => dir.remove(), () => store.close());
    for (const id of ['e1', 'e2']) {
      store.insertEvent({ requestId: id, functionName: id, payload: '{}', policy: POLICY, acceptedAt: Date.now() - 10 });
    }
    let finishFailures = 0;
    const failingOnce = new Proxy(store, {
      get(target, key) {
        if (key === 'finish') {
          return (...args: Parameters<SqliteStore['finish']>) => {
            if (args[0] === 'e1' && finishFailures++ === 0) throw Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' });
            return target.finish(...args);
          };
        }
        const value = Reflect.get(target, key) as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const e1Runs: number[] = [];
    const rerun = deferred();
    // A lease long enough that a loaded machine's stalls cannot lapse e2's, short enough to wait for e1's.
    const consumer = new SqliteConsumer(
      { store: failingOnce, owner: 'host-a', leaseMs: 1500, pollIntervalMs: 5, maxStalledCount: 5, emit: () => undefined, onClosed: () => undefined },
      async (claimed) => {
        if (claimed.requestId === 'e1') {
          e1Runs.push(claimed.attempt);
          if (e1Runs.length === 2) rerun.resolve();
          return { ok: true, result: JSON.stringify(e1Runs.length) };
        }
        // e2 keeps this consumer busy (renewing leases) until e1 was taken back and run again.
        await rerun.promise;
        return { ok: true, result: 'null' };
      },
      { concurrency: 4, blockedRetryMs: 1, onError: () => undefined },
    );
    cleanups.push(() => consumer.close({ drainTimeoutMs: 1000 }));
    await rerun.promise;
    await consumer.close({ drainTimeoutMs: 1000 });
    expect(e1Runs).toEqual([1, 1]);
    expect(store.get('e1')).toMatchObject({ status: 'SUCCEEDED', result: JSON.stringify(2), stalls: 1 });
    expect(store.get('e2')).toMatchObject({ status: 'SUCCEEDED' });
  });
});
