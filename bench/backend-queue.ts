/**
 * Backend queue benchmark: for each backend, events enqueued per second,
 * enqueue → handler-start latency (p50/p99) and end-to-end throughput with a
 * trivial handler; baselines measured in the same run: raw better-sqlite3
 * insert+claim cycles and raw BullMQ add+process. These machines are noisy:
 * compare ratios within one run, not absolute figures across runs.
 *
 *   node --import tsx bench/backend-queue.ts [events]
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { createBackend, type AsyncEvent, type Backend, type BackendOptions } from '../dist/runtime/backend/index.js';
import { deleteRedisPrefix } from './runtime-support.js';

/** One line of the result table. */
export interface BenchRow {
  readonly subject: string;
  readonly metric: string;
  readonly value: number;
  readonly unit: string;
}

/** Sizes of one run. */
export interface BenchOptions {
  /** Events per throughput measurement. @defaultValue 5000 */
  readonly events?: number;
  /** Events for the latency measurement (one at a time). @defaultValue 500 */
  readonly latencySamples?: number;
  /** @defaultValue 'redis://127.0.0.1:6379' */
  readonly redisUrl?: string;
}

const POLICY = { maxRetries: 2, retryDelaysMs: [1000, 2000], maxEventAgeSeconds: 21_600 };
const IN_FLIGHT = 64;

function makeEvent(): AsyncEvent {
  return { requestId: randomUUID(), functionName: 'bench', payload: '{"n":1}', policy: POLICY };
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Run `count` async jobs with at most `limit` in flight. */
async function pool(count: number, limit: number, job: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, count) }, async () => {
      while (next < count) await job(next++);
    }),
  );
}

async function withBackend<T>(options: BackendOptions, fn: (backend: Backend) => Promise<T>): Promise<T> {
  const backend = createBackend(options);
  try {
    await backend.waitUntilReady();
    return await fn(backend);
  } finally {
    await backend.close();
  }
}

async function benchBackend(
  subject: string,
  makeOptions: () => BackendOptions,
  cleanup: () => Promise<void>,
  events: number,
  samples: number,
): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  try {
    // 1. Accepting: sequential (one caller) and concurrent (many callers).
    await withBackend(makeOptions(), async (backend) => {
      let start = performance.now();
      for (let i = 0; i < events; i++) await backend.enqueue(makeEvent());
      rows.push({ subject, metric: 'enqueue, sequential', value: events / ((performance.now() - start) / 1000), unit: 'events/s' });
      start = performance.now();
      await pool(events, IN_FLIGHT, () => backend.enqueue(makeEvent()));
      rows.push({ subject, metric: `enqueue, ${IN_FLIGHT} in flight`, value: events / ((performance.now() - start) / 1000), unit: 'events/s' });
    });
    await cleanup();

    // 2. Latency: one event at a time, from the enqueue call to the handler's start.
    await withBackend(makeOptions(), async (backend) => {
      const calledAt = new Map<string, number>();
      const latencies: number[] = [];
      let started: (() => void) | undefined;
      const consumer = backend.consume(
        async (claimed) => {
          latencies.push(performance.now() - calledAt.get(claimed.requestId)!);
          started?.();
          return { ok: true, result: 'null' };
        },
        { concurrency: 1 },
      );
      await consumer.waitUntilReady();
      for (let i = 0; i < samples; i++) {
        const event = makeEvent();
        const start = new Promise<void>((resolve) => {
          started = resolve;
        });
        calledAt.set(event.requestId, performance.now());
        await backend.enqueue(event);
        await start;
      }
      await consumer.close({ drainTimeoutMs: 5000 });
      latencies.sort((a, b) => a - b);
      rows.push({ subject, metric: 'enqueue → handler start p50', value: percentile(latencies, 50), unit: 'ms' });
      rows.push({ subject, metric: 'enqueue → handler start p99', value: percentile(latencies, 99), unit: 'ms' });
    });
    await cleanup();

    // 3. End to end: many callers enqueue while one consumer (concurrency 64) runs a trivial handler.
    await withBackend(makeOptions(), async (backend) => {
      let finished = 0;
      let allDone!: () => void;
      const done = new Promise<void>((resolve) => {
        allDone = resolve;
      });
      const consumer = backend.consume(async () => ({ ok: true, result: 'null' }), {
        concurrency: IN_FLIGHT,
        onFinal: async () => {
          if (++finished === events) allDone();
        },
      });
      await consumer.waitUntilReady();
      const start = performance.now();
      await pool(events, IN_FLIGHT, () => backend.enqueue(makeEvent()));
      await done;
      rows.push({ subject, metric: 'end to end (enqueue → SUCCEEDED)', value: events / ((performance.now() - start) / 1000), unit: 'events/s' });
      await consumer.close({ drainTimeoutMs: 5000 });
    });
  } finally {
    await cleanup();
  }
  return rows;
}

