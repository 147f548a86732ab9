/**
 * The gateway's settings on a real host: a `graphql.maxRequestBytes` of its
 * own honoured over HTTP (body and query string) and over graphql-ws, and a
 * schema binding a job the layout does not have refused at start, naming
 * the field, in every layout.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import { createClient as createWsClient } from 'graphql-ws';
import WebSocket from 'ws';
import { createHost, type Host } from '../../runtime/index.js';
import { tempDir } from '../support/temp-dir.js';
import app from '../../neolith.config.js';

const root = resolve(import.meta.dirname, '../..');
const state = tempDir('neolith-graphql-limits-');
const LIMIT = 512;
let host: Host;
let url: string;

beforeAll(async () => {
  host = await createHost({
    config: { tables: app.tables, buckets: app.buckets, topics: app.topics, jobs: { dir: 'resolvers', layout: 'micro' }, graphql: { maxRequestBytes: LIMIT } },
    rootDir: root,
    overrides: { stateDir: join(state.path, 'state') },
  });
  ({ url } = await host.listen({ port: 0 }));
}, 60_000);

afterAll(async () => {
  await host?.close();
  state.remove();
});

/** A JSON body of exactly `bytes` bytes asking for user u1 (padded with a GraphQL comment). */
function bodyOf(bytes: number): string {
  const shell = JSON.stringify({ query: '{ user(id: "u1") { id } } #' });
  const body = JSON.stringify({ query: `{ user(id: "u1") { id } } #${'x'.repeat(bytes - shell.length)}` });
  expect(Buffer.byteLength(body)).toBe(bytes);
  return body;
}

const tooLarge = {
  errors: [{ message: `The request body must be at most ${LIMIT} bytes (graphql.maxRequestBytes)`, extensions: { code: 'REQUEST_TOO_LARGE', limit: LIMIT } }],
};

describe('graphql.maxRequestBytes set by the config', () => {
  it('runs a body of exactly the limit and refuses one byte more with 413', async () => {
    const post = (body: string) => fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const atLimit = await post(bodyOf(LIMIT));
    expect(await atLimit.json()).toEqual({ data: { user: { id: 'u1' } } });
    const over = await post(bodyOf(LIMIT + 1));
    expect(over.status).toBe(413);
    expect(await over.json()).toEqual(tooLarge);
  });

  it('refuses a GET whose query string passes the limit with 413', async () => {
    const query = `{ user(id: "u1") { id } } #${'x'.repeat(LIMIT)}`;
    const response = await fetch(`${url}/graphql?query=${encodeURIComponent(query)}`, { headers: { accept: 'application/json' } });
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual(tooLarge);
  });

  it('closes a graphql-ws connection whose message passes the limit (1009) without printing a stack, and serves the next connection', async () => {
    // graphql-ws prints a socket's error as an internal one: a client could fill the host's stderr.
    const printed = vi.spyOn(console, 'error');
    onTestFinished(() => printed.mockRestore());
    const wsUrl = `${url.replace('http', 'ws')}/graphql`;
    const big = createWsClient({ url: wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });
    const closed = new Promise<number>((done) => big.on('closed', (event) => done((event as { code: number }).code)));
    try {
      const refused = big.iterate({ query: `{ user(id: "u1") { id } } #${'x'.repeat(LIMIT)}` }).next();
      await expect(refused).rejects.toMatchObject({ code: 1009 });
      expect(await closed).toBe(1009);
    } finally {
      await big.dispose();
    }
    expect(printed).not.toHaveBeenCalled();
    const small = createWsClient({ url: wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });
    try {
      expect((await small.iterate({ query: '{ user(id: "u1") { id } }' }).next()).value).toEqual({ data: { user: { id: 'u1' } } });
    } finally {
      await small.dispose();
    }
  });
});

describe('a schema that binds a job the layout does not have', () => {
  for (const layout of ['nano', 'micro', 'mono'] as const) {
    it(`is refused at start in ${layout}, naming the field and the job`, async () => {
      const schemaDir = join(state.path, `schema-${layout}`);
      mkdirSync(schemaDir);
      writeFileSync(join(schemaDir, 'app.graphql'), `
        type User { id: ID! name: String! }
        type Query {
          user(id: ID!): User @fn(job: "users/getUser")
          nobody(id: ID!): User @fn(job: "users/getNobody")
        }
      `);
      const started = createHost({
        config: { tables: app.tables, jobs: { dir: 'resolvers', layout }, graphql: { schemaDir } },
        rootDir: root,
        overrides: { stateDir: join(state.path, `state-${layout}`) },
      }).then(async (h) => {
        // Should it start after all, it is closed, and the test fails below.
        try {
          await h.listen({ port: 0 });
        } finally {
          await h.close();
        }
      });
      await expect(started).rejects.toMatchObject({
        name: 'ConfigError',
        message: expect.stringContaining(`Query.nobody: job "users/getNobody" does not exist in layout ${layout}`),
      });
    }, 30_000);
  }
});
