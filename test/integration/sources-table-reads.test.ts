/**
 * On the sqlite backend a handler's table reads (get, batchGet, query, scan)
 * run on its environment's own read-only connection: no call to the host's
 * main thread, the same answers and errors as the host's route, a read after
 * the handler's own write sees it, and a connection that cannot open hands
 * the reads back to the host. On redis every read still goes to the host.
 */
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHost, type Host } from '../../runtime/index.js';
import type { HostCall } from '../../runtime/environment/index.js';
import { SqliteSourceStore } from '../../runtime/backend/index.js';
import { Tables } from '../../runtime/sources/pull/tables.js';
import { tempDir } from '../support/temp-dir.js';

const handlers = resolve(import.meta.dirname, '../fixtures/handlers');
const PREFIX = `test-table-reads-${randomUUID()}`;

interface Step { table: string; op: string; args: unknown[]; bigKey?: number }
type Answer = { ok: unknown } | { error: { class: string; code: string; message: string } };

async function startHost(backend: 'sqlite' | 'redis', stateDir: string): Promise<{ host: Host; calls: HostCall[] }> {
  const host = await createHost({
    rootDir: handlers,
    config: {
      stateDir, backend, redisPrefix: PREFIX,
      functions: { reader: { handler: './table-reads.mjs' }, spare: { handler: './table-reads.mjs' }, late: { handler: './table-reads.mjs' } },
      tables: { notes: { partitionKey: 'id' }, events: { partitionKey: 'user', sortKey: 'at' } },
    },
  });
  // Every call a handler makes to the host's main thread, recorded on its way in.
  const calls: HostCall[] = [];
  const serve = host.registry.hostCall!;
  host.registry.hostCall = (call) => {
    calls.push(call);
    return serve(call);
  };
  return { host, calls };
}

async function run(host: Host, fn: string, steps: Step[]): Promise<Answer[]> {
  const result = await host.invoke(fn, { steps });
  expect(result.functionError, result.payload).toBeUndefined();
  return JSON.parse(result.payload!) as Answer[];
}

/** What the host's own tables answer for the same operation, as the handler would see it (JSON). */
async function hostAnswer(host: Host, { table, op, args }: Step): Promise<Answer> {
  const t = host.sources.tables as unknown as Record<string, (name: string, ...rest: unknown[]) => Promise<unknown>>;
  try {
    switch (op) {
      case 'get': return { ok: (await t.get!(table, args[0])) ?? null };
      case 'batchGet': return { ok: await t.batchGet!(table, args[0]) };
      // The client's query gathers pages up to its limit (one here); queryPage is one page, as the host answers it.
      case 'query': return { ok: ((await t.query!(table, args[0])) as { items: unknown[] }).items };
      case 'queryPage': return { ok: await t.query!(table, args[0]) };
      case 'scan': return { ok: await t.scan!(table, args[0] ?? {}) };
      default: throw new Error(`no ${op}`);
    }
  } catch (error) {
    const e = error as Error & { code: string };
    return { error: { class: e.constructor.name, code: e.code, message: e.message } };
  }
}

