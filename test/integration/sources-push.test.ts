/**
 * Push sources through a real host, on both backends: bucket notifications
 * (S3 shape) and topic fan-out with filter policies (SNS shape).
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bucket, configureSourcesClient, createHost, ResourceNotFoundError, RequestTooLargeError, topic, type Host } from '../../runtime/index.js';
import { tempDir } from '../support/temp-dir.js';

const handlers = resolve(import.meta.dirname, '../fixtures/handlers');

describe.each(['sqlite', 'redis'] as const)('push sources (%s)', (backend) => {
  const state = tempDir();
  const out = join(state.path, 'out.jsonl');
  const prefix = `test-push-${randomUUID()}`;
  let host: Host;
  let hostUrl = '';
  const done = new Map<string, number>();
  const waiters: Array<() => void> = [];
  const lines = (fn: string) => (existsSync(out) ? readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { name: string; event: any }).filter((l) => l.name === fn) : []);
  /** Resolves once `fn` finished `count` Event invocations. */
  async function finished(fn: string, count: number): Promise<void> {
    while ((done.get(fn) ?? 0) < count) await new Promise<void>((r) => waiters.push(r));
  }

  beforeAll(async () => {
    const env = { OUT: out };
    const fn = { handler: './sources.mjs#collect', environment: env };
    host = await createHost({
      rootDir: handlers,
      config: {
        stateDir: state.path, backend, redisPrefix: prefix,
        functions: { thumbs: fn, removed: fn, vip: fn, everyone: fn },
        buckets: {
          avatars: {
            maxObjectBytes: 1024,
            notifications: [
              { events: ['ObjectCreated:*'], prefix: 'users/', suffix: '.png', function: 'thumbs' },
              { events: ['ObjectRemoved:*'], function: 'removed' },
            ],
          },
        },
        topics: {
          'user-events': {
            subscriptions: [{ function: 'everyone' }, { function: 'vip', filterPolicy: { tier: ['gold'], spend: [{ numeric: ['>=', 100] }] } }],
          },
        },
      },
    });
    host.invocations.watch((r) => {
      if (r.status !== 'SUCCEEDED') return;
      done.set(r.functionName, (done.get(r.functionName) ?? 0) + 1);
      for (const w of waiters.splice(0)) w();
    });
    hostUrl = (await host.listen({ port: 0 })).url;
    configureSourcesClient({ url: hostUrl });
  });

  afterAll(async () => {
    await host?.close();
    configureSourcesClient({});
    state.remove();
    if (backend === 'redis') {
      const r = new Redis();
      const keys = await r.keys(`${prefix}:*`);
      if (keys.length > 0) await r.del(...keys);
      r.disconnect();
    }
  });

  describe('buckets', () => {
    it('stores objects and notifies matching subscribers with S3 records', async () => {
      const avatars = bucket('avatars');
      await avatars.put('users/u1 me.png', 'png-bytes', 'image/png');
      await avatars.put('other/skip.png', 'x');
      expect((await avatars.get('users/u1 me.png'))?.body.toString()).toBe('png-bytes');
      await finished('thumbs', 1);
      const [record] = lines('thumbs')[0]!.event.Records;
      expect(record).toMatchObject({
        eventVersion: '2.1', eventSource: 'aws:s3', eventName: 'ObjectCreated:Put', eventTime: expect.any(String),
        s3: { bucket: { name: 'avatars', arn: 'arn:aws:s3:::avatars' }, object: { key: 'users/u1+me.png', size: 9, eTag: expect.stringMatching(/^[0-9a-f]{32}$/), sequencer: expect.any(String) } },
      });
      expect(lines('thumbs')).toHaveLength(1);
      await avatars.delete('users/u1 me.png');
      await finished('removed', 1);
      expect(lines('removed')[0]!.event.Records[0]).toMatchObject({ eventName: 'ObjectRemoved:Delete', s3: { object: { key: 'users/u1+me.png' } } });
      expect(await avatars.get('users/u1 me.png')).toBeUndefined();
    });

    it('queues a notification left in the outbox by a host that died before queueing it, and only once', async () => {
      const store = host.sources.store;
      const id = randomUUID();
      const before = done.get('thumbs') ?? 0;
      const event = { Records: [{ eventSource: 'aws:s3', eventName: 'ObjectCreated:Put', s3: { bucket: { name: 'avatars' }, object: { key: 'users/left.png', size: 3 } } }] };
      const left = () => [{ id, functionName: 'thumbs', payload: JSON.stringify(event), createdAt: Date.now() - 60_000 }];
      // The change and its notification were written; the host died before queueing it.
      await store.putObject('avatars', 'users/left.png', Buffer.from('png'), 'image/png', left);
      expect(await host.sources.redeliver(Date.now())).toBe(1);
      await finished('thumbs', before + 1);
      expect(lines('thumbs').at(-1)!.event).toEqual(event);
      expect(await host.invocations.get(id)).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
      // Queued, but the host died before forgetting it: queueing it again is refused as a duplicate, not run twice.
      await store.putObject('avatars', 'users/left.png', Buffer.from('png'), 'image/png', left);
      expect(await host.sources.redeliver(Date.now())).toBe(1);
      expect(await store.pendingNotifications(Number.MAX_SAFE_INTEGER, 10)).toEqual([]);
      expect(await host.invocations.get(id)).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
      expect(lines('thumbs').filter((l) => l.event.Records[0].s3.object.key === 'users/left.png')).toHaveLength(1);
    });

    it('refuses unknown buckets and oversized objects with typed errors', async () => {
      await expect(bucket('nope').put('k', 'x')).rejects.toBeInstanceOf(ResourceNotFoundError);
      await expect(bucket('avatars').put('big', 'x'.repeat(2048))).rejects.toBeInstanceOf(RequestTooLargeError);
    });
  });

  describe('topics', () => {
    it('fans out to every subscriber whose filter policy matches, in SNS shape', async () => {
      await topic('user-events').publish({ kind: 'signup' }, { tier: 'silver', spend: 500 });
      await topic('user-events').publish('big spender', { tier: 'gold', spend: 150 }, 'hello');
      // A custom Number type is a number to the filter policy too, as in SNS.
      await topic('user-events').publish('typed spender', { tier: 'gold', spend: { DataType: 'Number.float', StringValue: '250.5' } });
      await topic('user-events').publish('typed small spender', { tier: 'gold', spend: { DataType: 'Number.float', StringValue: '50' } });
      await finished('everyone', 4);
      await finished('vip', 2);
      expect(lines('vip')).toHaveLength(2);
      const vip = lines('vip').map((l) => l.event.Records[0]).sort((a, b) => a.Sns.Message.localeCompare(b.Sns.Message));
      expect(vip[1]!.Sns).toMatchObject({ Message: 'typed spender', MessageAttributes: { spend: { Type: 'Number.float', Value: '250.5' } } });
      expect(vip[0]).toMatchObject({
        EventSource: 'aws:sns', EventVersion: '1.0', EventSubscriptionArn: expect.stringMatching(/^arn:aws:sns:us-east-1:000000000000:user-events:/),
        Sns: {
          Type: 'Notification', TopicArn: 'arn:aws:sns:us-east-1:000000000000:user-events', Message: 'big spender', Subject: 'hello',
          MessageAttributes: { tier: { Type: 'String', Value: 'gold' }, spend: { Type: 'Number', Value: '150' } },
        },
      });
      await expect(topic('nope').publish('x')).rejects.toBeInstanceOf(ResourceNotFoundError);
    });

    it('refuses message attributes SNS would refuse, with a 400', async () => {
      for (const bad of [{ DataType: 'String.Array', StringValue: 'x' }, { DataType: 'Number', StringValue: 'many' }, { DataType: 'Blob', StringValue: 'x' }]) {
        const response = await fetch(`${hostUrl}/topics/user-events`, {
          method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message: 'x', attributes: { tier: bad } }),
        });
        expect(response.status).toBe(400);
        expect(response.headers.get('x-amzn-errortype')).toBe('InvalidParameterValueException');
      }
    });
  });
});
