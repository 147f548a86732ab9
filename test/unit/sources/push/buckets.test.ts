/**
 * Bucket notifications and their outbox, over a real SQLite store with the
 * queue faked: a notification that could not be queued is kept and queued
 * later; one refused for good, or already queued, is forgotten.
 */
import { resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BackendUnavailableError, DuplicateRequestIdError, SqliteSourceStore, type PendingNotification, type SourceStore } from '../../../../runtime/backend/index.js';
import { resolveConfig } from '../../../../runtime/config/resolve-config.js';
import { ResourceNotFoundError } from '../../../../runtime/errors/index.js';
import type { InvokeOptions, InvokeResult } from '../../../../runtime/invoke/index.js';
import { Buckets } from '../../../../runtime/sources/push/buckets.js';
import { EventSources } from '../../../../runtime/sources/event-sources.js';
import { tempDir } from '../../../support/temp-dir.js';

interface Call { name: string; event: any; options: InvokeOptions }

/** A queue that answers each call with the next planned outcome (then accepts). */
function fakeQueue(plan: Array<Error | 'ok'> = []) {
  const calls: Call[] = [];
  const waiters: Array<() => void> = [];
  const invoke = async (name: string, payload: unknown, options: InvokeOptions): Promise<InvokeResult> => {
    calls.push({ name, event: JSON.parse(Buffer.from(payload as Uint8Array).toString('utf8')), options });
    for (const w of waiters.splice(0)) w();
    const next = plan.shift() ?? 'ok';
    if (next !== 'ok') throw next;
    return { requestId: options.requestId!, functionName: name, executedVersion: '$LATEST', statusCode: 202 };
  };
  const called = async (count: number) => {
    while (calls.length < count) await new Promise<void>((r) => waiters.push(r));
  };
  return { calls, invoke, called };
}

const HANDLERS = resolve(import.meta.dirname, '../../../fixtures/handlers');
const FN = { handler: './sources.mjs#collect' };
const FUNCTIONS = { thumbs: FN, index: FN, removed: FN };

const CONFIG = {
  avatars: {
    maxObjectBytes: 1024,
    notifications: [
      { events: ['ObjectCreated:*'], prefix: 'users/', function: 'thumbs' },
      { events: ['s3:ObjectCreated:Put'], suffix: '.png', function: 'index' },
      { events: ['ObjectRemoved:*'], function: 'removed' },
    ],
  },
};