describe('table reads on the sqlite backend', () => {
  const state = tempDir();
  let host: Host;
  let calls: HostCall[];

  beforeAll(async () => {
    ({ host, calls } = await startHost('sqlite', state.path));
    await host.sources.tables.put('notes', { id: 'n1', text: 'one' });
    await host.sources.tables.put('notes', { id: 'n2', text: 'two', tags: ['a', { b: 1 }] });
    for (const at of [3, 1, 2]) await host.sources.tables.put('events', { user: 'u1', at, kind: `k${at}` });
  });

  afterAll(async () => {
    await host?.close();
    state.remove();
  });

  const reads: Step[] = [
    { table: 'notes', op: 'get', args: [{ id: 'n2' }] },
    { table: 'notes', op: 'get', args: [{ id: 'missing' }] },
    { table: 'notes', op: 'batchGet', args: [[{ id: 'n2' }, { id: 'missing' }, { id: 'n1' }]] },
    { table: 'events', op: 'query', args: [{ partitionKey: 'u1', from: 2, reverse: true }] },
    { table: 'notes', op: 'scan', args: [{ limit: 1 }] },
    { table: 'events', op: 'queryPage', args: [{ partitionKey: 'u1', limit: 2 }] },
  ];
  const refused: Step[] = [
    { table: 'nope', op: 'get', args: [{ id: 'x' }] },
    { table: 'notes', op: 'get', args: [{ other: 'x' }] },
    { table: 'notes', op: 'batchGet', args: [Array.from({ length: 101 }, (_, i) => ({ id: `i${i}` }))] },
    { table: 'notes', op: 'scan', args: [{ cursor: 'not a cursor' }] },
    { table: 'events', op: 'query', args: [{ partitionKey: 'u1', beginsWith: 7 }] },
    { table: 'events', op: 'queryPage', args: [{ partitionKey: 'u1', cursor: '["never given' }] },
    // Names of Object.prototype's properties are no tables (the environment's copy of the config is a plain object).
    { table: 'constructor', op: 'scan', args: [{}] },
    { table: '__proto__', op: 'query', args: [{ partitionKey: 'x' }] },
    { table: 'toString', op: 'get', args: [{ id: 'x' }] },
    // Over the 8 MB a JSON call may hold: refused before it is parsed, as the host's route refuses it.
    { table: 'notes', op: 'get', args: [], bigKey: 9 * 1024 * 1024 },
  ];

  it('answers get, batchGet, query and scan as the host does, without calling the host', async () => {
    calls.length = 0;
    const answers = await run(host, 'reader', reads);
    expect(answers).toEqual(await Promise.all(reads.map((step) => hostAnswer(host, step))));
    expect((answers[3] as { ok: Array<{ item: { at: number } }> }).ok.map((v) => v.item.at)).toEqual([3, 2]);
    expect(calls).toEqual([]);
  });

  it('refuses bad reads with the host\'s errors, typed as the client\'s own classes', async () => {
    calls.length = 0;
    const answers = await run(host, 'reader', refused);
    const expected = await Promise.all(refused.slice(0, -1).map((step) => hostAnswer(host, step)));
    expect(answers.slice(0, -1)).toEqual(expected);
    expect(answers.map((a) => ('error' in a ? a.error.class : 'ok'))).toEqual([
      'ResourceNotFoundError', 'InvalidParameterValueError', 'InvalidParameterValueError', 'InvalidParameterValueError', 'InvalidParameterValueError',
      'InvalidParameterValueError', 'ResourceNotFoundError', 'ResourceNotFoundError', 'ResourceNotFoundError',
      'RequestTooLargeError',
    ]);
    expect(calls).toEqual([]);
  });

  it('stops a query page at 1 MB, and the client\'s query reads on to its limit', async () => {
    const body = 'x'.repeat(300 * 1024);
    for (let at = 1; at <= 5; at++) await host.sources.tables.put('events', { user: 'big', at, body });
    const [all, page] = await run(host, 'reader', [
      { table: 'events', op: 'query', args: [{ partitionKey: 'big', limit: 5 }] },
      { table: 'events', op: 'queryPage', args: [{ partitionKey: 'big', limit: 5 }] },
    ]) as Array<{ ok: unknown }>;
    expect((all!.ok as Array<{ item: { at: number } }>).map((v) => v.item.at)).toEqual([1, 2, 3, 4, 5]);
    const first = page!.ok as { items: Array<{ item: { at: number } }>; next?: string };
    expect(first.items.map((v) => v.item.at)).toEqual([1, 2, 3, 4]);
    expect(first.next).toEqual(expect.any(String));
  });

  it('sees the handler\'s own write in the read right after it', async () => {
    calls.length = 0;
    const answers = await run(host, 'reader', [
      { table: 'notes', op: 'put', args: [{ id: 'n3', text: 'fresh' }] },
      { table: 'notes', op: 'get', args: [{ id: 'n3' }] },
      { table: 'notes', op: 'update', args: [{ id: 'n3' }, { text: 'changed' }] },
      { table: 'notes', op: 'batchGet', args: [[{ id: 'n3' }]] },
    ]);
    expect(answers[1]).toEqual({ ok: { item: { id: 'n3', text: 'fresh' }, version: 1 } });
    expect(answers[3]).toEqual({ ok: [{ item: { id: 'n3', text: 'changed' }, version: 2 }] });
    expect(calls.map((c) => c.op)).toEqual(['put', 'update']);
  });

  it('hands the reads to the host when the environment cannot open the file', async () => {
    const offered = host.registry.tableReads!;
    // Taken by environments that start from now on: `spare` has none yet.
    host.registry.tableReads = { ...offered, stateDir: resolve(state.path, 'no-such-dir') };
    try {
      calls.length = 0;
      const answers = await run(host, 'spare', reads);
      expect(answers).toEqual(await Promise.all(reads.map((step) => hostAnswer(host, step))));
      expect(calls.map((c) => c.op)).toEqual(['get', 'get', 'batch-get', 'query', 'scan', 'query']);
    } finally {
      host.registry.tableReads = offered;
    }
  });

  it('tries to open again on the next read when opening failed (a new state dir\'s tables appear after a provisioned init)', async () => {
    const offered = host.registry.tableReads!;
    const later = tempDir();
    // `late` starts pointed at a directory with no database yet.
    host.registry.tableReads = { ...offered, stateDir: later.path };
    let other: SqliteSourceStore | undefined;
    try {
      calls.length = 0;
      const first = await run(host, 'late', [{ table: 'notes', op: 'get', args: [{ id: 'n1' }] }]);
      expect(first).toEqual([{ ok: { item: { id: 'n1', text: 'one' }, version: 1 } }]);
      expect(calls.map((c) => c.op)).toEqual(['get']);
      // The database exists now, holding a different n1: the next read opens it and answers from it.
      other = new SqliteSourceStore(later.path);
      await new Tables(other, offered.tables, () => {}).put('notes', { id: 'n1', text: 'other' });
      calls.length = 0;
      const second = await run(host, 'late', [{ table: 'notes', op: 'get', args: [{ id: 'n1' }] }]);
      expect(second).toEqual([{ ok: { item: { id: 'n1', text: 'other' }, version: 1 } }]);
      expect(calls).toEqual([]);
    } finally {
      host.registry.tableReads = offered;
      await other?.close();
      later.remove();
    }
  });
});

describe('table reads on the redis backend', () => {
  const state = tempDir();
  let host: Host;
  let calls: HostCall[];

  beforeAll(async () => {
    ({ host, calls } = await startHost('redis', state.path));
    await host.sources.tables.put('notes', { id: 'n1', text: 'one' });
  });

  afterAll(async () => {
    await host?.close();
    state.remove();
    const r = new Redis();
    const keys = await r.keys(`${PREFIX}:*`);
    if (keys.length > 0) await r.del(...keys);
    r.disconnect();
  });

  it('go to the host, which holds the tables', async () => {
    expect(host.registry.tableReads).toBeUndefined();
    const answers = await run(host, 'reader', [{ table: 'notes', op: 'get', args: [{ id: 'n1' }] }]);
    expect(answers).toEqual([{ ok: { item: { id: 'n1', text: 'one' }, version: 1 } }]);
    expect(calls.map((c) => c.op)).toEqual(['get']);
  });
});
