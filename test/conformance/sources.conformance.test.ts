/**
 * The event-source store contract, run unchanged against SQLite and Redis:
 * shard order and sequence numbers, retention, atomic conditional item writes
 * with their change records, queries, durable checkpoints (a reopened store
 * resumes), leases, mapping definitions, objects and the notification outbox
 * written with them.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSourceStore, ITEM_PAGE_BYTES, type ItemChange, type ItemPage, type ObjectMeta, type PendingNotification, type SourceStore } from '../../runtime/backend/index.js';
import { tempDir } from '../support/temp-dir.js';

const REDIS_URL = 'redis://127.0.0.1:6379';

interface Harness {
  name: string;
  fresh(): void;
  open(): SourceStore;
  cleanup(): Promise<void>;
}

function sqlite(): Harness {
  let dir: ReturnType<typeof tempDir> | undefined;
  return {
    name: 'sqlite',
    fresh: () => { dir = tempDir('neolith-sources-'); },
    open: () => createSourceStore({ kind: 'sqlite', stateDir: dir!.path }),
    cleanup: async () => dir?.remove(),
  };
}

function redis(): Harness {
  let prefix = '';
  return {
    name: 'redis',
    fresh: () => { prefix = `test-${randomUUID()}`; },
    open: () => createSourceStore({ kind: 'redis', redisUrl: REDIS_URL, prefix }),
    cleanup: async () => {
      const r = new Redis(REDIS_URL);
      const keys = await r.keys(`${prefix}:*`);
      if (keys.length > 0) await r.del(...keys);
      await r.quit();
    },
  };
}

/** Every page of a whole-table scan, in order (at most 100 pages). */
async function scanPages(s: SourceStore, table: string, limit: number): Promise<ItemPage[]> {
  const pages: ItemPage[] = [];
  let cursor = '';
  do {
    const page = await s.scanItems(table, cursor, limit);
    pages.push(page);
    cursor = page.next ?? '';
  } while (cursor !== '' && pages.length < 100);
  return pages;
}