describe('bucket notifications and their outbox', () => {
  const dirs: Array<ReturnType<typeof tempDir>> = [];
  const stores: SqliteSourceStore[] = [];
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
    for (const dir of dirs.splice(0)) dir.remove();
  });
  function setup(plan?: Array<Error | 'ok'>, wrap: (store: SqliteSourceStore) => SourceStore = (s) => s) {
    const dir = tempDir('neolith-buckets-');
    dirs.push(dir);
    const real = new SqliteSourceStore(dir.path);
    stores.push(real);
    const store = wrap(real);
    const queue = fakeQueue(plan);
    const errors: unknown[] = [];
    const buckets = new Buckets({ store, config: resolveBuckets(dir.path), region: 'us-east-1', invoke: queue.invoke, onError: (e) => errors.push(e) });
    return { dir, store, queue, errors, buckets };
  }
  function resolveBuckets(rootDir: string) {
    return resolveConfig({ functions: FUNCTIONS, buckets: CONFIG }, HANDLERS, { stateDir: rootDir }).sources!.buckets;
  }

  it('queues one event per matching configuration, each with its own request id, and keeps nothing once queued', async () => {
    const { store, queue, buckets } = setup();
    await buckets.put('avatars', 'users/me.png', Buffer.from('png'), 'image/png');
    expect(queue.calls.map((c) => c.name).sort()).toEqual(['index', 'thumbs']);
    expect(new Set(queue.calls.map((c) => c.options.requestId)).size).toBe(2);
    expect(queue.calls.every((c) => c.options.type === 'Event')).toBe(true);
    expect(queue.calls[0]!.event.Records[0]).toMatchObject({ eventName: 'ObjectCreated:Put', s3: { object: { key: 'users/me.png', size: 3 } } });
    expect(await store.pendingNotifications(Number.MAX_SAFE_INTEGER, 10)).toEqual([]);
    await buckets.delete('avatars', 'users/me.png');
    await buckets.delete('avatars', 'users/me.png'); // gone already: no second notification
    expect(queue.calls.filter((c) => c.name === 'removed')).toHaveLength(1);
  });

  it('keeps a notification the queue could not take, and queues it later with the same request id and event', async () => {
    const { store, queue, errors, buckets } = setup([new BackendUnavailableError('redis is away')]);
    const meta = await buckets.put('avatars', 'users/me.txt', Buffer.from('hello'), 'text/plain');
    // The object change stands; the failure is reported, not thrown at the writer.
    expect(meta.size).toBe(5);
    expect(errors).toEqual([expect.objectContaining({ message: expect.stringMatching(/1 of 1 bucket notifications could not be queued \(1 kept for redelivery, 0 refused for good\): redis is away/), cause: expect.any(BackendUnavailableError) })]);
    const [kept] = await store.pendingNotifications(Number.MAX_SAFE_INTEGER, 10);
    expect(kept).toMatchObject({ id: queue.calls[0]!.options.requestId, functionName: 'thumbs' });
    // Not yet old enough for this pass.
    expect(await buckets.redeliver(kept!.createdAt)).toBe(0);
    expect(queue.calls).toHaveLength(1);
    expect(await buckets.redeliver(Date.now() + 1)).toBe(1);
    expect(queue.calls[1]).toMatchObject({ name: 'thumbs', options: { requestId: kept!.id, type: 'Event' } });
    expect(queue.calls[1]!.event).toEqual(queue.calls[0]!.event);
    expect(await store.pendingNotifications(Number.MAX_SAFE_INTEGER, 10)).toEqual([]);
  });

  it('forgets a notification already queued (a duplicate request id) or refused for good (no such function)', async () => {
    const gone = new ResourceNotFoundError('Function not found: thumbs');
    const { store, errors, buckets } = setup([new DuplicateRequestIdError('already accepted'), gone]);
    await buckets.put('avatars', 'users/a.txt', Buffer.from('1'));
    await buckets.put('avatars', 'users/b.txt', Buffer.from('2'));
    expect(errors).toEqual([expect.objectContaining({ cause: gone, message: expect.stringContaining('0 kept for redelivery, 1 refused for good') })]);
    expect(await store.pendingNotifications(Number.MAX_SAFE_INTEGER, 10)).toEqual([]);
  });

  it('stops a pass when the queue is still away, and leaves the rest for the next one', async () => {
    const away = () => new BackendUnavailableError('away');
    const { store, buckets } = setup([away(), away(), away(), away()]); // both puts, then the first pass
    await buckets.put('avatars', 'users/a.txt', Buffer.from('1'));
    await buckets.put('avatars', 'users/b.txt', Buffer.from('2'));
    expect(await buckets.redeliver(Date.now() + 1)).toBe(0);
    expect(await store.pendingNotifications(Number.MAX_SAFE_INTEGER, 10)).toHaveLength(2);
    expect(await buckets.redeliver(Date.now() + 1)).toBe(2); // the queue is back
    expect(await store.pendingNotifications(Number.MAX_SAFE_INTEGER, 10)).toEqual([]);
  });

  it('refuses a content type no header could carry, storing nothing', async () => {
    const { store, queue, buckets } = setup();
    for (const bad of ['', 'text/plain\r\nX-Injected: 1', 'text/plain\n', 'x'.repeat(257), 'image/pñg', 'a\u0000b']) {
      await expect(buckets.put('avatars', 'users/a.png', Buffer.from('1'), bad)).rejects.toThrow(/content type must be 1 to 256 visible ASCII/);
    }
    expect(await store.headObject('avatars', 'users/a.png')).toBeUndefined();
    expect(queue.calls).toEqual([]);
    await buckets.put('avatars', 'users/a.png', Buffer.from('1'), 'image/png; charset="x"');
    expect((await store.headObject('avatars', 'users/a.png'))?.contentType).toBe('image/png; charset="x"');
  });

  it('refuses a key or prefix holding a lone surrogate (no UTF-8 form), storing and queueing nothing', async () => {
    const { store, queue, buckets } = setup();
    for (const key of ['users/k\uD800', 'users/\uDC00x', 'users/\uDFFF\uD800']) {
      await expect(buckets.put('avatars', key, Buffer.from('1'), 'text/plain')).rejects.toMatchObject({ code: 'InvalidParameterValueException', message: expect.stringContaining('lone surrogate') });
      await expect(buckets.get('avatars', key)).rejects.toThrow(/lone surrogate/);
      await expect(buckets.delete('avatars', key)).rejects.toThrow(/lone surrogate/);
    }
    await expect(buckets.list('avatars', 'users/\uD800')).rejects.toThrow(/lone surrogate/);
    expect(await store.listObjects('avatars', '', 10)).toEqual([]);
    expect(queue.calls).toEqual([]);
    // A pair is a character like any other.
    await buckets.put('avatars', 'users/\uD83D\uDE00.txt', Buffer.from('1'), 'text/plain');
    expect((await buckets.list('avatars', 'users/')).objects.map((o) => o.key)).toEqual(['users/\uD83D\uDE00.txt']);
  });

  it('event sources queue what the outbox holds when they start', async () => {
    const dir = tempDir('neolith-buckets-start-');
    dirs.push(dir);
    const config = resolveConfig({ functions: FUNCTIONS, buckets: CONFIG }, HANDLERS, { stateDir: dir.path });
    const store = new SqliteSourceStore(dir.path);
    stores.push(store);
    const payload = JSON.stringify({ Records: [{ eventSource: 'aws:s3', eventName: 'ObjectCreated:Put' }] });
    // What a host that died between the change and the queueing leaves behind.
    await store.putObject('avatars', 'users/left.png', Buffer.from('png'), 'image/png', () => [{ id: 'left-1', functionName: 'thumbs', payload, createdAt: Date.now() - 60_000 }]);
    // Young ones may still be being queued by the host that wrote them: left for a later pass.
    await store.putObject('avatars', 'users/young.png', Buffer.from('png'), 'image/png', () => [{ id: 'young-1', functionName: 'thumbs', payload, createdAt: Date.now() }]);
    const queue = fakeQueue();
    const sources = await EventSources.create({ config, invoke: queue.invoke, functionArn: (n) => `arn:${n}`, store });
    try {
      await queue.called(1);
      expect(queue.calls[0]).toMatchObject({ name: 'thumbs', event: JSON.parse(payload), options: { requestId: 'left-1', type: 'Event' } });
    } finally {
      await sources.close();
    }
    expect((await store.pendingNotifications(Number.MAX_SAFE_INTEGER, 10)).map((n) => n.id)).toEqual(['young-1']);
    expect(queue.calls).toHaveLength(1);
  });

  /** `count` notifications left by a host that died, all older than `before`. */
  async function leftBehind(store: SourceStore, count: number): Promise<void> {
    const payload = JSON.stringify({ Records: [] });
    const notes: PendingNotification[] = Array.from({ length: count }, (_, i) => ({ id: `left-${i}`, functionName: 'thumbs', payload, createdAt: 1000 + i }));
    await store.putObject('avatars', 'users/many.txt', Buffer.from('x'), 'text/plain', () => notes);
  }

  it('queues a large outbox in batches, oldest first, and forgets them all', async () => {
    const { store, queue, buckets } = setup();
    await leftBehind(store, 250);
    expect(await buckets.redeliver(Date.now())).toBe(250);
    expect(queue.calls.map((c) => c.options.requestId)).toEqual(Array.from({ length: 250 }, (_, i) => `left-${i}`));
    expect(await store.pendingNotifications(Number.MAX_SAFE_INTEGER, 10)).toEqual([]);
  });

  it('stops a pass whose queued notifications cannot be forgotten, rather than queue them again and again', async () => {
    let forgets = 0;
    const { store, queue, errors, buckets } = setup(undefined, (real) => Object.assign(Object.create(real) as SourceStore, {
      pendingNotifications: real.pendingNotifications.bind(real),
      putObject: real.putObject.bind(real),
      forgetNotifications: async () => {
        forgets++;
        throw new Error('disk full');
      },
    }));
    await leftBehind(store, 150);
    expect(await buckets.redeliver(Date.now())).toBe(0);
    expect(queue.calls).toHaveLength(100);
    expect(forgets).toBe(1);
    expect(errors).toEqual([expect.objectContaining({ message: 'disk full' })]);
  });

  it('stops between batches once the host closes', async () => {
    const { store, queue, buckets } = setup();
    await leftBehind(store, 250);
    const stop = new AbortController();
    const first = queue.called(100).then(() => stop.abort());
    expect(await buckets.redeliver(Date.now(), stop.signal)).toBe(100);
    await first;
    expect(await store.pendingNotifications(Number.MAX_SAFE_INTEGER, 1000)).toHaveLength(150);
  });

  it('does not queue a delete notification another writer stored first', async () => {
    // Redis: the store builds the notifications, then finds in its script that another host deleted the object.
    const { store, queue, buckets } = setup(undefined, (real) => Object.assign(Object.create(real) as SourceStore, {
      putObject: real.putObject.bind(real),
      pendingNotifications: real.pendingNotifications.bind(real),
      forgetNotifications: real.forgetNotifications.bind(real),
      deleteObject: async (_bucket: string, _key: string, notify?: (meta: never) => unknown) => {
        notify?.({ key: 'users/a.txt', size: 1 } as never);
        return undefined;
      },
    }));
    await buckets.put('avatars', 'users/a.txt', Buffer.from('1'));
    expect(await buckets.delete('avatars', 'users/a.txt')).toBe(false);
    expect(queue.calls.map((c) => c.name)).toEqual(['thumbs']);
    expect(await store.pendingNotifications(Number.MAX_SAFE_INTEGER, 10)).toEqual([]);
  });
});
