/**
 * Redis mode across hosts: two hosts share one Redis; an async mutation
 * placed on one is followed to its end by a subscription on the other, and
 * both read the same data.
 */
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphQLClient } from 'graphql-request';
import { createClient as createSseClient } from 'graphql-sse';
import { createHost, type Host } from '../../runtime/index.js';
import { tempDir } from '../support/temp-dir.js';
import app from '../../neolith.config.js';
import { Redis } from 'ioredis';
import { deleteRedisKeys } from '../support/delete-redis-keys.js';

const root = resolve(import.meta.dirname, '../..');
const prefix = `gql-${randomUUID()}`;
const states = [tempDir('neolith-gql-redis-a-'), tempDir('neolith-gql-redis-b-')];
const hosts: Host[] = [];
const urls: string[] = [];

beforeAll(async () => {
  for (const state of states) {
    const host = await createHost({
      config: {
        backend: 'redis', redisPrefix: prefix,
        tables: app.tables, buckets: app.buckets, topics: app.topics,
        jobs: { dir: 'resolvers', layout: 'micro', settings: { 'orders/placeOrder': { timeoutMs: 5000, async: { maxRetries: 2, retryDelaysMs: [20] } } } },
      },
      rootDir: root,
      overrides: { stateDir: state.path },
    });
    hosts.push(host);
    urls.push(`${(await host.listen({ port: 0 })).url}/graphql`);
  }
});

afterAll(async () => {
  try {
    await Promise.all(hosts.map((h) => h.close()));
  } finally {
    for (const state of states) state.remove();
    const redis = new Redis('redis://127.0.0.1:6379');
    await deleteRedisKeys(redis, `${prefix}:*`);
    await redis.quit();
  }
});

describe('GraphQL on the redis backend, two hosts', () => {
  it('follows an async mutation placed on host A through a subscription on host B', async () => {
    // B stops consuming events: every change it sees must come from A through Redis pub/sub.
    await hosts[1]!.dispatcher.close();
    const ran: string[] = [];
    hosts[0]!.invoker.onOutcome((o) => ran.push(o.job ?? o.functionName));
    const a = new GraphQLClient(urls[0]!);
    const placed = await a.request<{ placeOrder: { id: string; status: string } }>(
      // Slow enough (a second an attempt) that B subscribes while it runs, and sees changes, not only its end.
      'mutation { placeOrder(input: { userId: "u3", items: [{ sku: "MUG", quantity: 2 }], delayMs: 1000, failAttempts: 1 }) { id status } }',
    );
    const id = placed.placeOrder.id;
    const sse = createSseClient({ url: urls[1]!, singleConnection: false, retryAttempts: 0 });
    const seen: Array<{ status: string; attempts: number }> = [];
    try {
      for await (const result of sse.iterate<{ invocation: (typeof seen)[number] }>({
        query: 'subscription ($id: ID!) { invocation(id: $id) { status attempts } }', variables: { id },
      })) {
        seen.push(result.data!.invocation);
      }
    } finally {
      sse.dispose();
    }
    expect(seen.at(-1)).toEqual({ status: 'SUCCEEDED', attempts: 2 });
    // Changes B could only have heard of from A, each one in order, from the state B first read to the
    // end: at least the retry's (B subscribes within the first attempt's second and the retry's delay).
    const every = [
      { status: 'QUEUED', attempts: 0 }, { status: 'RUNNING', attempts: 1 }, { status: 'QUEUED', attempts: 1 },
      { status: 'RUNNING', attempts: 2 }, { status: 'SUCCEEDED', attempts: 2 },
    ];
    expect(seen.length).toBeGreaterThanOrEqual(3);
    expect(seen).toEqual(every.slice(every.length - seen.length));
    expect(ran.filter((job) => job === 'orders/placeOrder')).toHaveLength(2);
    // Host B reads the order host A's job wrote: the tables live in Redis too.
    const b = new GraphQLClient(urls[1]!);
    expect(await b.request('query ($id: ID!) { order(id: $id) { id total user { id } } }', { id })).toEqual({
      order: { id, total: expect.any(Number), user: { id: 'u3' } },
    });
  });
});
