/**
 * The reference app through a real port: a real host (micro layout, worker
 * threads, SQLite in a temp state dir), graphql-request for queries and
 * mutations, graphql-sse and graphql-ws for subscriptions.
 */
import { get as httpGet, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientError, GraphQLClient } from 'graphql-request';
import { createClient as createSseClient } from 'graphql-sse';
import { createClient as createWsClient } from 'graphql-ws';
import WebSocket from 'ws';
import { createHost, type Host } from '../../runtime/index.js';
import { MAX_OPERATIONS_PER_SOCKET } from '../../runtime/graphql/graphql-gateway.js';
import { tempDir } from '../support/temp-dir.js';
import app from '../../neolith.config.js';

const root = resolve(import.meta.dirname, '../..');
const state = tempDir('neolith-graphql-');
let host: Host;
let url: string;
let client: GraphQLClient;
const outcomes: Array<{ job?: string; type: string }> = [];

beforeAll(async () => {
  host = await createHost({
    config: {
      // The app's data lives in its tables; its mapping is left out so only GraphQL's invocations are counted.
      tables: app.tables, buckets: app.buckets, topics: app.topics,
      jobs: {
        dir: 'resolvers', layout: 'micro',
        settings: { 'orders/placeOrder': { timeoutMs: 5000, async: { maxRetries: 2, retryDelaysMs: [20] } } },
      },
    },
    rootDir: root,
    overrides: { stateDir: state.path },
  });
  host.invoker.onOutcome((o) => outcomes.push({ ...(o.job !== undefined && { job: o.job }), type: o.type }));
  ({ url } = await host.listen({ port: 0 }));
  client = new GraphQLClient(`${url}/graphql`);
});

afterAll(async () => {
  await host?.close();
  state.remove();
});

/** Runs `fn` and returns the jobs it invoked (one entry per environment invocation). */
async function invocationsOf(fn: () => Promise<unknown>): Promise<string[]> {
  const before = outcomes.length;
  await fn();
  return outcomes.slice(before).map((o) => o.job ?? '?');
}

