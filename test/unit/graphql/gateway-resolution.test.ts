import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { GraphqlGateway } from '../../../runtime/graphql/index.js';
import { TooManyRequestsError } from '../../../runtime/errors/index.js';
import { FakeGatewayHost, FunctionFailure, gql, overWebSocket, perItem, schemaDir } from './fake-gateway-host.js';

const SDL = /* GraphQL */ `
  type User { id: ID! name: String! }
  type Post {
    id: ID!
    authorId: ID!
    author: User @fn(job: "users/getUser")
    smallBatchAuthor: User @fn(job: "users/getUser", maxBatchSize: 3)
    largestBatchAuthor: User @fn(job: "users/getUser", maxBatchSize: 2000)
  }
  type Query {
    user(id: ID!): User @fn(job: "users/getUser")
    posts(n: Int!): [Post!]! @fn(job: "posts/list")
    echo(a: Int, b: String): JSON @fn(job: "x/echo")
    plain: String
  }
`;

type Event = { arguments: Record<string, any>; source: any };
const users = (events: Event[]) => events.map((e) => {
  const id = e.arguments.id ?? e.source.authorId;
  return id === 'bad' ? { errorType: 'NotFound', errorMessage: `no user ${id}` } : { id, name: `name of ${id}` };
});
const posts = (events: Event[]) => events.map((e) => Array.from({ length: e.arguments.n }, (_, i) => ({ id: `p${i}`, authorId: i === 1 && e.arguments.n === 3 ? 'bad' : `u${i}` })));

let gateway: GraphqlGateway | undefined;
afterEach(async () => {
  await gateway?.close();
  gateway = undefined;
});

function build(jobs: Record<string, (events: any, options: any) => unknown> = {}, options: Record<string, unknown> = {}) {
  const host = new FakeGatewayHost({ 'users/getUser': users, 'posts/list': posts, 'x/echo': (events: Event[]) => events, ...jobs });
  gateway = GraphqlGateway.create(host, { schemaDir: schemaDir({ 'app.graphql': SDL }), ...options })!;
  return { host, yoga: gateway.yoga };
}

