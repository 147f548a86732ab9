/**
 * Pull sources through a real host, on both backends: streams and table
 * change streams polled by event source mappings (config and Lambda's API
 * through @aws-sdk/client-lambda), in order per shard, with bisecting,
 * retries, ReportBatchItemFailures and the on-failure destination.
 * Tests await invocation outcomes (`invoker.onOutcome`) or checkpoints, never
 * sleeps, except where the parameter under test is about time (batching window,
 * AT_TIMESTAMP), with bounds loose enough for a loaded machine.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  CreateEventSourceMappingCommand, DeleteEventSourceMappingCommand, GetEventSourceMappingCommand, InvalidParameterValueException,
  LambdaClient, ListEventSourceMappingsCommand, ResourceNotFoundException, UpdateEventSourceMappingCommand,
} from '@aws-sdk/client-lambda';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ConditionalCheckFailedError, configureSourcesClient, createHost, InvalidParameterValueError, stream, table, type Host } from '../../runtime/index.js';
import { laneFor } from '../../runtime/sources/pull/shard-hash.js';
import { deleteRedisKeys } from '../support/delete-redis-keys.js';
import { Gate } from '../support/gate.js';
import { tempDir } from '../support/temp-dir.js';

const handlers = resolve(import.meta.dirname, '../fixtures/handlers');

interface Line { name: string; event: { Records: Array<Record<string, any>> } }

describe.each(['sqlite', 'redis'] as const)('pull sources (%s)', (backend) => {
  const state = tempDir();
  const out = join(state.path, 'out.jsonl');
  const prefix = `test-${randomUUID()}`;
  const gate = new Gate();
  let host: Host;
  let lambda: LambdaClient;
  let hostUrl: string;
  const outcomes: Array<{ fn: string; error?: string }> = [];
  const waiters: Array<{ fn: string; count: number; resolve: () => void }> = [];

  /** Resolves once `fn` finished `count` invocations in total. */
  const finished = (fn: string, count: number) => new Promise<void>((done) => {
    waiters.push({ fn, count, resolve: done });
    check();
  });
  function check() {
    for (const w of [...waiters]) {
      if (outcomes.filter((o) => o.fn === w.fn).length >= w.count) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  }
  const lines = (name: string): Line[] => (existsSync(out) ? readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Line).filter((l) => l.name === name) : []);
  const kinesisData = (l: Line) => l.event.Records.map((r) => Buffer.from(r.kinesis.data, 'base64').toString());

  beforeAll(async () => {
    const env = { OUT: out };
    await gate.open();
    host = await createHost({
      rootDir: handlers,
      config: {
        stateDir: state.path, backend, redisPrefix: prefix,
        functions: {
          collect: { handler: './sources.mjs#collect', environment: env },
          poison: { handler: './sources.mjs#poison', environment: env },
          partial: { handler: './sources.mjs#partial', environment: env },
          changes: { handler: './sources.mjs#collect', environment: env },
          failures: { handler: './sources.mjs#collect', environment: env },
          sdk: { handler: './sources.mjs#collect', environment: env },
          windowed: { handler: './sources.mjs#collect', environment: env },
          aged: { handler: './sources.mjs#collect', environment: env },
          expired: { handler: './sources.mjs#collect', environment: env },
          lanes: { handler: './sources.mjs#collect', environment: env },
          filtered: { handler: './sources.mjs#collect', environment: env },
          attime: { handler: './sources.mjs#collect', environment: env },
          toggled: { handler: './sources.mjs#collect', environment: env },
          held: { handler: './sources.mjs#held', environment: { ...env, GATE: gate.url }, timeoutMs: 30_000 },
        },
        streams: { clicks: { shards: 2 }, bad: {}, partly: {}, sdkstream: {}, windowed: {}, aged: {}, lanes: {}, filtered: {}, attime: {}, toggle: {}, holding: {} },
        tables: { orders: { partitionKey: 'id' }, ledger: { partitionKey: 'id' } },
        eventSourceMappings: [
          { source: 'stream:clicks', function: 'collect', batchSize: 100 },
          { source: 'table:orders', function: 'changes' },
          { source: 'stream:bad', function: 'poison', bisectBatchOnFunctionError: true, maximumRetryAttempts: 1, onFailure: 'failures' },
          { source: 'stream:partly', function: 'partial', functionResponseTypes: ['ReportBatchItemFailures'], maximumRetryAttempts: 1 },
          { source: 'stream:windowed', function: 'windowed', batchSize: 100, maximumBatchingWindowInSeconds: 1 },
          { source: 'stream:aged', function: 'aged', maximumRecordAgeInSeconds: 60, onFailure: 'expired', enabled: false },
          { source: 'stream:lanes', function: 'lanes', batchSize: 100, parallelizationFactor: 4 },
          { source: 'stream:filtered', function: 'filtered', filterCriteria: { filters: [{ pattern: { data: { kind: ['keep'] } } }] } },
        ],
      },
    });
    host.invoker.onOutcome((o) => {
      outcomes.push({ fn: o.functionName, ...(o.error && { error: o.error.errorType }) });
      check();
    });
    const { url } = await host.listen({ port: 0 });
    hostUrl = url;
    configureSourcesClient({ url });
    lambda = new LambdaClient({ endpoint: url, region: 'us-east-1', maxAttempts: 1, credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
  });

  afterAll(async () => {
    lambda?.destroy();
    gate.release();
    try {
      await host?.close();
    } finally {
      await gate.close();
      configureSourcesClient({});
      state.remove();
      if (backend === 'redis') {
        const r = new Redis();
        await deleteRedisKeys(r, `${prefix}:*`);
        await r.quit();
      }
    }
  });

  it('delivers stream records in Kinesis shape, in order per partition key', async () => {
    const records = Array.from({ length: 30 }, (_, i) => ({ data: `${i % 3}:${i}`, partitionKey: `user-${i % 3}` }));
    const put = await stream('clicks').putRecords(records);
    expect(put.FailedRecordCount).toBe(0);
    expect(new Set(put.Records.map((r) => r.ShardId)).size).toBeGreaterThan(0);
    const shards = new Set(put.Records.map((r) => r.ShardId)).size;
    await finished('collect', shards);
    let got = lines('collect').flatMap(kinesisData);
    while (got.length < 30) {
      await finished('collect', outcomes.filter((o) => o.fn === 'collect').length + 1);
      got = lines('collect').flatMap(kinesisData);
    }
    // The mapping's iterator age is on /metrics once it has read a batch.
    const metrics = await (await fetch(`${hostUrl}/metrics`)).text();
    const age = /^neolith_event_source_iterator_age_seconds\{source="stream:clicks",function="collect"\} (\S+)$/m.exec(metrics);
    expect(age, metrics.split('\n').filter((l) => l.includes('iterator_age')).join('\n')).not.toBeNull();
    expect(Number(age![1])).toBeGreaterThanOrEqual(0);
    expect(Number(age![1])).toBeLessThan(60);
    for (const key of ['0', '1', '2']) {
      const seen = got.filter((d) => d.startsWith(`${key}:`)).map((d) => Number(d.split(':')[1]));
      expect(seen).toEqual([...seen].sort((a, b) => a - b));
      expect(seen).toHaveLength(10);
    }
    const first = lines('collect')[0]!.event.Records[0]!;
    expect(first).toMatchObject({
      eventSource: 'aws:kinesis', eventName: 'aws:kinesis:record', eventVersion: '1.0',
      eventSourceARN: 'arn:aws:kinesis:us-east-1:000000000000:stream/clicks',
      kinesis: { kinesisSchemaVersion: '1.0', partitionKey: expect.any(String), sequenceNumber: expect.any(String) },
    });
  });

  it('turns table writes into DynamoDB Streams records; conditional writes refuse', async () => {
    const orders = table('orders');
    expect(await orders.put({ id: 'o1', total: 5 }, { ifNotExists: true })).toEqual({ version: 1 });
    await expect(orders.put({ id: 'o1', total: 6 }, { ifNotExists: true })).rejects.toBeInstanceOf(ConditionalCheckFailedError);
    await expect(orders.update({ id: 'o1' }, { total: 7 }, { expectedVersion: 9 })).rejects.toBeInstanceOf(ConditionalCheckFailedError);
    expect(await orders.update({ id: 'o1' }, { status: 'PAID' }, { expectedVersion: 1 })).toEqual({ item: { id: 'o1', total: 5, status: 'PAID' }, version: 2 });
    expect(await orders.get({ id: 'o1' })).toEqual({ item: { id: 'o1', total: 5, status: 'PAID' }, version: 2 });
    await orders.delete({ id: 'o1' });
    const events = () => lines('changes').flatMap((l) => l.event.Records);
    while (events().length < 3) await finished('changes', outcomes.filter((o) => o.fn === 'changes').length + 1);
    const [insert, modify, remove] = events();
    expect(insert).toMatchObject({
      eventName: 'INSERT', eventSource: 'aws:dynamodb', eventVersion: '1.1',
      eventSourceARN: expect.stringMatching(/^arn:aws:dynamodb:us-east-1:000000000000:table\/orders\/stream\//),
      dynamodb: { Keys: { id: { S: 'o1' } }, NewImage: { id: { S: 'o1' }, total: { N: '5' } }, StreamViewType: 'NEW_AND_OLD_IMAGES', SequenceNumber: expect.any(String) },
    });
    expect(insert!.dynamodb.OldImage).toBeUndefined();
    expect(modify).toMatchObject({ eventName: 'MODIFY', dynamodb: { OldImage: { total: { N: '5' } }, NewImage: { status: { S: 'PAID' } } } });
    expect(remove).toMatchObject({ eventName: 'REMOVE', dynamodb: { OldImage: { status: { S: 'PAID' } } } });
    expect(remove!.dynamodb.NewImage).toBeUndefined();
  });

  it('trims a table\'s change stream past its retention (24 hours by default), as DynamoDB Streams does', async () => {
    await table('ledger').put({ id: 'a' });
    await table('ledger').put({ id: 'b' });
    const [ref] = host.sources.tables.shards('ledger');
    expect(await host.sources.store.readShard(ref!, '', 10)).toHaveLength(2);
    expect(await host.sources.tables.trim(Date.now() + 23 * 3_600_000)).toBe(0);
    expect(await host.sources.tables.trim(Date.now() + 25 * 3_600_000)).toBeGreaterThanOrEqual(2); // the other tables' changes too
    expect(await host.sources.store.readShard(ref!, '', 10)).toEqual([]);
    expect(await table('ledger').get({ id: 'a' })).toEqual({ item: { id: 'a' }, version: 1 });
  });

  it('pages a scan with its cursor and refuses a cursor it did not give', async () => {
    // A page holds about `limit` items (Redis' HSCAN may give more): follow `next` to the end.
    const ids: string[] = [];
    let cursor: string | undefined;
    do {
      const page: { items: Array<{ item: unknown }>; next?: string } = await table('ledger').scan({ limit: 1, ...(cursor !== undefined && { cursor }) });
      ids.push(...page.items.map((i) => (i.item as { id: string }).id));
      cursor = page.next;
    } while (cursor !== undefined);
    expect(ids.sort()).toEqual(['a', 'b']);
    for (const cursor of ['not-a-cursor', '[1,2]', '-1']) {
      await expect(table('ledger').scan({ cursor })).rejects.toBeInstanceOf(InvalidParameterValueError);
    }
  });

  it('bisects a failing batch, discards the poison record after its retries, and keeps the rest', async () => {
    await stream('bad').putRecords(['a', 'b', 'poison', 'c'].map((data) => ({ data, partitionKey: 'k' })));
    await finished('failures', 1);
    const failure = lines('failures')[0]!.event as unknown as Record<string, any>;
    expect(failure).toMatchObject({
      requestContext: { condition: 'RetryAttemptsExhausted', functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:poison' },
      KinesisBatchInfo: { shardId: 'shardId-000000000000', batchSize: 1, streamArn: 'arn:aws:kinesis:us-east-1:000000000000:stream/bad' },
    });
    // Every good record was delivered in a successful batch; "c" comes after the poison record's discard.
    const ok = () => lines('poison').filter((l) => !kinesisData(l).includes('poison')).flatMap(kinesisData);
    while (!ok().includes('c')) await finished('poison', outcomes.filter((o) => o.fn === 'poison').length + 1);
    expect(ok()).toEqual(['a', 'b', 'c']);
    // [a,b,poison,c] fails → [a,b] ok → [poison,c] fails → [poison] fails twice (1 retry) → [c] ok.
    const batches = lines('poison').map(kinesisData);
    expect(batches).toEqual([['a', 'b', 'poison', 'c'], ['a', 'b'], ['poison', 'c'], ['poison'], ['poison'], ['c']]);
  });

  it('retries from the lowest failed record with ReportBatchItemFailures', async () => {
    await stream('partly').putRecords(['r1', 'bad', 'r3'].map((data) => ({ data, partitionKey: 'k' })));
    await finished('partial', 2);
    const batches = lines('partial').map(kinesisData);
    // r1 is checkpointed; the retry starts at the lowest failed record; after its one retry it is discarded.
    expect(batches[0]).toEqual(['r1', 'bad', 'r3']);
    expect(batches[1]).toEqual(['bad', 'r3']);
  });

  it('manages mappings through the Lambda API (@aws-sdk/client-lambda)', async () => {
    const arn = 'arn:aws:kinesis:us-east-1:000000000000:stream/sdkstream';
    await expect(lambda.send(new CreateEventSourceMappingCommand({ FunctionName: 'sdk', EventSourceArn: arn, StartingPosition: 'LATEST', BatchSize: 0 })))
      .rejects.toBeInstanceOf(InvalidParameterValueException);
    await expect(lambda.send(new CreateEventSourceMappingCommand({ FunctionName: 'sdk', EventSourceArn: 'arn:aws:kinesis:us-east-1:000000000000:stream/nope', StartingPosition: 'LATEST' })))
      .rejects.toBeInstanceOf(ResourceNotFoundException);
    const created = await lambda.send(new CreateEventSourceMappingCommand({
      FunctionName: 'sdk', EventSourceArn: arn, StartingPosition: 'TRIM_HORIZON', BatchSize: 10, MaximumRetryAttempts: 3,
    }));
    expect(created).toMatchObject({ UUID: expect.any(String), BatchSize: 10, State: 'Creating', EventSourceArn: arn, FunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:sdk' });
    expect(created.LastModified).toBeInstanceOf(Date);
    await stream('sdkstream').putRecord({ data: 'hello', partitionKey: 'p' });
    await finished('sdk', 1);
    expect(lines('sdk').flatMap(kinesisData)).toEqual(['hello']);
    const got = await lambda.send(new GetEventSourceMappingCommand({ UUID: created.UUID }));
    expect(got).toMatchObject({ State: 'Enabled', LastProcessingResult: 'OK' });
    const listed = await lambda.send(new ListEventSourceMappingsCommand({ FunctionName: 'sdk' }));
    expect(listed.EventSourceMappings?.map((m) => m.UUID)).toEqual([created.UUID]);
    const all = await lambda.send(new ListEventSourceMappingsCommand({}));
    expect(all.EventSourceMappings).toHaveLength(9);
    const updated = await lambda.send(new UpdateEventSourceMappingCommand({ UUID: created.UUID, BatchSize: 50, Enabled: false }));
    expect(updated).toMatchObject({ BatchSize: 50, State: 'Updating' });
    expect(await lambda.send(new GetEventSourceMappingCommand({ UUID: created.UUID }))).toMatchObject({ State: 'Disabled', BatchSize: 50 });
    // A destination is set, and removed with an empty OnFailure, as in Lambda.
    const failuresArn = 'arn:aws:lambda:us-east-1:000000000000:function:failures';
    await lambda.send(new UpdateEventSourceMappingCommand({ UUID: created.UUID, DestinationConfig: { OnFailure: { Destination: failuresArn } } }));
    expect((await lambda.send(new GetEventSourceMappingCommand({ UUID: created.UUID }))).DestinationConfig).toEqual({ OnFailure: { Destination: failuresArn } });
    await lambda.send(new UpdateEventSourceMappingCommand({ UUID: created.UUID, DestinationConfig: { OnFailure: {} } }));
    expect((await lambda.send(new GetEventSourceMappingCommand({ UUID: created.UUID }))).DestinationConfig).toEqual({ OnFailure: {} });
    const deleted = await lambda.send(new DeleteEventSourceMappingCommand({ UUID: created.UUID }));
    expect(deleted.State).toBe('Deleting');
    await expect(lambda.send(new GetEventSourceMappingCommand({ UUID: created.UUID }))).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  const count = (fn: string) => outcomes.filter((o) => o.fn === fn).length;
  const mappingOf = async (fn: string) => (await lambda.send(new ListEventSourceMappingsCommand({ FunctionName: fn }))).EventSourceMappings![0]!.UUID!;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('DeleteEventSourceMapping answers Deleting at once, while a batch is still in flight', async () => {
    const created = await lambda.send(new CreateEventSourceMappingCommand({
      FunctionName: 'held', EventSourceArn: `arn:aws:kinesis:us-east-1:000000000000:stream/holding`, StartingPosition: 'TRIM_HORIZON',
    }));
    await stream('holding').putRecord({ data: 'in flight', partitionKey: 'k' });
    await gate.arrived(1);
    // The handler is still held: Lambda does not wait for its batch to answer the delete.
    const deleted = await lambda.send(new DeleteEventSourceMappingCommand({ UUID: created.UUID }));
    expect(deleted.State).toBe('Deleting');
    expect(gate.held).toHaveLength(1);
    await expect(lambda.send(new GetEventSourceMappingCommand({ UUID: created.UUID }))).rejects.toBeInstanceOf(ResourceNotFoundException);
    gate.release();
    await finished('held', 1);
  });

  it('MaximumBatchingWindowInSeconds gathers records put over time into one batch', async () => {
    const started = Date.now();
    for (let i = 0; i < 5; i++) {
      if (i > 0) await sleep(50);
      await stream('windowed').putRecord({ data: `w${i}`, partitionKey: 'k' });
    }
    await finished('windowed', 1);
    const elapsed = Date.now() - started;
    // Without the window the first put would be delivered alone at once (the poller is woken by it).
    expect(lines('windowed').map(kinesisData)).toEqual([['w0', 'w1', 'w2', 'w3', 'w4']]);
    // The window opens when the first record is read, so the batch is not sent before it closes.
    expect(elapsed).toBeGreaterThanOrEqual(950);
    expect(elapsed).toBeLessThan(8_000);
  });

  it('AT_TIMESTAMP starts at the first record that arrived at or after StartingPositionTimestamp', async () => {
    await stream('attime').putRecords(['before1', 'before2'].map((data) => ({ data, partitionKey: 'k' })));
    await sleep(20); // the timestamp must fall strictly between the two puts' arrival times (ms)
    const at = new Date();
    await sleep(20);
    await stream('attime').putRecords(['after1', 'after2'].map((data) => ({ data, partitionKey: 'k' })));
    const created = await lambda.send(new CreateEventSourceMappingCommand({
      FunctionName: 'attime', EventSourceArn: 'arn:aws:kinesis:us-east-1:000000000000:stream/attime', StartingPosition: 'AT_TIMESTAMP', StartingPositionTimestamp: at,
    }));
    expect(created).toMatchObject({ StartingPosition: 'AT_TIMESTAMP', StartingPositionTimestamp: at });
    const got = () => lines('attime').flatMap(kinesisData);
    while (got().length < 2) await finished('attime', count('attime') + 1);
    expect(got()).toEqual(['after1', 'after2']);
    await lambda.send(new DeleteEventSourceMappingCommand({ UUID: created.UUID }));
    // A timestamp with sub-millisecond digits (the API takes any epoch seconds) starts at the same record.
    const raw = await fetch(`${hostUrl}/2015-03-31/event-source-mappings/`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ FunctionName: 'attime', EventSourceArn: 'arn:aws:kinesis:us-east-1:000000000000:stream/attime', StartingPosition: 'AT_TIMESTAMP', StartingPositionTimestamp: (at.getTime() - 0.5) / 1000 }),
    });
    expect(raw.status).toBeLessThan(300);
    const again = (await raw.json()) as { UUID: string };
    while (got().length < 4) await finished('attime', count('attime') + 1);
    expect(got()).toEqual(['after1', 'after2', 'after1', 'after2']);
    await lambda.send(new DeleteEventSourceMappingCommand({ UUID: again.UUID }));
  });

  it('MaximumRecordAgeInSeconds discards older records to the on-failure destination, without invoking', async () => {
    // The mapping starts disabled; the records are put, then the clock moves 120 s on (the minimum age is 60 s).
    await stream('aged').putRecords(['old1', 'old2'].map((data) => ({ data, partitionKey: 'k' })));
    const realNow = Date.now.bind(Date);
    const clock = vi.spyOn(Date, 'now').mockImplementation(() => realNow() + 120_000);
    try {
      await lambda.send(new UpdateEventSourceMappingCommand({ UUID: await mappingOf('aged'), Enabled: true }));
      await finished('expired', 1);
    } finally {
      clock.mockRestore();
    }
    expect(lines('expired')[0]!.event).toMatchObject({
      requestContext: { condition: 'RecordAgeExceeded', functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:aged' },
      KinesisBatchInfo: { shardId: 'shardId-000000000000', batchSize: 2, streamArn: 'arn:aws:kinesis:us-east-1:000000000000:stream/aged' },
    });
    await stream('aged').putRecord({ data: 'fresh', partitionKey: 'k' });
    await finished('aged', 1);
    expect(lines('aged').flatMap(kinesisData)).toEqual(['fresh']);
  });

  it('ParallelizationFactor spreads a shard over lanes by partition key, in order per key', async () => {
    const keys = Array.from({ length: 8 }, (_, k) => `key-${k}`);
    expect(new Set(keys.map((k) => laneFor(k, 4))).size).toBeGreaterThan(1);
    for (let round = 0; round < 2; round++) {
      await stream('lanes').putRecords(Array.from({ length: 20 }, (_, i) => {
        const n = round * 20 + i;
        return { data: `${keys[n % 8]}:${n}`, partitionKey: keys[n % 8]! };
      }));
    }
    const got = () => lines('lanes').flatMap(kinesisData);
    while (got().length < 40) await finished('lanes', count('lanes') + 1);
    expect(got()).toHaveLength(40);
    const batches = lines('lanes').map((l) => l.event.Records.map((r) => laneFor(r.kinesis.partitionKey as string, 4)));
    // Each batch holds one lane's keys (one poller of the shard would batch all of them together) …
    for (const lanesInBatch of batches) expect(new Set(lanesInBatch).size).toBe(1);
    expect(new Set(batches.map((b) => b[0])).size).toBe(new Set(keys.map((k) => laneFor(k, 4))).size);
    // … and each key's records arrive in the order they were put.
    for (const key of keys) {
      const seen = got().filter((d) => d.startsWith(`${key}:`)).map((d) => Number(d.split(':')[1]));
      expect(seen).toHaveLength(5);
      expect(seen).toEqual([...seen].sort((a, b) => a - b));
    }
  });

  it('keeps one poller per lane through updates in quick succession; a factor change while disabled neither skips nor replays', async () => {
    const arn = 'arn:aws:kinesis:us-east-1:000000000000:stream/toggle';
    const { UUID } = await lambda.send(new CreateEventSourceMappingCommand({ FunctionName: 'toggled', EventSourceArn: arn, StartingPosition: 'TRIM_HORIZON', BatchSize: 10 }));
    const got = () => lines('toggled').flatMap(kinesisData);
    await stream('toggle').putRecord({ data: 'a1', partitionKey: 'k' });
    while (!got().includes('a1')) await finished('toggled', count('toggled') + 1);
    const ageOfToggled = () => host.sources.mappings.iteratorAges().filter((a) => a.source === 'stream:toggle');
    expect(ageOfToggled()).toEqual([{ source: 'stream:toggle', functionName: 'toggled', ageMs: expect.any(Number) }]);
    // Disabled, re-laned and written to while disabled, enabled; then toggled without waiting for the restarts.
    await lambda.send(new UpdateEventSourceMappingCommand({ UUID, Enabled: false }));
    // A disabled mapping reads nothing: it has no iterator age once its pollers stopped.
    await host.sources.mappings.settled(UUID!);
    expect(ageOfToggled()).toEqual([]);
    await lambda.send(new UpdateEventSourceMappingCommand({ UUID, ParallelizationFactor: 2 }));
    await stream('toggle').putRecord({ data: 'b1', partitionKey: 'k' });
    await lambda.send(new UpdateEventSourceMappingCommand({ UUID, Enabled: true }));
    await lambda.send(new UpdateEventSourceMappingCommand({ UUID, Enabled: false }));
    await lambda.send(new UpdateEventSourceMappingCommand({ UUID, Enabled: true }));
    await host.sources.mappings.settled(UUID!);
    expect(host.sources.mappings.checkpoints(UUID!)).toHaveLength(2);
    await stream('toggle').putRecord({ data: 'c1', partitionKey: 'k' });
    while (!got().includes('c1')) await finished('toggled', count('toggled') + 1);
    // One key, one lane, in order: a replay from the start would show a1 again before c1.
    expect(got()).toEqual(['a1', 'b1', 'c1']);
    await lambda.send(new DeleteEventSourceMappingCommand({ UUID }));
  });

  it('FilterCriteria delivers matching records only; filtered-out records are checkpointed without an invocation', async () => {
    const uuid = await mappingOf('filtered');
    const checkpoint = () => host.sources.mappings.checkpoints(uuid)[0]?.sequenceNumber;
    const drops = await stream('filtered').putRecords([{ kind: 'drop', n: 1 }, { kind: 'drop', n: 2 }].map((d) => ({ data: JSON.stringify(d), partitionKey: 'k' })));
    await vi.waitFor(() => expect(checkpoint()).toBe(drops.Records[1]!.SequenceNumber), { timeout: 5_000, interval: 20 });
    expect(count('filtered')).toBe(0);
    const mixed = await stream('filtered').putRecords(
      [{ kind: 'keep', n: 3 }, { kind: 'drop', n: 4 }, 'not json', { kind: 'keep', n: 5 }, { kind: 'drop', n: 6 }]
        .map((d) => ({ data: typeof d === 'string' ? d : JSON.stringify(d), partitionKey: 'k' })),
    );
    await finished('filtered', 1);
    await vi.waitFor(() => expect(checkpoint()).toBe(mixed.Records[4]!.SequenceNumber), { timeout: 5_000, interval: 20 });
    expect(lines('filtered').flatMap(kinesisData).map((d) => JSON.parse(d).n)).toEqual([3, 5]);
    expect(count('filtered')).toBe(1);
  });
});