describe.each([sqlite(), redis()])('SourceStore conformance: $name', (h) => {
  const open: SourceStore[] = [];
  const store = () => {
    const s = h.open();
    open.push(s);
    return s;
  };
  beforeEach(() => h.fresh());
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
    await h.cleanup();
  });
  afterAll(async () => h.cleanup());

  it('appends in order per shard with increasing fixed-width sequence numbers', async () => {
    const s = store();
    const ref = { stream: 'kinesis:orders', shard: 0 };
    expect(await s.lastSequence(ref)).toBe('');
    const seqs = await s.appendRecords('kinesis:orders', [0, 1, 2, 3].map((i) => ({ shard: i % 2, partitionKey: `k${i}`, data: `d${i}` })));
    expect(seqs).toHaveLength(4);
    expect([...seqs].sort()).toEqual(seqs);
    expect(new Set(seqs.map((x) => x.length)).size).toBe(1);
    const shard0 = await s.readShard(ref, '', 10);
    expect(shard0.map((r) => r.data)).toEqual(['d0', 'd2']);
    expect(shard0[0]).toMatchObject({ shard: 0, partitionKey: 'k0', sequenceNumber: seqs[0] });
    expect((await s.readShard(ref, seqs[0]!, 10)).map((r) => r.data)).toEqual(['d2']);
    expect(await s.readShard(ref, '', 1)).toHaveLength(1);
    expect(await s.lastSequence(ref)).toBe(seqs[2]);
  });

  it('finds the record before a timestamp and trims by age', async () => {
    const s = store();
    const ref = { stream: 'kinesis:t', shard: 0 };
    const [first] = await s.appendRecords('kinesis:t', [{ shard: 0, partitionKey: 'a', data: 'x' }]);
    const records = await s.readShard(ref, '', 10);
    expect(await s.sequenceBefore(ref, records[0]!.arrivedAt)).toBe('');
    expect(await s.sequenceBefore(ref, records[0]!.arrivedAt + 1)).toBe(first);
    expect(await s.trimShard(ref, records[0]!.arrivedAt)).toBe(0);
    expect(await s.trimShard(ref, records[0]!.arrivedAt + 1)).toBe(1);
    expect(await s.readShard(ref, '', 10)).toEqual([]);
  });

  it('writes items conditionally and appends one change record per change, atomically', async () => {
    const s = store();
    const change = { stream: 'dynamodb:users', shard: 0, keys: { id: 'u1' } };
    const w = (item: Record<string, unknown> | null, condition?: object) => s.writeItem({ table: 'users', pk: 'u1', sk: '', item, change, ...(condition && { condition }) });
    expect(await w({ id: 'u1', n: 1 }, { ifNotExists: true })).toMatchObject({ ok: true, version: 1 });
    expect(await w({ id: 'u1', n: 2 }, { ifNotExists: true })).toMatchObject({ ok: false, current: { version: 1, item: { id: 'u1', n: 1 } } });
    expect(await w({ id: 'u1', n: 2 }, { expectedVersion: 5 })).toMatchObject({ ok: false });
    expect(await w({ id: 'u1', n: 2 }, { expectedVersion: 1 })).toMatchObject({ ok: true, version: 2, old: { version: 1 } });
    expect(await s.getItem('users', 'u1', '')).toEqual({ item: { id: 'u1', n: 2 }, version: 2 });
    // The same item again is a write, but no change: DynamoDB Streams records none.
    const same = await w({ id: 'u1', n: 2 });
    expect(same).toMatchObject({ ok: true, version: 3, old: { version: 2 } });
    expect(same).not.toHaveProperty('sequenceNumber');
    expect(await w(null)).toMatchObject({ ok: true, version: 0, old: { item: { id: 'u1', n: 2 } } });
    expect(await w(null)).toMatchObject({ ok: true, version: 0 }); // nothing to delete: no change record
    expect(await s.getItem('users', 'u1', '')).toBeUndefined();
    const changes = (await s.readShard({ stream: 'dynamodb:users', shard: 0 }, '', 10)).map((r) => JSON.parse(r.data) as ItemChange);
    expect(changes).toEqual([
      { eventName: 'INSERT', keys: { id: 'u1' }, oldImage: null, newImage: { id: 'u1', n: 1 } },
      { eventName: 'MODIFY', keys: { id: 'u1' }, oldImage: { id: 'u1', n: 1 }, newImage: { id: 'u1', n: 2 } },
      { eventName: 'REMOVE', keys: { id: 'u1' }, oldImage: { id: 'u1', n: 2 }, newImage: null },
    ]);
  });

  it('keeps items apart whatever their keys hold, NUL included', async () => {
    const s = store();
    const put = (pk: string, sk: string, n: number) => s.writeItem({ table: 't', pk, sk, item: { pk, sk, n } });
    await put('a\u0000b', 'c', 1);
    await put('a', 'b\u0000c', 2);
    await put('a', '\u0000bc', 3);
    await put('\u00002\u0000a', 'b', 4);
    expect((await s.getItem('t', 'a\u0000b', 'c'))?.item.n).toBe(1);
    expect((await s.getItem('t', 'a', 'b\u0000c'))?.item.n).toBe(2);
    expect((await s.getItem('t', 'a', '\u0000bc'))?.item.n).toBe(3);
    expect((await s.getItem('t', '\u00002\u0000a', 'b'))?.item.n).toBe(4);
    const { items } = await s.scanItems('t', '', 100);
    expect(items.map((i) => i.item.n).sort()).toEqual([1, 2, 3, 4]);
  });

  it('queries a partition by sort key', async () => {
    const s = store();
    for (const sk of ['2024-01', '2024-02', '2025-01', '2025-02']) {
      await s.writeItem({ table: 'events', pk: 'u1', sk, item: { user: 'u1', at: sk } });
    }
    await s.writeItem({ table: 'events', pk: 'u2', sk: '2024-01', item: { user: 'u2', at: '2024-01' } });
    const at = (page: { items: Array<{ item: Record<string, unknown> }> }) => page.items.map((i) => i.item.at);
    expect(at(await s.queryItems({ table: 'events', pk: 'u1' }))).toEqual(['2024-01', '2024-02', '2025-01', '2025-02']);
    expect(at(await s.queryItems({ table: 'events', pk: 'u1', skBeginsWith: '2025' }))).toEqual(['2025-01', '2025-02']);
    expect(at(await s.queryItems({ table: 'events', pk: 'u1', skFrom: '2024-02', skTo: '2025-01' }))).toEqual(['2024-02', '2025-01']);
    expect(at(await s.queryItems({ table: 'events', pk: 'u1', reverse: true, limit: 2 }))).toEqual(['2025-02', '2025-01']);
    expect(await s.queryItems({ table: 'events', pk: 'nobody' })).toEqual({ items: [] });
    // A prefix holding a NUL is a prefix like any other.
    for (const sk of ['n\u0000x', 'n\u0000y', 'n1']) await s.writeItem({ table: 'events', pk: 'u3', sk, item: { user: 'u3', at: sk } });
    expect(at(await s.queryItems({ table: 'events', pk: 'u3', skBeginsWith: 'n\u0000' }))).toEqual(['n\u0000x', 'n\u0000y']);
  });

  it('pages a query from a cursor, forward and reverse, inside its bounds', async () => {
    const s = store();
    const sks = ['a1', 'a2', 'a3', 'b1', 'b2', 'c1'];
    for (const sk of sks) await s.writeItem({ table: 'events', pk: 'u1', sk, item: { at: sk } });
    const at = (page: { items: Array<{ item: Record<string, unknown> }> }) => page.items.map((i) => i.item.at);
    const first = await s.queryItems({ table: 'events', pk: 'u1', limit: 4 });
    expect(first).toMatchObject({ next: 'b1' });
    expect(at(first)).toEqual(['a1', 'a2', 'a3', 'b1']);
    // The rest, and a full last page says there may be more: the page after it is empty.
    const second = await s.queryItems({ table: 'events', pk: 'u1', limit: 2, after: first.next! });
    expect(at(second)).toEqual(['b2', 'c1']);
    expect(await s.queryItems({ table: 'events', pk: 'u1', limit: 2, after: second.next! })).toEqual({ items: [] });
    expect(at(await s.queryItems({ table: 'events', pk: 'u1', reverse: true, after: 'b1' }))).toEqual(['a3', 'a2', 'a1']);
    expect(at(await s.queryItems({ table: 'events', pk: 'u1', skBeginsWith: 'a', after: 'a1' }))).toEqual(['a2', 'a3']);
    // A cursor outside the bounds narrows nothing and widens nothing.
    expect(at(await s.queryItems({ table: 'events', pk: 'u1', skFrom: 'a3', skTo: 'b2', after: 'a' }))).toEqual(['a3', 'b1', 'b2']);
    expect(at(await s.queryItems({ table: 'events', pk: 'u1', skFrom: 'a3', skTo: 'b2', reverse: true, after: 'z' }))).toEqual(['b2', 'b1', 'a3']);
    expect(at(await s.queryItems({ table: 'events', pk: 'u1', skTo: 'b1', after: 'b1' }))).toEqual([]);
    // A table without a sort key stores '' as the sort key: a query still finds the item.
    await s.writeItem({ table: 'flat', pk: 'k', sk: '', item: { at: 'only' } });
    expect(at(await s.queryItems({ table: 'flat', pk: 'k' }))).toEqual(['only']);
  });

  it('stops a query or scan page at 1 MB of items, whatever its limit (DynamoDB\'s cap)', async () => {
    const s = store();
    const body = 'x'.repeat(300 * 1024);
    for (let n = 0; n < 6; n++) await s.writeItem({ table: 'big', pk: 'p', sk: `s${n}`, item: { n, body } });
    const first = await s.queryItems({ table: 'big', pk: 'p', limit: 1000 });
    // 4 × 300 KB passes 1 MB: the page ends with the item that reached it.
    expect(first.items.map((i) => i.item.n)).toEqual([0, 1, 2, 3]);
    expect(first.next).toBe('s3');
    const rest = await s.queryItems({ table: 'big', pk: 'p', limit: 1000, after: first.next! });
    expect(rest).toEqual({ items: [{ item: { n: 4, body }, version: 1 }, { item: { n: 5, body }, version: 1 }] });
    const reversed = await s.queryItems({ table: 'big', pk: 'p', reverse: true, limit: 1000 });
    expect(reversed.items.map((i) => i.item.n)).toEqual([5, 4, 3, 2]);

    // Small items first, then large ones: the page still stops at the item that reached 1 MB.
    for (let n = 0; n < 8; n++) await s.writeItem({ table: 'big', pk: 'mixed', sk: `a${n}`, item: { n } });
    for (let n = 0; n < 10; n++) await s.writeItem({ table: 'big', pk: 'mixed', sk: `b${n}`, item: { n: 100 + n, body } });
    const mixed = await s.queryItems({ table: 'big', pk: 'mixed', limit: 1000 });
    expect(mixed.items.map((i) => i.item.n)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 100, 101, 102, 103]);
    expect(mixed.next).toBe('b3');

    /** Scans a whole table; each page's items' JSON must stay under `most` bytes. */
    const scanAll = async (table: string, most: number): Promise<{ seen: number[]; pages: number }> => {
      const pages = await scanPages(s, table, 1000);
      for (const page of pages) expect(Buffer.byteLength(JSON.stringify(page.items.map((i) => i.item)))).toBeLessThan(most);
      const seen = pages.flatMap((page) => page.items.map((i) => i.item.n as number));
      return { seen: seen.sort((a, b) => a - b), pages: pages.length };
    };
    const upTo = (n: number) => Array.from({ length: n }, (_, i) => i);
    for (let n = 0; n < 20; n++) await s.writeItem({ table: 'wide', pk: `large${n}`, sk: '', item: { n, body } });
    // Items of one size: SQLite stops at the item that reached 1 MB. Redis cannot stop inside one HSCAN
    // reply, and a reply holds whole buckets (while Redis resizes a hash, which it does a step per write, a
    // bucket of the old table and two of the new). How many items share them depends on the server's hash
    // seed, random at each start: one server put 8 items on a page, 4 past the item that reached 1 MB, on
    // every run. So on Redis a page may pass 1 MB by several items: up to 10 items a page here (8 is the most
    // seen; 20 keys in 16 buckets rarely crowd more into one step), and the table still splits into pages.
    const wide = await scanAll('wide', ITEM_PAGE_BYTES + (s.kind === 'sqlite' ? 1 : 7) * body.length);
    expect(wide.seen).toEqual(upTo(20));
    expect(wide.pages).toBeGreaterThanOrEqual(s.kind === 'sqlite' ? 5 : 3);
    // Small and large items mixed: on Redis a step sized by small items may bring up to 32 large ones.
    for (let n = 0; n < 20; n++) await s.writeItem({ table: 'mixed', pk: `small${n}`, sk: '', item: { n } });
    for (let n = 20; n < 40; n++) await s.writeItem({ table: 'mixed', pk: `large${n}`, sk: '', item: { n, body } });
    const mixedScan = await scanAll('mixed', ITEM_PAGE_BYTES + (s.kind === 'sqlite' ? 1 : 32) * body.length + 4096);
    expect(mixedScan.seen).toEqual(upTo(40));
  });

  it('pages a long query to its end, each key once and in order, both ways', async () => {
    const s = store();
    const sks = Array.from({ length: 40 }, (_, n) => `k${String(n).padStart(2, '0')}`);
    for (const sk of [...sks].reverse()) await s.writeItem({ table: 'events', pk: 'u1', sk, item: { sk } });
    await s.writeItem({ table: 'events', pk: 'u1', sk: 'z', item: { sk: 'z' } });
    for (const reverse of [false, true]) {
      const seen: unknown[] = [];
      let after: string | undefined;
      let pages = 0;
      do {
        const page = await s.queryItems({ table: 'events', pk: 'u1', skBeginsWith: 'k', limit: 7, reverse, ...(after !== undefined && { after }) });
        seen.push(...page.items.map((i) => i.item.sk));
        after = page.next;
        pages++;
      } while (after !== undefined && pages < 100);
      expect(seen).toEqual(reverse ? [...sks].reverse() : sks);
      expect(pages).toBe(6);
    }
  });

  it('counts only keys with the prefix toward a query\'s limit, whatever its other bounds', async () => {
    const s = store();
    for (const sk of ['a1', 'a2', 'a3', ...Array.from({ length: 50 }, (_, n) => `b${String(n).padStart(3, '0')}`)]) {
      await s.writeItem({ table: 'events', pk: 'u1', sk, item: { sk } });
    }
    expect(await s.queryItems({ table: 'events', pk: 'u1', skBeginsWith: 'a', skTo: 'z', reverse: true, limit: 5 })).toEqual({
      items: [{ item: { sk: 'a3' }, version: 1 }, { item: { sk: 'a2' }, version: 1 }, { item: { sk: 'a1' }, version: 1 }],
    });
    expect((await s.queryItems({ table: 'events', pk: 'u1', skBeginsWith: 'b', skFrom: 'a', limit: 2 })).items.map((i) => i.item.sk)).toEqual(['b000', 'b001']);
  });

  it('gets several items at once, in the order asked, and scans a whole table page by page', async () => {
    const s = store();
    for (let n = 0; n < 25; n++) await s.writeItem({ table: 'many', pk: `k${n}`, sk: '', item: { id: `k${n}` } });
    await s.writeItem({ table: 'other', pk: 'k0', sk: '', item: { id: 'elsewhere' } });
    await s.writeItem({ table: 'many', pk: 'k3', sk: '', item: { id: 'k3', again: true } });
    const got = await s.getItems('many', [{ pk: 'k3', sk: '' }, { pk: 'missing', sk: '' }, { pk: 'k0', sk: '' }]);
    expect(got).toEqual([{ item: { id: 'k3', again: true }, version: 2 }, undefined, { item: { id: 'k0' }, version: 1 }]);
    expect(await s.getItems('many', [])).toEqual([]);
    const seen = (await scanPages(s, 'many', 10)).flatMap((page) => page.items.map((i) => i.item.id as string));
    // Every item once (a page holds about `limit`: Redis' HSCAN COUNT is a hint); nothing of another table.
    expect(seen.sort()).toEqual(Array.from({ length: 25 }, (_, n) => `k${n}`).sort());
    expect((await s.scanItems('empty', '', 10)).items).toEqual([]);
  });

  it('scans items that share a partition key across page boundaries, each once', async () => {
    const s = store();
    const keys: string[] = [];
    for (let p = 0; p < 7; p++) {
      for (const sk of ['a', 'b', 'c']) {
        await s.writeItem({ table: 'sorted', pk: `p${p}`, sk, item: { id: `p${p}#${sk}` } });
        keys.push(`p${p}#${sk}`);
      }
    }
    // A page of 4 ends inside a partition key's sort keys every time but one.
    const seen = (await scanPages(s, 'sorted', 4)).flatMap((page) => page.items.map((i) => i.item.id as string));
    expect(seen).toHaveLength(keys.length);
    expect([...seen].sort()).toEqual(keys);
    // SQLite pages follow the primary key, (pk, sk).
    if (s.kind === 'sqlite') expect(seen).toEqual(keys);
  });

  it('keeps checkpoints durably: a reopened store resumes where the last one stopped', async () => {
    const s = store();
    const [a, b] = await s.appendRecords('kinesis:c', [{ shard: 0, partitionKey: 'k', data: '1' }, { shard: 0, partitionKey: 'k', data: '2' }]);
    const ref = { mappingId: 'm1', stream: 'kinesis:c', shard: 0, lane: 0 };
    expect(await s.getCheckpoint(ref)).toBeUndefined();
    await s.setCheckpoint(ref, '');
    expect(await s.getCheckpoint(ref)).toBe('');
    await s.setCheckpoint(ref, a!);
    await s.setCheckpoint({ ...ref, lane: 1 }, b!);
    await s.close();
    const again = store();
    expect(await again.getCheckpoint(ref)).toBe(a);
    expect(await again.getCheckpoint({ ...ref, lane: 1 })).toBe(b);
    expect((await again.readShard(ref, a!, 10)).map((r) => r.data)).toEqual(['2']);
    await again.deleteCheckpoints('m1', [{ stream: 'kinesis:c', shard: 0 }]);
    expect(await again.getCheckpoint(ref)).toBeUndefined();
  });

  it('grants a lease to one owner at a time', async () => {
    const s = store();
    expect(await s.tryLease('lane', 'host-a', 60_000)).toBe(true);
    expect(await s.tryLease('lane', 'host-b', 60_000)).toBe(false);
    expect(await s.tryLease('lane', 'host-a', 60_000)).toBe(true);
    await s.releaseLease('lane', 'host-a');
    expect(await s.tryLease('lane', 'host-b', 60_000)).toBe(true);
  });

  it('stores mapping definitions', async () => {
    const s = store();
    await s.putMapping('b', '{"x":2}');
    await s.putMapping('a', '{"x":1}');
    await s.putMapping('a', '{"x":3}');
    expect(await s.listMappings()).toEqual([{ id: 'a', definition: '{"x":3}' }, { id: 'b', definition: '{"x":2}' }]);
    expect(await s.deleteMapping('a')).toBe(true);
    expect(await s.deleteMapping('a')).toBe(false);
  });

  it('stores objects with metadata, lists by prefix, deletes', async () => {
    const s = store();
    const meta = await s.putObject('avatars', 'users/../u1 photo.png', Buffer.from('png!'), 'image/png');
    expect(meta).toMatchObject({ key: 'users/../u1 photo.png', size: 4, eTag: expect.stringMatching(/^[0-9a-f]{32}$/), contentType: 'image/png' });
    await s.putObject('avatars', 'other', Buffer.from('x'), 'text/plain');
    const got = await s.getObject('avatars', 'users/../u1 photo.png');
    expect(got?.body.toString()).toBe('png!');
    expect((await s.listObjects('avatars', 'users/', 10)).map((o) => o.key)).toEqual(['users/../u1 photo.png']);
    expect(await s.deleteObject('avatars', 'other')).toMatchObject({ key: 'other' });
    expect(await s.deleteObject('avatars', 'other')).toBeUndefined();
    expect(await s.headObject('avatars', 'other')).toBeUndefined();
  });

  it('lists objects after a start-after key, and by a prefix holding a NUL', async () => {
    const s = store();
    for (const key of ['a\u0000b', 'a\u0000c', 'a1', 'b', 'c']) await s.putObject('avatars', key, Buffer.from('x'), 'text/plain');
    expect((await s.listObjects('avatars', 'a\u0000', 10)).map((o) => o.key)).toEqual(['a\u0000b', 'a\u0000c']);
    expect((await s.listObjects('avatars', '', 2, 'a1')).map((o) => o.key)).toEqual(['b', 'c']);
    expect((await s.listObjects('avatars', 'a', 10, 'a\u0000b')).map((o) => o.key)).toEqual(['a\u0000c', 'a1']);
    expect(await s.listObjects('avatars', '', 10, 'c')).toEqual([]);
  });

  const note = (id: string, meta: Pick<ObjectMeta, 'key'>, createdAt: number): PendingNotification =>
    ({ id, functionName: 'thumbs', payload: JSON.stringify({ key: meta.key }), createdAt });

  it('keeps the notifications of an object change with it until they are forgotten, oldest first, surviving a reopen', async () => {
    const s = store();
    await s.putObject('avatars', 'a', Buffer.from('1'), 'text/plain', (meta) => [note('n1', meta, 1000), note('n2', meta, 1000)]);
    await s.putObject('avatars', 'b', Buffer.from('2'), 'text/plain', (meta) => [note('n3', meta, 3000)]);
    await s.putObject('avatars', 'c', Buffer.from('3'), 'text/plain'); // no notifications asked for
    await s.putObject('avatars', 'c', Buffer.from('3'), 'text/plain', () => []);
    expect(await s.pendingNotifications(2000, 10)).toEqual([
      expect.objectContaining({ functionName: 'thumbs', payload: '{"key":"a"}', createdAt: 1000 }),
      expect.objectContaining({ functionName: 'thumbs', payload: '{"key":"a"}', createdAt: 1000 }),
    ]);
    expect((await s.pendingNotifications(2000, 10)).map((n) => n.id).sort()).toEqual(['n1', 'n2']);
    expect((await s.pendingNotifications(Number.MAX_SAFE_INTEGER, 2)).map((n) => n.createdAt)).toEqual([1000, 1000]);
    await s.forgetNotifications(['n1', 'missing']);
    await s.close();
    const reopened = store();
    expect((await reopened.pendingNotifications(Number.MAX_SAFE_INTEGER, 10)).map((n) => n.id).sort()).toEqual(['n2', 'n3']);
    await reopened.forgetNotifications([]);
    await reopened.forgetNotifications(['n2', 'n3']);
    expect(await reopened.pendingNotifications(Number.MAX_SAFE_INTEGER, 10)).toEqual([]);
  });

  it('stores a delete notification only when the object existed, built from its metadata', async () => {
    const s = store();
    await s.putObject('avatars', 'a', Buffer.from('12345'), 'text/plain');
    const seen: ObjectMeta[] = [];
    expect(await s.deleteObject('avatars', 'a', (meta) => (seen.push(meta), [note('gone', meta, 5)]))).toMatchObject({ key: 'a', size: 5 });
    expect(seen).toEqual([expect.objectContaining({ key: 'a', size: 5 })]);
    expect(await s.deleteObject('avatars', 'a', (meta) => [note('twice', meta, 6)])).toBeUndefined();
    expect((await s.pendingNotifications(100, 10)).map((n) => n.id)).toEqual(['gone']);
  });

  it('writes nothing when the notifications cannot be built', async () => {
    const s = store();
    await s.putObject('avatars', 'a', Buffer.from('old'), 'text/plain');
    await expect(s.putObject('avatars', 'a', Buffer.from('new'), 'text/plain', () => { throw new Error('no payload'); })).rejects.toThrow('no payload');
    expect((await s.getObject('avatars', 'a'))?.body.toString()).toBe('old');
    await expect(s.deleteObject('avatars', 'a', () => { throw new Error('no payload'); })).rejects.toThrow('no payload');
    expect((await s.getObject('avatars', 'a'))?.body.toString()).toBe('old');
    expect(await s.pendingNotifications(Number.MAX_SAFE_INTEGER, 10)).toEqual([]);
  });
});
