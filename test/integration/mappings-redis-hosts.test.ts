/**
 * Event source mappings made through one host's API reach the other hosts on
 * the same Redis: each takes in creations, updates and deletions (on a timer;
 * here by calling `reconcile()`, so nothing waits for a timer).
 */
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
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

it('keeps API calls and reconcile passes apart: a reconcile during a create or a delete neither drops nor revives the mapping', async () => {
  const [a] = hosts as [Host, Host];
  const reconciling = a.sources.mappings.reconcile();
  const created = await a.sources.mappings.create({ FunctionName: 'echo', EventSourceArn: ARN, StartingPosition: 'LATEST' });
  await reconciling;
  await a.sources.mappings.settled(created.UUID);
  expect(a.sources.mappings.get(created.UUID)).toMatchObject({ State: 'Enabled' });
  expect(a.sources.mappings.checkpoints(created.UUID)).toHaveLength(1);

  const deleting = a.sources.mappings.delete(created.UUID);
  await Promise.all([deleting, a.sources.mappings.reconcile()]);
  expect(a.sources.mappings.list().EventSourceMappings).toEqual([]);
});

it('re-lanes a ParallelizationFactor change once, on the host that made it; the others follow the store', async () => {
  const [a, b] = hosts as [Host, Host];
  const { UUID } = await a.sources.mappings.create({ FunctionName: 'echo', EventSourceArn: ARN, StartingPosition: 'TRIM_HORIZON' });
  await b.sources.mappings.reconcile();
  await Promise.all([a.sources.mappings.settled(UUID), b.sources.mappings.settled(UUID)]);
  expect(b.sources.mappings.checkpoints(UUID)).toHaveLength(1);

  await a.sources.mappings.update(UUID, { ParallelizationFactor: 3 });
  await a.sources.mappings.settled(UUID);
  expect(a.sources.mappings.checkpoints(UUID)).toHaveLength(3);
  // B takes the new layout from the store; it does not re-lane again (that would delete A's lanes' checkpoints).
  const relaning = vi.spyOn(b.sources.store, 'deleteCheckpoints');
  await b.sources.mappings.reconcile();
  await b.sources.mappings.settled(UUID);
  expect(relaning).not.toHaveBeenCalled();
  relaning.mockRestore();
  expect(b.sources.mappings.get(UUID)).toMatchObject({ ParallelizationFactor: 3 });
  expect(b.sources.mappings.checkpoints(UUID)).toHaveLength(3);
  await a.sources.mappings.delete(UUID);
  await b.sources.mappings.reconcile();
});