/** Baseline: the cheapest durable queue cycle better-sqlite3 can do (insert, claim, complete). */
function baselineSqlite(events: number): BenchRow[] {
  const dir = mkdtempSync(join(tmpdir(), 'neolith-bench-raw-'));
  try {
    const db = new Database(join(dir, 'raw.db'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec(`CREATE TABLE q (id TEXT PRIMARY KEY, state TEXT NOT NULL, payload TEXT NOT NULL, at INTEGER NOT NULL);
             CREATE INDEX q_ready ON q (at) WHERE state = 'queued';`);
    const insert = db.prepare(`INSERT INTO q (id, state, payload, at) VALUES (?, 'queued', ?, ?)`);
    const claim = db.prepare(`UPDATE q SET state = 'running' WHERE id = (SELECT id FROM q WHERE state = 'queued' ORDER BY at LIMIT 1) RETURNING id`);
    const complete = db.prepare(`UPDATE q SET state = 'done' WHERE id = ?`);
    const start = performance.now();
    for (let i = 0; i < events; i++) {
      insert.run(randomUUID(), '{"n":1}', Date.now());
      const row = claim.get() as { id: string };
      complete.run(row.id);
    }
    const rate = events / ((performance.now() - start) / 1000);
    db.close();
    return [{ subject: 'raw better-sqlite3', metric: 'insert + claim + complete cycles', value: rate, unit: 'cycles/s' }];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Baseline: BullMQ alone, sequential adds and add → processed throughput. */
async function baselineBullmq(redisUrl: string, events: number): Promise<BenchRow[]> {
  const prefix = `neolith-bench-raw-${randomUUID()}`;
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue('raw', { connection, prefix });
  const rows: BenchRow[] = [];
  try {
    let start = performance.now();
    for (let i = 0; i < events; i++) await queue.add('job', { n: i }, { removeOnComplete: true });
    rows.push({ subject: 'raw BullMQ', metric: 'add, sequential', value: events / ((performance.now() - start) / 1000), unit: 'jobs/s' });
    await queue.obliterate({ force: true });

    let processed = 0;
    let allDone!: () => void;
    const done = new Promise<void>((resolve) => {
      allDone = resolve;
    });
    const worker = new Worker(
      'raw',
      async () => {
        if (++processed === events) allDone();
      },
      { connection: { url: redisUrl, maxRetriesPerRequest: null }, prefix, concurrency: IN_FLIGHT },
    );
    await worker.waitUntilReady();
    start = performance.now();
    await pool(events, IN_FLIGHT, (i) => queue.add('job', { n: i }, { removeOnComplete: true }));
    await done;
    rows.push({ subject: 'raw BullMQ', metric: `add + process, ${IN_FLIGHT} in flight`, value: events / ((performance.now() - start) / 1000), unit: 'jobs/s' });
    await worker.close();
  } finally {
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    await connection.quit();
  }
  return rows;
}

/** Run every measurement and return the rows (also printed by the script). */
export async function run(options: BenchOptions = {}): Promise<BenchRow[]> {
  const events = options.events ?? 5000;
  const samples = options.latencySamples ?? 500;
  const redisUrl = options.redisUrl ?? 'redis://127.0.0.1:6379';
  const rows: BenchRow[] = [];

  rows.push(...baselineSqlite(events));
  let dir = '';
  rows.push(
    ...(await benchBackend(
      'sqlite backend',
      () => {
        dir = mkdtempSync(join(tmpdir(), 'neolith-bench-'));
        return { kind: 'sqlite', stateDir: dir };
      },
      async () => {
        if (dir) rmSync(dir, { recursive: true, force: true });
      },
      events,
      samples,
    )),
  );

  rows.push(...(await baselineBullmq(redisUrl, events)));
  const prefix = `neolith-bench-${randomUUID()}`;
  rows.push(
    ...(await benchBackend(
      'redis backend',
      () => ({ kind: 'redis', redisUrl, prefix }),
      () => deleteRedisPrefix(redisUrl, prefix),
      events,
      samples,
    )),
  );
  return rows;
}

function printTable(rows: readonly BenchRow[]): void {
  const format = (row: BenchRow): string =>
    row.unit === 'ms' ? row.value.toFixed(2) : Math.round(row.value).toLocaleString('en-US');
  const table = rows.map((row) => [row.subject, row.metric, format(row), row.unit]);
  const header = ['subject', 'metric', 'value', 'unit'];
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((r) => r[i]!.length)));
  const line = (cells: string[]): string =>
    cells.map((cell, i) => (i === 2 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of table) console.log(line(row));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const events = process.argv[2] ? Number(process.argv[2]) : undefined;
  run(events ? { events } : {}).then(
    (rows) => {
      printTable(rows);
      process.exit(0);
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
