/**
 * Event sources benchmark: stream records/s from `putRecords` to the handler
 * (an event source mapping, BatchSize 100, a real host with a worker-thread
 * function), per backend, beside raw baselines measured in the same run:
 * better-sqlite3 inserts (transactions of 500) + reads (pages of 100), and
 * Redis XADD (pipelines of 500) + XRANGE (pages of 100). These machines are
 * noisy: compare ratios within one run, not figures across runs.
 *
 *   node --import tsx bench/sources.ts [records]
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { Redis } from 'ioredis';
import { createHost } from '../dist/runtime/index.js';
import { runStandalone, type Row } from './run.js';

export const title = 'Event sources: stream records/s, putRecords → handler (BatchSize 100)';
export const baseline = 'raw backend';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const PUT_BATCH = 500;
const READ_BATCH = 100;
const SINK = resolve(import.meta.dirname, 'fixtures/stream-sink.mjs');

function payload(n: number): Buffer {
  return Buffer.from(JSON.stringify({ n, user: `u${n % 50}`, action: 'click' }));
}

/** putRecords (in process, batches of 500) until the mapping's checkpoints reach the last record; records/s. */
async function neolith(backend: 'sqlite' | 'redis', records: number, shards: number): Promise<{ put: number; endToEnd: number }> {
  const stateDir = mkdtempSync(join(tmpdir(), 'neolith-bench-sources-'));
  const prefix = `bench-sources-${randomUUID()}`;
  const host = await createHost({
    config: {
      stateDir, backend, redisPrefix: prefix,
      functions: { sink: { handler: SINK } },
      streams: { clicks: { shards } },
      eventSourceMappings: [{ source: 'stream:clicks', function: 'sink', batchSize: READ_BATCH }],
    },
    logger: { level: 'warn' },
  });
  try {
    // Warm the function's environment so the run measures the pipe, not a cold start.
    await host.invoke('sink', { Records: [] });
    const mappingId = host.sources.mappings.list().EventSourceMappings[0]!.UUID!;
    const last = new Map<number, string>();
    const start = performance.now();
    for (let i = 0; i < records; i += PUT_BATCH) {
      const batch = Array.from({ length: Math.min(PUT_BATCH, records - i) }, (_, k) => ({ partitionKey: `k${i + k}`, data: payload(i + k) }));
      const out = await host.sources.streams.putRecords('clicks', batch);
      out.Records.forEach((r) => last.set(Number(r.ShardId.slice(-12)), r.SequenceNumber));
    }
    const putDone = performance.now();
    // Checkpoints are the mapping's own durable progress: done when every shard's reached its last record.
    const reached = async () => {
      for (const [shard, seq] of last) {
        const at = await host.sources.store.getCheckpoint({ mappingId, stream: 'kinesis:clicks', shard, lane: 0 });
        if (at === undefined || at < seq) return false;
      }
      return true;
    };
    while (!(await reached())) await delay(2);
    const end = performance.now();
    return { put: records / ((putDone - start) / 1000), endToEnd: records / ((end - start) / 1000) };
  } finally {
    await host.close();
    if (backend === 'redis') await dropPrefix(prefix);
    rmSync(stateDir, { recursive: true, force: true });
  }
}

/** Raw better-sqlite3: append in transactions of 500, then read back in pages of 100. */
function rawSqlite(records: number): { append: number; total: number } {
  const dir = mkdtempSync(join(tmpdir(), 'neolith-bench-sources-raw-'));
  try {
    const db = new Database(join(dir, 'raw.db'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec('CREATE TABLE r (seq INTEGER PRIMARY KEY AUTOINCREMENT, shard INTEGER NOT NULL, pk TEXT NOT NULL, data TEXT NOT NULL, at INTEGER NOT NULL)');
    const insert = db.prepare('INSERT INTO r (shard, pk, data, at) VALUES (0, ?, ?, ?)');
    const read = db.prepare('SELECT seq, pk, data, at FROM r WHERE shard = 0 AND seq > ? ORDER BY seq LIMIT ?');
    const append = db.transaction((from: number, count: number) => {
      for (let k = 0; k < count; k++) insert.run(`k${from + k}`, payload(from + k).toString('base64'), Date.now());
    });
    const start = performance.now();
    for (let i = 0; i < records; i += PUT_BATCH) append(i, Math.min(PUT_BATCH, records - i));
    const appended = performance.now();
    let after = 0;
    let seen = 0;
    for (;;) {
      const rows = read.all(after, READ_BATCH) as Array<{ seq: number }>;
      if (rows.length === 0) break;
      seen += rows.length;
      after = rows.at(-1)!.seq;
    }
    if (seen !== records) throw new Error(`raw sqlite read ${seen} of ${records}`);
    const rate = { append: records / ((appended - start) / 1000), total: records / ((performance.now() - start) / 1000) };
    db.close();
    return rate;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Raw Redis Streams: XADD in pipelines of 500, then XRANGE pages of 100. */
async function rawRedis(records: number): Promise<{ append: number; total: number }> {
  const redis = new Redis(REDIS_URL);
  const key = `bench-sources-raw-${randomUUID()}`;
  try {
    const start = performance.now();
    for (let i = 0; i < records; i += PUT_BATCH) {
      const pipe = redis.pipeline();
      for (let k = i; k < Math.min(i + PUT_BATCH, records); k++) pipe.xadd(key, '*', 'pk', `k${k}`, 'd', payload(k).toString('base64'));
      await pipe.exec();
    }
    const appended = performance.now();
    let after = '-';
    let seen = 0;
    for (;;) {
      const rows = await redis.xrange(key, after, '+', 'COUNT', READ_BATCH);
      if (rows.length === 0) break;
      seen += rows.length;
      after = `(${rows.at(-1)![0]}`;
    }
    if (seen !== records) throw new Error(`raw redis read ${seen} of ${records}`);
    return { append: records / ((appended - start) / 1000), total: records / ((performance.now() - start) / 1000) };
  } finally {
    await redis.del(key);
    redis.disconnect();
  }
}

async function dropPrefix(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** Measures both backends; each row sets neolith beside the raw backend doing the same appends (and reads). */
export async function run(records = Number(process.env.BENCH_RECORDS ?? 50_000)): Promise<Row[]> {
  const rows: Row[] = [];
  const raw = { sqlite: rawSqlite(records), redis: await rawRedis(records) };
  const names = { sqlite: 'better-sqlite3', redis: 'XADD' };
  for (const backend of ['sqlite', 'redis'] as const) {
    for (const shards of [1, 4]) {
      const m = await neolith(backend, records, shards);
      rows.push({
        name: `${backend}, ${shards} shard(s): putRecords → handler`, value: m.endToEnd, unit: 'records/s',
        baseline: raw[backend].total, baselineName: `${names[backend]} append + read`,
        note: 'through the mapping into a worker-thread function',
      });
      rows.push({
        name: `${backend}, ${shards} shard(s): putRecords accepted`, value: m.put, unit: 'records/s',
        baseline: raw[backend].append, baselineName: `${names[backend]} append`, note: 'in process, 500 per call',
      });
    }
  }
  return rows;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const records = process.argv[2] ? Number(process.argv[2]) : undefined;
  void runStandalone({ run: () => run(records), title, baseline }, 'sources').then(() => process.exit(process.exitCode ?? 0));
}
