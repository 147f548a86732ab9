import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import type { InvocationRecord } from '../../../../runtime/backend/index.js';
import { RedisKeys } from '../../../../runtime/backend/redis/redis-keys.js';
import { RedisRecords } from '../../../../runtime/backend/redis/redis-records.js';
import { deleteRedisKeys } from '../../../support/delete-redis-keys.js';

const prefix = `neolith-test-${randomUUID()}`;
const redis = new Redis('redis://127.0.0.1:6379');

afterAll(async () => {
  await deleteRedisKeys(redis, `${prefix}:*`);
  redis.disconnect();
});

function record(n: number, functionName: string, status: InvocationRecord['status']): InvocationRecord {
  return { id: `r${n}`, functionName, status, attempts: 1, createdAt: 1_000_000 + n, updatedAt: 1_000_000 + n };
}

describe('RedisRecords.list', () => {
  it('finds a rare status among many records of a function, however far back, newest first', async () => {
    const records = new RedisRecords(redis, new RedisKeys(prefix));
    const writes: Promise<unknown>[] = [records.create(record(0, 'busy', 'FAILED')), records.create(record(1, 'busy', 'FAILED'))];
    // More succeeded records of the same function than one listing used to look through (10,000).
    for (let n = 2; n < 12_002; n++) writes.push(records.create(record(n, 'busy', 'SUCCEEDED')));
    writes.push(records.create(record(20_000, 'quiet', 'FAILED')));
    await Promise.all(writes);

    expect((await records.list({ functionName: 'busy', status: 'FAILED' }, 10)).map((r) => r.id)).toEqual(['r1', 'r0']);
    expect((await records.list({ functionName: 'busy', status: 'FAILED' }, 1)).map((r) => r.id)).toEqual(['r1']);
    // The other way round: the function index is the smaller one.
    expect((await records.list({ functionName: 'quiet', status: 'FAILED' }, 10)).map((r) => r.id)).toEqual(['r20000']);
    expect(await records.list({ functionName: 'quiet', status: 'SUCCEEDED' }, 10)).toEqual([]);
    expect((await records.list({ functionName: 'busy', status: 'SUCCEEDED' }, 3)).map((r) => r.id)).toEqual(['r12001', 'r12000', 'r11999']);
  });
  it('lists each record once while the walked index changes between pages', async () => {
    const keys = new RedisKeys(`${prefix}:paging`);
    const writer = new RedisRecords(redis, keys);
    const writes: Promise<unknown>[] = [];
    // FAILED records of 'f' and 'g' interleaved, and more records of 'f' than FAILED has entries: the
    // listing walks the FAILED index, 1,000 a page, and needs a second page.
    let failedOfF = 0;
    for (let n = 0; n < 3700; n++) {
      const fn = n >= 1700 || n % 17 < 7 ? 'f' : 'g';
      const status = n < 1700 ? 'FAILED' : 'SUCCEEDED';
      if (fn === 'f' && status === 'FAILED') failedOfF++;
      writes.push(writer.create(record(n, fn, status)));
    }
    await Promise.all(writes);
    let injected = false;
    // Newer FAILED records of another function land right after the first page is read: ranks shift by 20.
    const shifting = new Proxy(redis, {
      get(target, key) {
        if (key === 'zrevrange') {
          return async (...args: Parameters<Redis['zrevrange']>) => {
            const page = await target.zrevrange(...args);
            if (!injected) {
              injected = true;
              await Promise.all(Array.from({ length: 20 }, (_, i) => writer.create(record(5000 + i, 'other', 'FAILED'))));
            }
            return page;
          };
        }
        const value = Reflect.get(target, key) as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const listed = await new RedisRecords(shifting, keys).list({ functionName: 'f', status: 'FAILED' }, 1000);
    expect(injected).toBe(true); // the listing did page through zrevrange, so the shift happened
    expect(new Set(listed.map((r) => r.id)).size).toBe(listed.length);
    expect(listed).toHaveLength(failedOfF);
  });
});
