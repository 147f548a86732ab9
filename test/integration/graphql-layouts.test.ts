/**
 * The same queries against the reference app packaged as nanoservices,
 * microservices and a monolith: same data, same invocation counts. Job code
 * never changes between layouts.
 */
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHost, type Host } from '../../runtime/index.js';
import { GraphqlGateway } from '../../runtime/graphql/index.js';
import { tempDir } from '../support/temp-dir.js';
import app from '../../neolith.config.js';

const root = resolve(import.meta.dirname, '../..');
const LAYOUTS = ['nano', 'micro', 'mono'] as const;
const running: Array<{ layout: string; host: Host; gateway: GraphqlGateway; jobs: string[]; functions: string[]; dir: { remove(): void } }> = [];

const QUERIES = {
  postsWithAuthors: '{ posts(limit: 50) { id title author { id name email } } }',
  nested: `{
    user(id: "u7") {
      name
      posts(limit: 2) { title commentCount comments { body author { name } post { id } } }
      orders { id total items { sku quantity price } user { id } }
      notifications(unreadOnly: true) { message read }
    }
  }`,
  fragments: 'query Q($id: ID!) { post(id: $id) { ...F } } fragment F on Post { id author { name posts(limit: 1) { id } } }',
  partial: '{ a: user(id: "u1") { name } b: user(id: "nobody") { name } order(id: "o3") { total } }',
};

beforeAll(async () => {
  // One host at a time: bundling and starting environments is CPU-bound on 2 cores.
  for (const layout of LAYOUTS) {
    const dir = tempDir(`neolith-graphql-${layout}-`);
    // The app's data lives in its tables (reached over the host's port); its mapping is left out so only GraphQL's invocations are counted.
    const host = await createHost({
      config: { tables: app.tables, buckets: app.buckets, topics: app.topics, jobs: { dir: 'resolvers', layout } }, rootDir: root, overrides: { stateDir: dir.path },
    });
    await host.listen({ port: 0 });
    const entry = { layout, host, gateway: GraphqlGateway.create(host)!, jobs: [] as string[], functions: [] as string[], dir };
    host.invoker.onOutcome((o) => {
      entry.jobs.push(o.job ?? '?');
      entry.functions.push(o.functionName);
    });
    running.push(entry);
  }
});

afterAll(async () => {
  for (const { host, gateway, dir } of running) {
    await gateway.close();
    await host.close();
    dir.remove();
  }
});

async function run(gateway: GraphqlGateway, query: string, variables?: Record<string, unknown>) {
  const response = await gateway.yoga.fetch('http://localhost/graphql', {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }),
  });
  return response.json() as Promise<{ data?: unknown; errors?: unknown[] }>;
}

describe('the same queries in the nano, micro and mono layouts', () => {
  it.each(Object.entries(QUERIES))('%s returns the same data (and the same invocations) in every layout', async (_name, query) => {
    const answers = [];
    for (const entry of running) {
      entry.jobs.length = 0;
      answers.push({ body: await run(entry.gateway, query, { id: 'p9' }), jobs: [...entry.jobs].sort() });
    }
    expect(answers[0]!.body.data).toBeTruthy();
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[2]).toEqual(answers[0]);
  });

  it('costs exactly 2 invocations for 50 posts with authors, routed to each layout\'s functions', async () => {
    const routed: Record<string, string[]> = {};
    for (const entry of running) {
      entry.jobs.length = 0;
      entry.functions.length = 0;
      await run(entry.gateway, QUERIES.postsWithAuthors);
      expect(entry.jobs).toEqual(['posts/listPosts', 'users/getUser']);
      routed[entry.layout] = [...entry.functions];
    }
    expect(routed).toEqual({
      nano: ['posts-listPosts', 'users-getUser'],
      micro: ['posts', 'users'],
      mono: [expect.any(String), expect.any(String)],
    });
    expect(routed.mono![0]).toBe(routed.mono![1]);
  });

  it('keeps partial data and reports a missing user as null', async () => {
    const body = await run(running[0]!.gateway, QUERIES.partial);
    expect(body).toEqual({ data: { a: { name: 'Ada 1' }, b: null, order: { total: 15 } } });
  });
});
