/**
 * A mapping killed mid-stream resumes from its durable checkpoint: `neolith
 * serve` polls a 3-shard stream into a recorder (one line per record), gets
 * SIGKILL while batches are still coming, and a restarted host on the same
 * state (sqlite) — or a second host on the same Redis — finishes the stream.
 * No record is skipped, each is processed at least once, and every host saw
 * each shard's records in sequence order.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { serveProcess, type ServeProcess } from '../support/serve-process.js';
import { tempDir } from '../support/temp-dir.js';
import { stopAndClean } from '../support/stop-and-clean.js';

const recorder = resolve(import.meta.dirname, '../fixtures/handlers/stream-recorder.mjs');
const dirs: Array<{ remove: () => void }> = [];
const servers: ServeProcess[] = [];
const RECORDS = 60;
const KEYS = 12;

const redisPrefixes: string[] = [];

afterAll(() => stopAndClean({ servers, dirs, redisPrefixes }));

interface Line { pid: number; shard: string; seq: string; data: string }

function setup(extra: Record<string, unknown> = {}) {
  const dir = tempDir('neolith-crash-');
  dirs.push(dir);
  const out = join(dir.path, 'out.jsonl');
  const config = join(dir.path, 'neolith.config.json');
  writeFileSync(config, JSON.stringify({
    ...extra,
    functions: { recorder: { handler: recorder, environment: { OUT: out, DELAY_MS: '60' } } },
    streams: { clicks: { shards: 3 } },
    eventSourceMappings: [{ source: 'stream:clicks', function: 'recorder', batchSize: 4 }],
  }));
  const lines = (): Line[] => (existsSync(out) ? readFileSync(out, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line) : []);
  return { dir: dir.path, config, lines };
}

async function start(args: string[]): Promise<ServeProcess> {
  const server = await serveProcess(args);
  servers.push(server);
  return server;
}

/** Puts RECORDS records over KEYS partition keys; resolves with each record's shard and sequence number. */
async function putRecords(url: string): Promise<Array<{ data: string; shard: string; seq: string }>> {
  const records = Array.from({ length: RECORDS }, (_, n) => ({ partitionKey: `user-${n % KEYS}`, data: Buffer.from(`r${n}`).toString('base64') }));
  const response = await fetch(`${url}/streams/clicks/records`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ records }) });
  expect(response.status).toBe(200);
  const body = await response.json() as { FailedRecordCount: number; Records: Array<{ SequenceNumber: string; ShardId: string }> };
  expect(body.FailedRecordCount).toBe(0);
  return body.Records.map((r, n) => ({ data: `r${n}`, shard: r.ShardId, seq: r.SequenceNumber }));
}

function expectResumed(put: Array<{ data: string; shard: string; seq: string }>, lines: Line[], killedAfter: number): void {
  // Mid-stream: the kill came after some records and before the last.
  expect(killedAfter).toBeGreaterThan(0);
  expect(killedAfter).toBeLessThan(RECORDS);
  // Nothing skipped: every record was processed at least once.
  expect(new Set(lines.map((l) => l.data))).toEqual(new Set(put.map((p) => p.data)));
  // Each record on the shard it was put on, with its sequence number.
  const bySeq = new Map(put.map((p) => [p.data, p]));
  for (const l of lines) expect({ shard: l.shard, seq: l.seq }).toEqual({ shard: bySeq.get(l.data)!.shard, seq: bySeq.get(l.data)!.seq });
  // Order kept per shard: each host saw each shard's records in strictly rising sequence order...
  const runs = new Map<string, string[]>();
  for (const l of lines) runs.set(`${l.pid}/${l.shard}`, [...(runs.get(`${l.pid}/${l.shard}`) ?? []), l.seq]);
  for (const seqs of runs.values()) expect(seqs).toEqual([...seqs].sort());
  // ...and the first time each record was seen follows the order it was put in, per shard.
  const firstSeen = new Map<string, string[]>();
  const seen = new Set<string>();
  for (const l of lines) {
    if (seen.has(l.data)) continue;
    seen.add(l.data);
    firstSeen.set(l.shard, [...(firstSeen.get(l.shard) ?? []), l.data]);
  }
  const putOrder = new Map<string, string[]>();
  for (const p of put) putOrder.set(p.shard, [...(putOrder.get(p.shard) ?? []), p.data]);
  expect(Object.fromEntries(firstSeen)).toEqual(Object.fromEntries(putOrder));
}

describe('a mapping killed mid-stream resumes from its checkpoint', () => {
  it('sqlite: a restarted host on the same state finishes the stream, skipping nothing, in order per shard', async () => {
    const { dir, config, lines } = setup();
    const first = await start(['--config', config, '--state', join(dir, 'state')]);
    const put = await putRecords(first.url);
    await vi.waitFor(() => expect(lines().length).toBeGreaterThanOrEqual(8), { timeout: 20_000, interval: 10 });
    await first.kill();
    const killedAfter = lines().length;
    const second = await start(['--config', config, '--state', join(dir, 'state')]);
    await vi.waitFor(() => expect(new Set(lines().map((l) => l.data)).size).toBe(RECORDS), { timeout: 20_000, interval: 20 });
    expect(await second.stop(), second.output()).toBe(0);
    expectResumed(put, lines(), killedAfter);
  }, 60_000);

  it('redis: a second host on the same Redis takes the killed host\'s shards over once its leases lapse', async () => {
    const redisPrefix = `crash-${randomUUID()}`;
    redisPrefixes.push(redisPrefix);
    const { dir, config, lines } = setup({ backend: 'redis', redisPrefix });
    // A starts first and leases every shard; B, started next, waits for a lease to lapse.
    const a = await start(['--config', config, '--state', join(dir, 'a')]);
    const b = await start(['--config', config, '--state', join(dir, 'b')]);
    const put = await putRecords(a.url);
    await vi.waitFor(() => expect(lines().length).toBeGreaterThanOrEqual(8), { timeout: 20_000, interval: 10 });
    await a.kill();
    const killedAfter = lines().length;
    await vi.waitFor(() => expect(new Set(lines().map((l) => l.data)).size).toBe(RECORDS), { timeout: 40_000, interval: 50 });
    expect(await b.stop(), b.output()).toBe(0);
    expectResumed(put, lines(), killedAfter);
    expect(new Set(lines().map((l) => l.pid)).size).toBe(2);
  }, 90_000);
});
