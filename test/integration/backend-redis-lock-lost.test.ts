/**
 * The Redis backend holds in process a job whose function has no room
 * (canStart refuses) until an attempt ends. BullMQ renews the job's lock
 * meanwhile; when that fails (Redis lost the key, the event loop stalled past
 * the lock), the job may already be another worker's, so it must be let go,
 * never run later on a lock it no longer has.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, expect, it } from 'vitest';
import { createBackend, type AttemptOutcome } from '../../runtime/backend/index.js';
import { RedisKeys } from '../../runtime/backend/redis/redis-keys.js';
import { deleteRedisKeys } from '../support/delete-redis-keys.js';

const REDIS_URL = 'redis://127.0.0.1:6379';
const prefix = `neolith-test-${randomUUID()}`;
const admin = new Redis(REDIS_URL);

afterAll(async () => {
  await deleteRedisKeys(admin, `${prefix}*`);
  await admin.quit();
});

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

it('lets go of a held job whose lock could not be renewed instead of running it later', async () => {
  // Short locks (renewed every ~100 ms); no stalled check during the test, so nothing else takes the job.
  const backend = createBackend({ kind: 'redis', redisUrl: REDIS_URL, prefix, lockDurationMs: 400, stalledIntervalMs: 600_000 });
  await backend.waitUntilReady();
  const asked = deferred();
  const renewalFailed = deferred();
  const letGo = deferred();
  let handlerCalls = 0;
  const consumer = backend.consume(
    async (): Promise<AttemptOutcome> => {
      handlerCalls++;
      return { ok: true, result: 'null' };
    },
    {
      concurrency: 4,
      blockedRetryMs: 20,
      // The function has no room: the job is held (re-asked every 20 ms).
      canStart: () => {
        asked.resolve();
        return false;
      },
      onError: (error) => {
        const message = (error as Error).message;
        if (message.includes('could not renew lock')) renewalFailed.resolve();
        // Letting go: BullMQ's move of the job fails on the missing lock.
        if (message.includes('Missing lock')) letGo.resolve();
      },
    },
  );
  try {
    await consumer.waitUntilReady();
    const event = { requestId: randomUUID(), functionName: 'f', payload: '{}', policy: { maxRetries: 2, retryDelaysMs: [1000, 1000], maxEventAgeSeconds: 3600 } };
    await backend.enqueue(event);
    await asked.promise;
    const keys = new RedisKeys(prefix);
    expect(await admin.del(`${keys.bullPrefix}:${keys.queueName}:${keys.jobId(event.requestId)}:lock`)).toBe(1);
    await renewalFailed.promise;
    await letGo.promise;
    expect(handlerCalls).toBe(0);
    expect(await backend.getRecord(event.requestId)).toMatchObject({ status: 'QUEUED', attempts: 0 });
  } finally {
    await consumer.close({ drainTimeoutMs: 1000 });
    await backend.close();
  }
});