describe('GraphQL gateway over a real port', () => {
  it('answers 50 posts with their authors in exactly 2 invocations', async () => {
    let data: any;
    const jobs = await invocationsOf(async () => {
      data = await client.request('{ posts(limit: 50) { id title author { id name } } }');
    });
    expect(jobs).toEqual(['posts/listPosts', 'users/getUser']);
    expect(data.posts).toHaveLength(50);
    expect(data.posts[0]).toEqual({ id: 'p1', title: 'Post number 1', author: { id: 'u1', name: 'Ada 1' } });
    expect(data.posts[49].author).toEqual({ id: 'u10', name: 'Frances 1' });
  });

  it('costs one invocation per level of a nested query, whatever the fan-out', async () => {
    let data: any;
    const jobs = await invocationsOf(async () => {
      data = await client.request(/* GraphQL */ `{
        users(limit: 5) { id posts(limit: 3) { id commentCount comments(limit: 2) { body author { name } } } }
      }`);
    });
    expect([...jobs].sort()).toEqual([
      'comments/countComments', 'comments/listComments', 'posts/listPostsByAuthor', 'users/getUser', 'users/listUsers',
    ]);
    expect(data.users).toHaveLength(5);
    expect(data.users[0].posts).toHaveLength(3);
    expect(data.users[0].posts[0]).toEqual({
      id: 'p1', commentCount: 3,
      comments: [{ body: 'Comment 1 on post 1', author: { name: 'Grace 1' } }, { body: 'Comment 2 on post 1', author: { name: 'Alan 1' } }],
    });
  });

  it('runs a job that does not take arrays once per item, all inside one invocation', async () => {
    // orders/getOrder answers one order: the host runs it item by item inside the batch's one environment call.
    let data: any;
    const jobs = await invocationsOf(async () => {
      data = await client.request('{ a: order(id: "o1") { id user { id } } b: order(id: "o2") { id } c: order(id: "o404") { id } }');
    });
    expect(jobs).toEqual(['orders/getOrder', 'users/getUser']);
    expect(data).toEqual({ a: { id: 'o1', user: { id: 'u1' } }, b: { id: 'o2' }, c: null });
  });

  it('runs sync mutations and reports a job error with its errorType', async () => {
    const created: any = await client.request(
      'mutation ($input: CreatePostInput!) { createPost(input: $input) { id title author { id } } }',
      { input: { authorId: 'u3', title: 'Hello', body: 'World' } },
    );
    expect(created.createPost).toEqual({ id: 'p101', title: 'Hello', author: { id: 'u3' } });
    const error = await client.request('mutation { createUser(input: { name: "Eve", email: "not-an-email" }) { id } }').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClientError);
    expect((error as ClientError).response.errors![0]).toMatchObject({
      message: 'email must look like name@domain (got "not-an-email")',
      path: ['createUser'],
      extensions: { code: 'FUNCTION_ERROR', errorType: 'ValidationError' },
    });
  });

  it('answers 404 to a WebSocket upgrade on another path (it used to stay open and hold the close)', async () => {
    const { port } = new URL(url);
    const socket = connect(Number(port), '127.0.0.1');
    let reply = '';
    socket.on('data', (chunk: Buffer) => (reply += chunk.toString('latin1')));
    const closed = new Promise<void>((done) => socket.on('close', () => done()));
    socket.write('GET /not-graphql HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n'
      + 'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n');
    await closed;
    expect(reply).toMatch(/^HTTP\/1\.1 404 /);
  });

  it('refuses a WebSocket opened by a page of another origin; takes one from its own', async () => {
    const wsUrl = `${url.replace('http', 'ws')}/graphql`;
    const status = (origin: string) => new Promise<number>((done, fail) => {
      const ws = new WebSocket(wsUrl, 'graphql-transport-ws', { origin });
      ws.on('unexpected-response', (_req, res) => done(res.statusCode ?? 0));
      ws.on('open', () => {
        ws.close();
        done(101);
      });
      ws.on('error', fail);
    });
    expect(await status('https://evil.example')).toBe(403);
    expect(await status(url)).toBe(101);
  });

  it('refuses a WebSocket naming this host by a rebound name, even from that name\'s own origin', async () => {
    // DNS rebinding: the page's origin and the Host header agree, so only the Host check can tell.
    const { port } = new URL(url);
    const socket = connect(Number(port), '127.0.0.1');
    let reply = '';
    socket.on('data', (chunk: Buffer) => (reply += chunk.toString('latin1')));
    const closed = new Promise<void>((done) => socket.on('close', () => done()));
    socket.write(`GET /graphql HTTP/1.1\r\nHost: rebind.evil.example:${port}\r\nOrigin: http://rebind.evil.example:${port}\r\nConnection: Upgrade\r\n`
      + 'Upgrade: websocket\r\nSec-WebSocket-Protocol: graphql-transport-ws\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n');
    await closed;
    expect(reply).toMatch(/^HTTP\/1\.1 403 /);
  });

  it('serves GraphiQL to a browser GET: bundled, gzipped when the browser takes it, revalidated by ETag', async () => {
    const response = await fetch(`${url}/graphql`, { headers: { accept: 'text/html', 'accept-encoding': 'gzip' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('content-encoding')).toBe('gzip');
    const html = await response.text();
    expect(html).toContain('<title>neolith</title>');
    const compressed = Number(response.headers.get('content-length'));

    // A client that takes no encoding gets the same page as it is (node:http does not decompress).
    const plain = await new Promise<{ headers: IncomingHttpHeaders; body: Buffer }>((done, fail) => {
      httpGet(`${url}/graphql`, { headers: { accept: 'text/html' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk)).on('end', () => done({ headers: res.headers, body: Buffer.concat(chunks) }));
      }).on('error', fail);
    });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.toString('utf8')).toBe(html);
    expect(compressed).toBeLessThan(plain.body.length / 2);

    const etag = response.headers.get('etag')!;
    expect(plain.headers.etag).toBe(etag);
    const again = await fetch(`${url}/graphql`, { headers: { accept: 'text/html', 'if-none-match': etag } });
    expect(again.status).toBe(304);
    // A GET that does not ask for HTML is still a GraphQL request.
    const query = await fetch(`${url}/graphql?query=${encodeURIComponent('{ __typename }')}`, { headers: { accept: 'application/json', 'x-graphql-yoga-csrf': '1' } });
    expect(await query.json()).toEqual({ data: { __typename: 'Query' } });
  });

  it('refuses a body over maxRequestBytes with 413 and a GraphQL error, and a deep query with a clear error', async () => {
    const huge = JSON.stringify({ query: `{ posts { id } } # ${'x'.repeat(1024 * 1024)}` });
    const response = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: huge });
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({
      errors: [{ message: 'The request body must be at most 1048576 bytes (graphql.maxRequestBytes)', extensions: { code: 'REQUEST_TOO_LARGE', limit: 1048576 } }],
    });
    const deep = `{ posts { ${'author { posts { '.repeat(6)}id${' } }'.repeat(6)} } }`;
    const error = await client.request(deep).catch((e: unknown) => e) as ClientError;
    expect(error.response.errors![0]!.message).toBe('Query depth limit of 10 exceeded, found 14.');
    const aliases = `{ ${Array.from({ length: 20 }, (_, i) => `a${i}: post(id: "p1") { id }`).join(' ')} }`;
    const aliasError = await client.request(aliases).catch((e: unknown) => e) as ClientError;
    expect(aliasError.response.errors![0]!.message).toBe('Aliases limit of 15 exceeded, found 20.');
    // The server is still up.
    expect(await client.request('{ post(id: "p2") { id } }')).toEqual({ post: { id: 'p2' } });
  });

  it('refuses a body that is not valid UTF-8 with 400 BAD_REQUEST, invoking nothing', async () => {
    // Decoded, the bytes would become U+FFFD and the query would run with an id the client never sent.
    const body = Buffer.concat([Buffer.from('{"query":"{ user(id: \\"u'), Buffer.from([0xff, 0xfe]), Buffer.from('\\") { id } }"}')]);
    const jobs = await invocationsOf(async () => {
      const response = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toBe('application/graphql-response+json; charset=utf-8');
      expect(await response.json()).toEqual({ errors: [{ message: 'The request body is not valid UTF-8', extensions: { code: 'BAD_REQUEST' } }] });
    });
    expect(jobs).toEqual([]);
    // The same query in valid UTF-8 runs.
    const valid = JSON.stringify({ query: '{ user(id: "u1") { id } }' });
    const ok = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: valid });
    expect(await ok.json()).toEqual({ data: { user: { id: 'u1' } } });
  });

  it('refuses a GET whose query string does not decode to UTF-8 text, invoking nothing', async () => {
    const headers = { accept: 'application/graphql-response+json', 'x-graphql-yoga-csrf': '1' };
    const jobs = await invocationsOf(async () => {
      for (const bad of ['%FF%FE', '%E2%82', '%G1', '%']) {
        const response = await fetch(`${url}/graphql?query=${encodeURIComponent('{ user(id: "u')}${bad}${encodeURIComponent('") { id } }')}`, { headers });
        expect(response.status, bad).toBe(400);
        expect(await response.json()).toEqual({ errors: [{ message: 'The query string is not valid: a percent-escape is malformed or not UTF-8', extensions: { code: 'BAD_REQUEST' } }] });
      }
    });
    expect(jobs).toEqual([]);
    // Escaped UTF-8 (a euro sign, in a comment) decodes and runs.
    const ok = await fetch(`${url}/graphql?query=${encodeURIComponent('{ user(id: "u1") { id } } # 5 €')}`, { headers });
    expect(await ok.json()).toEqual({ data: { user: { id: 'u1' } } });
  });

  it('answers a GET whose variables are not JSON with 400 BAD_REQUEST, not a 500', async () => {
    const response = await fetch(`${url}/graphql?query=${encodeURIComponent('{ __typename }')}&variables=${encodeURIComponent('{bad')}`, {
      headers: { accept: 'application/graphql-response+json', 'x-graphql-yoga-csrf': '1' },
    });
    expect(response.status).toBe(400);
    const { errors } = await response.json() as { errors: Array<{ message: string; extensions: Record<string, unknown> }> };
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toMatch(/^The variables parameter is not valid JSON: /);
    expect(errors[0]!.extensions).toEqual({ code: 'BAD_REQUEST' });
  });

  it.each([
    ['a map entry that is not an array', { operations: '{"query":"{ __typename }"}', map: '{"0":5}' }, /^Malformed multipart request: /],
    ['a map path that is not text', { operations: '{"query":"{ __typename }"}', map: '{"0":[5]}' }, /^Malformed multipart request: /],
    ['operations that are not JSON', { operations: '{oops' }, /operations.*valid JSON/],
    ['no operations field', { map: '{}' }, /operations/],
  ])('answers a multipart request with %s with 400 BAD_REQUEST, not a 500 or a 200', async (_, fields, message) => {
    const form = new FormData();
    for (const [name, value] of Object.entries(fields)) form.append(name, value);
    form.append('0', new Blob(['x']), 'x.txt');
    const response = await fetch(`${url}/graphql`, {
      method: 'POST', body: form, headers: { accept: 'application/graphql-response+json', 'x-graphql-yoga-csrf': '1' },
    });
    expect(response.status).toBe(400);
    const { errors } = await response.json() as { errors: Array<{ message: string; extensions: Record<string, unknown> }> };
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toMatch(message);
    expect(errors[0]!.extensions).toEqual({ code: 'BAD_REQUEST' });
  });

  it('runs an async mutation and streams its retries to SUCCEEDED over SSE (graphql-sse)', async () => {
    const placed: any = await client.request(
      'mutation { placeOrder(input: { userId: "u2", items: [{ sku: "MUG", quantity: 3 }], delayMs: 50, failAttempts: 1 }) { id status attempts function job } }',
    );
    expect(placed.placeOrder).toMatchObject({ status: 'QUEUED', attempts: 0, function: 'orders', job: 'orders/placeOrder' });
    const id = placed.placeOrder.id as string;
    const sse = createSseClient({ url: `${url}/graphql`, singleConnection: false, retryAttempts: 0 });
    const seen: Array<{ status: string; attempts: number; result: any; error: any }> = [];
    for await (const result of sse.iterate<{ invocation: (typeof seen)[number] }>({
      query: 'subscription ($id: ID!) { invocation(id: $id) { status attempts result error { errorType } } }', variables: { id },
    })) {
      seen.push(result.data!.invocation);
    }
    sse.dispose();
    expect(seen.at(-1)).toMatchObject({ status: 'SUCCEEDED', attempts: 2, error: null, result: { id, userId: 'u2', total: 24, status: 'PLACED' } });
    // Every status change was pushed once, in order, including the failed first attempt.
    expect(seen.map((s) => `${s.status}/${s.attempts}`).join(' ')).toMatch(/^(QUEUED\/0 )?(RUNNING\/1 )?QUEUED\/1 (RUNNING\/2 )?SUCCEEDED\/2$/);
    const read: any = await client.request('query ($id: ID!) { invocation(id: $id) { status } order(id: $id) { id total user { id } } }', { id });
    expect(read).toEqual({ invocation: { status: 'SUCCEEDED' }, order: { id, total: 24, user: { id: 'u2' } } });
  });

  it('answers a bad operation over graphql-ws with its errors and keeps the connection for the next one', async () => {
    // Not lazy: the connection stays open between operations, so a close can only come from the server.
    const ws = createWsClient({ url: `${url.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket, retryAttempts: 0, lazy: false });
    let closed = false;
    ws.on('closed', () => (closed = true));
    try {
      const bad = ws.iterate({ query: '{ user(id: "u1") { id ' });
      await expect(bad.next()).rejects.toEqual([expect.objectContaining({ message: expect.stringContaining('Syntax Error') })]);
      const good = await ws.iterate<{ user: { id: string } }>({ query: '{ user(id: "u1") { id } }' }).next();
      expect(good.value!.data).toEqual({ user: { id: 'u1' } });
      expect(closed).toBe(false);
    } finally {
      await ws.dispose();
    }
  });

  it('holds at most MAX_OPERATIONS_PER_SOCKET operations on one graphql-ws connection, refusing the next with its own error', async () => {
    const ws = createWsClient({ url: `${url.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket, retryAttempts: 0, lazy: false });
    let closed = false;
    ws.on('closed', () => (closed = true));
    try {
      // A slow order: each subscription on it stays open while it runs.
      const placed = await client.request<{ placeOrder: { id: string } }>(
        'mutation { placeOrder(input: { userId: "u4", items: [{ sku: "PEN", quantity: 1 }], delayMs: 1500 }) { id } }',
      );
      const query = `subscription { invocation(id: "${placed.placeOrder.id}") { status } }`;
      const open = Array.from({ length: MAX_OPERATIONS_PER_SOCKET }, () => ws.iterate<{ invocation: { status: string } }>({ query }));
      // Each has answered its first status: all are open on the server.
      await Promise.all(open.map((it) => it.next()));
      await expect(ws.iterate({ query }).next()).rejects.toEqual([
        expect.objectContaining({ message: `at most ${MAX_OPERATIONS_PER_SOCKET} operations at once on one connection; complete some, or open another connection` }),
      ]);
      expect(closed).toBe(false);
      // One completes: there is room again.
      await open.pop()!.return!(undefined);
      const again = ws.iterate<{ invocation: { status: string } }>({ query });
      expect((await again.next()).value?.data?.invocation.status).toMatch(/QUEUED|RUNNING|SUCCEEDED|FAILED/);
      await again.return!(undefined);
      await Promise.all(open.map((it) => it.return!(undefined)));
    } finally {
      await ws.dispose();
    }
  });

  it('streams an async mutation to FAILED over WebSocket (graphql-ws)', async () => {
    const ws = createWsClient({ url: `${url.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });
    try {
      const placed = await ws.iterate<{ placeOrder: { id: string } }>({
        // 300 ms an attempt: the subscription below starts while the first or second runs.
        query: 'mutation { placeOrder(input: { userId: "u4", items: [{ sku: "PEN", quantity: 1 }], delayMs: 300, alwaysFail: true }) { id } }',
      }).next();
      const id = placed.value!.data!.placeOrder.id;
      const seen: Array<{ status: string; attempts: number; error: { errorType: string; errorMessage: string } | null }> = [];
      for await (const result of ws.iterate<{ invocation: (typeof seen)[number] }>({
        query: `subscription { invocation(id: "${id}") { status attempts error { errorType errorMessage } } }`,
      })) {
        seen.push(result.data!.invocation);
      }
      expect(seen.at(-1)).toEqual({
        status: 'FAILED', attempts: 3,
        error: { errorType: 'PaymentDeclinedError', errorMessage: `payment declined for order ${id} (attempt 3)` },
      });
      // Every change from the first one read, in order: the retries' QUEUED and RUNNING included.
      const every = ['QUEUED 0', 'RUNNING 1', 'QUEUED 1', 'RUNNING 2', 'QUEUED 2', 'RUNNING 3', 'FAILED 3'];
      const steps = seen.map((s) => `${s.status} ${s.attempts}`);
      expect(steps.length, steps.join(', ')).toBeGreaterThanOrEqual(3);
      expect(steps).toEqual(every.slice(every.length - steps.length));
    } finally {
      await ws.dispose();
    }
  });
});