describe('GraphQL gateway: resolution and batching', () => {
  it('resolves a list of 50 posts with their authors in exactly 2 invocations', async () => {
    const { host, yoga } = build();
    const { body } = await gql(yoga, '{ posts(n: 50) { id author { id name } } }');
    expect(body.errors).toBeUndefined();
    expect(body.data.posts).toHaveLength(50);
    expect(body.data.posts[49]).toEqual({ id: 'p49', author: { id: 'u49', name: 'name of u49' } });
    expect(host.calls.map((c) => [c.name, (c.payload as unknown[]).length, c.options.batch])).toEqual([
      ['posts/list', 1, true],
      ['users/getUser', 50, true],
    ]);
  });

  it('splits a batch at the field maxBatchSize, keeping order', async () => {
    const { host, yoga } = build();
    const { body } = await gql(yoga, '{ posts(n: 10) { smallBatchAuthor { id } } }');
    expect(body.data.posts.map((p: any) => p.smallBatchAuthor.id)).toEqual(Array.from({ length: 10 }, (_, i) => `u${i}`));
    expect(host.calls.slice(1).map((c) => (c.payload as Event[]).map((e) => e.source.authorId))).toEqual([
      ['u0', 'u1', 'u2'], ['u3', 'u4', 'u5'], ['u6', 'u7', 'u8'], ['u9'],
    ]);
  });

  it('batches at most 100 items by default, and up to 2000 where the field asks', async () => {
    const sizes = async (query: string) => {
      const { host, yoga } = build();
      const { body } = await gql(yoga, query);
      expect(body.errors).toBeUndefined();
      await gateway!.close();
      return host.calls.slice(1).map((c) => (c.payload as Event[]).length);
    };
    expect(await sizes('{ posts(n: 250) { author { id } } }')).toEqual([100, 100, 50]);
    expect(await sizes('{ posts(n: 2500) { largestBatchAuthor { id } } }')).toEqual([2000, 500]);
  });

  it('turns one failed batch item into an error at its path and keeps the other items', async () => {
    const { yoga } = build();
    const { body } = await gql(yoga, '{ posts(n: 3) { id author { id } } }');
    expect(body.data.posts).toEqual([
      { id: 'p0', author: { id: 'u0' } }, { id: 'p1', author: null }, { id: 'p2', author: { id: 'u2' } },
    ]);
    expect(body.errors).toEqual([expect.objectContaining({
      message: 'no user bad', path: ['posts', 1, 'author'], extensions: { code: 'FUNCTION_ERROR', errorType: 'NotFound' },
    })]);
  });

  it('takes the answer of a job run item by item as data even when it is shaped like an error; only items that threw fail', async () => {
    // AppSync maps what a Direct Lambda resolver returns to the field; only a thrown error is an error.
    const { yoga } = build({
      'x/echo': perItem((event: Event) => {
        if (event.arguments.a === 2) throw new FunctionFailure('Declined', 'thrown');
        return { errorMessage: `returned ${event.arguments.a}` };
      }),
    });
    const { body } = await gql(yoga, '{ one: echo(a: 1) two: echo(a: 2) three: echo(a: 3) }');
    expect(body.data).toEqual({ one: { errorMessage: 'returned 1' }, two: null, three: { errorMessage: 'returned 3' } });
    expect(body.errors).toEqual([expect.objectContaining({ message: 'thrown', path: ['two'], extensions: { code: 'FUNCTION_ERROR', errorType: 'Declined' } })]);
  });

  it('fails every waiter when the whole batch fails, keeping partial data', async () => {
    const { yoga } = build({ 'users/getUser': () => { throw new FunctionFailure('Sandbox.Timedout', 'Task timed out after 3.00 seconds'); } });
    const { body } = await gql(yoga, '{ posts(n: 4) { id author { id } } }');
    expect(body.data.posts.map((p: any) => p.author)).toEqual([null, null, null, null]);
    expect(body.data.posts[3].id).toBe('p3');
    expect(body.errors).toHaveLength(4);
    for (const [i, error] of body.errors!.entries()) {
      expect(error).toMatchObject({
        message: 'Task timed out after 3.00 seconds', path: ['posts', i, 'author'],
        extensions: { code: 'FUNCTION_ERROR', errorType: 'Sandbox.Timedout' },
      });
    }
  });

  it('reports a throttled invocation as THROTTLED', async () => {
    const { yoga } = build({ 'users/getUser': () => { throw new TooManyRequestsError('Rate Exceeded.', 'ReservedFunctionConcurrentInvocationLimitExceeded'); } });
    const { body } = await gql(yoga, '{ user(id: "u1") { id } }');
    expect(body.data).toEqual({ user: null });
    expect(body.errors![0]).toMatchObject({
      message: 'Rate Exceeded.', path: ['user'],
      extensions: { code: 'THROTTLED', errorType: 'TooManyRequestsException', reason: 'ReservedFunctionConcurrentInvocationLimitExceeded' },
    });
  });

  it('masks unexpected errors, and shows them when maskErrors is false', async () => {
    const boom = () => { throw new Error('secret database password in message'); };
    const masked = build({ 'users/getUser': boom });
    const { body } = await gql(masked.yoga, '{ user(id: "u1") { id } }');
    expect(body.errors![0]!.message).toBe('Unexpected error.');
    expect(JSON.stringify(body)).not.toContain('secret');
    await gateway!.close();
    const open = build({ 'users/getUser': boom }, { maskErrors: false });
    const shown = await gql(open.yoga, '{ user(id: "u1") { id } }');
    expect(shown.body.errors![0]!.message).toBe('secret database password in message');
  });

  it('masks them outside dev mode only: under NODE_ENV=development the masked error carries the original', async () => {
    vi.stubEnv('NODE_ENV', 'development');
    onTestFinished(() => void vi.unstubAllEnvs());
    const { yoga } = build({ 'users/getUser': () => { throw new Error('what went wrong'); } });
    const { body } = await gql(yoga, '{ user(id: "u1") { id } }');
    expect(body.errors![0]!.message).toBe('Unexpected error.');
    expect(body.errors![0]!.extensions).toMatchObject({ code: 'INTERNAL_SERVER_ERROR', originalError: { message: 'what went wrong' } });
  });

  it('refuses a batch answer of the wrong length for every waiter', async () => {
    const { yoga } = build({ 'users/getUser': (events: Event[]) => events.slice(1) });
    const { body } = await gql(yoga, '{ posts(n: 2) { author { id } } }');
    expect(body.errors).toHaveLength(2);
    expect(body.errors![0]!.message).toBe('job users/getUser returned an array of 1 for a batch of 2: a batch job must return an array of the same length and order');
    expect(body.errors![0]!.extensions).toEqual({ code: 'FUNCTION_ERROR', errorType: 'Neolith.BatchLengthMismatch' });
  });

  it('sends AppSync\'s Direct Lambda event, without the request signal (a client that leaves does not stop it)', async () => {
    const { host, yoga } = build();
    const { body } = await gql(
      yoga,
      'query Q($b: String) { echo(a: 1, b: $b) }',
      { b: 'two' },
      { 'x-trace': 'abc' },
    );
    const event = body.data.echo as Record<string, any>;
    expect(event).toEqual({
      arguments: { a: 1, b: 'two' },
      source: null,
      identity: null,
      request: { headers: expect.objectContaining({ 'x-trace': 'abc', 'content-type': 'application/json' }) },
      info: { fieldName: 'echo', parentTypeName: 'Query', variables: { b: 'two' }, selectionSetList: [], selectionSetGraphQL: '' },
    });
    expect(host.calls[0]!.options.signal).toBeUndefined();
  });

  it('sends a root field over graphql-ws the same event as over HTTP: source null, not the socket\'s executor', async () => {
    build();
    const { ws, close } = await overWebSocket(gateway!);
    gateway = undefined;
    try {
      const answer = await new Promise<any>((resolve, reject) => {
        let last: unknown;
        ws.subscribe({ query: '{ echo(a: 1) }' }, { next: (value) => (last = value), error: reject, complete: () => resolve(last) });
      });
      expect(answer.errors).toBeUndefined();
      expect(answer.data.echo).toMatchObject({ arguments: { a: 1 }, source: null, info: { fieldName: 'echo', parentTypeName: 'Query' } });
      // An operation that cannot start answers as over HTTP, without the status meant for HTTP.
      const refused = await new Promise<any>((resolve, reject) => {
        let last: unknown;
        ws.subscribe({ query: 'query Q($a: Int) { echo(a: $a) }', variables: { a: 'x' } }, { next: (value) => (last = value), error: reject, complete: () => resolve(last) });
      });
      expect(refused.errors).toHaveLength(1);
      expect(refused.errors[0].message).toContain('Variable "$a" got invalid value "x"');
      expect(refused.errors[0]).not.toHaveProperty('extensions.http');
    } finally {
      await close();
    }
  });

  it('lists nested selections by field name (fragments flattened, aliases ignored) and prints the selection set', async () => {
    const { host, yoga } = build();
    await gql(yoga, `
      query { posts(n: 1) { ...P } }
      fragment P on Post { id writer: author { id ... on User { name } __typename } }
    `);
    const [event] = host.calls[0]!.payload as Array<{ info: Record<string, unknown> }>;
    expect(event!.info.selectionSetList).toEqual(['id', 'author', 'author/id', 'author/name']);
    expect(event!.info.selectionSetGraphQL).toBe('{\n  ...P\n}');
    const [authorEvent] = host.calls[1]!.payload as Array<{ source: unknown; info: Record<string, unknown> }>;
    expect(authorEvent!.source).toEqual({ id: 'p0', authorId: 'u0' });
    expect(authorEvent!.info).toMatchObject({ fieldName: 'author', parentTypeName: 'Post', selectionSetList: ['id', 'name'] });
  });

  it('sends what every item of a batch has in common once (batchShared), and each item whole when selections differ', async () => {
    const { host, yoga } = build();
    await gql(yoga, '{ posts(n: 3) { author { id } } }', undefined, { 'x-trace': 'abc' });
    const shared = host.calls[1]!.options.batchShared as Record<string, any>;
    expect(Object.keys(shared)).toEqual(['identity', 'request', 'info']);
    expect(shared.request.headers['x-trace']).toBe('abc');
    expect(shared.info).toMatchObject({ fieldName: 'author', parentTypeName: 'Post', selectionSetList: ['id'] });
    expect((host.calls[1]!.sent as unknown[])[2]).toEqual({ arguments: {}, source: { id: 'p2', authorId: 'u2' } });
    expect((host.calls[1]!.payload as Array<Record<string, unknown>>)[2]).toEqual({
      arguments: {}, source: { id: 'p2', authorId: 'u2' }, ...shared,
    });
    // Two aliases of one field: one batch, two selections; each item carries its own.
    host.calls.length = 0;
    const { body } = await gql(yoga, '{ posts(n: 1) { a: author { id } b: author { name } } }');
    expect(body.data.posts).toEqual([{ a: { id: 'u0' }, b: { name: 'name of u0' } }]);
    const authors = host.calls[1]!;
    expect(authors.options.batchShared).toBeUndefined();
    expect((authors.payload as Array<{ info: { selectionSetList: string[] } }>).map((e) => e.info.selectionSetList)).toEqual([['id'], ['name']]);
  });

  it('merges a field asked for twice into one selection, as GraphQL merges its answer', async () => {
    const { host, yoga } = build();
    await gql(yoga, '{ posts(n: 1) { id } posts(n: 1) { author { name } } }');
    const [event] = host.calls[0]!.payload as Array<{ info: Record<string, unknown> }>;
    expect(event!.info.selectionSetList).toEqual(['id', 'author', 'author/name']);
    expect(event!.info.selectionSetGraphQL).toBe('{\n  id\n  author {\n    name\n  }\n}');
  });

  it('resolves unbound fields from the parent and never shares loaders between requests', async () => {
    const { host, yoga } = build();
    await Promise.all([gql(yoga, '{ a: user(id: "u1") { id } }'), gql(yoga, '{ b: user(id: "u2") { id } }')]);
    expect(host.calls.filter((c) => c.name === 'users/getUser').map((c) => (c.payload as unknown[]).length)).toEqual([1, 1]);
    expect((await gql(yoga, '{ plain }')).body).toEqual({ data: { plain: null } });
  });

  it('answers fields in the order the query asks for them, whichever job answers first (spec 7.2.2)', async () => {
    // The last field's job answers first; the first one's only after it.
    let lastAnswered!: () => void;
    const answered = new Promise<void>((resolve) => { lastAnswered = resolve; });
    const { yoga } = build({
      'users/getUser': async (events: Event[]) => { await answered; return users(events); },
      'x/echo': (events: Event[]) => { setImmediate(lastAnswered); return events.map(() => 'echoed'); },
    });
    const { body } = await gql(yoga, '{ first: user(id: "u1") { name id } plain second: echo(a: 1) }');
    expect(body.errors).toBeUndefined();
    expect(JSON.stringify(body.data)).toBe('{"first":{"name":"name of u1","id":"u1"},"plain":null,"second":"echoed"}');
  });
});
