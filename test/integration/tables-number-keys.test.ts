/** Numeric sort keys sort numerically, as DynamoDB's N keys do — on both backends. */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { createHost, type Host } from '../../runtime/index.js';
import { numberKeyText } from '../../runtime/sources/pull/tables.js';
import { deleteRedisKeys } from '../support/delete-redis-keys.js';
import { tempDir } from '../support/temp-dir.js';

describe.each(['sqlite', 'redis'] as const)('tables with numeric sort keys (%s)', (backend) => {
  const state = tempDir();
  const prefix = `num-${randomUUID()}`;
  let host: Host;

  beforeAll(async () => {
    host = await createHost({
      config: { stateDir: state.path, backend, redisPrefix: prefix, tables: { readings: { partitionKey: 'sensor', sortKey: 'at' } } },
      rootDir: state.path,
    });
  });

  afterAll(async () => {
    try {
      await host?.close();
    } finally {
      state.remove();
      if (backend === 'redis') {
        const redis = new Redis('redis://127.0.0.1:6379');
        await deleteRedisKeys(redis, `${prefix}:*`);
        await redis.quit();
      }
    }
  });

  it('queries in numeric order and by numeric range; 1 and "1" are different keys', async () => {
    const tables = host.sources.tables;
    for (const at of [10, 2, -5, 1.5, 100]) await tables.put('readings', { sensor: 's1', at, v: at * 2 });
    await tables.put('readings', { sensor: 's1', at: '1', v: 'text key' });
    const numeric = (await tables.query('readings', { partitionKey: 's1' })).items.map((r) => r.item.at).filter((at) => typeof at === 'number');
    expect(numeric).toEqual([-5, 1.5, 2, 10, 100]);
    expect((await tables.query('readings', { partitionKey: 's1', from: 2, to: 10 })).items.map((r) => r.item.at)).toEqual([2, 10]);
    expect((await tables.get('readings', { sensor: 's1', at: 1 }))).toBeUndefined();
    expect((await tables.get('readings', { sensor: 's1', at: '1' }))?.item.v).toBe('text key');
    expect((await tables.get('readings', { sensor: 's1', at: 10 }))?.item.v).toBe(20);
  });

  it('keeps a string key spelling a number key apart from that number, in partition and sort keys', async () => {
    const tables = host.sources.tables;
    const forged = numberKeyText(5);
    await tables.put('readings', { sensor: 's2', at: 5, v: 'number' });
    expect(await tables.put('readings', { sensor: 's2', at: forged, v: 'string' })).toEqual({ version: 1 });
    await tables.put('readings', { sensor: forged, at: 5, v: 'string partition' });
    expect((await tables.get('readings', { sensor: 's2', at: 5 }))?.item.v).toBe('number');
    expect((await tables.get('readings', { sensor: 's2', at: forged }))?.item.v).toBe('string');
    expect((await tables.query('readings', { partitionKey: forged })).items.map((r) => r.item.v)).toEqual(['string partition']);
    // Numbers keep their order with the forged string among them.
    expect((await tables.query('readings', { partitionKey: 's2', from: 0, to: 10 })).items.map((r) => r.item.v)).toEqual(['number']);
  });
});
