/**
 * Event source mappings made through one host's API reach the other hosts on
 * the same Redis: each takes in creations, updates and deletions (on a timer;
 * here by calling `reconcile()`, so nothing waits for a timer).
 */
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createHost, type Host } from '../../runtime/index.js';
import { tempDir } from '../support/temp-dir.js';

const handlers = resolve(import.meta.dirname, '../fixtures/handlers');
const prefix = `test-${randomUUID()}`;
const dirs = [tempDir(), tempDir()];
const hosts: Host[] = [];
const ARN = 'arn:aws:kinesis:us-east-1:000000000000:stream/shared';

beforeAll(async () => {
  for (const dir of dirs) {
    hosts.push(await createHost({
      rootDir: handlers,
      logger: { level: 'silent' },
      config: {
        stateDir: dir.path, backend: 'redis', redisPrefix: prefix,
        functions: { echo: { handler: './echo.mjs' } },
        streams: { shared: { shards: 1 } },
      },
    }));
  }
});

afterAll(async () => {
  for (const host of hosts) await host.close();
  for (const dir of dirs) dir.remove();
  const r = new Redis();
  const keys = await r.keys(`${prefix}:*`);
  if (keys.length) await r.del(...keys);
  await r.quit();
});

it('takes in mappings created, disabled and deleted on another host', async () => {
  const [a, b] = hosts as [Host, Host];
  const created = await a.sources.mappings.create({ FunctionName: 'echo', EventSourceArn: ARN, StartingPosition: 'LATEST' });
  const uuid = created.UUID;
  expect(b.sources.mappings.list().EventSourceMappings).toEqual([]);

  await b.sources.mappings.reconcile();
  expect(b.sources.mappings.get(uuid)).toMatchObject({ UUID: uuid, State: 'Enabled', BatchSize: 100 });
  await b.sources.mappings.settled(uuid);
  expect(b.sources.mappings.checkpoints(uuid)).toHaveLength(1);

  await a.sources.mappings.update(uuid, { Enabled: false, BatchSize: 10 });
  await b.sources.mappings.reconcile();
  expect(b.sources.mappings.get(uuid)).toMatchObject({ State: 'Disabled', BatchSize: 10 });
  await b.sources.mappings.settled(uuid);
  expect(b.sources.mappings.checkpoints(uuid)).toEqual([]);

  await a.sources.mappings.delete(uuid);
  await b.sources.mappings.reconcile();
  expect(b.sources.mappings.list().EventSourceMappings).toEqual([]);
});
