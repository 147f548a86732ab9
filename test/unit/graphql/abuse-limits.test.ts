import { afterEach, describe, expect, it } from 'vitest';
import { GraphqlGateway } from '../../../runtime/graphql/index.js';
import type { GraphqlOptions } from '../../../runtime/config/index.js';
import { FakeGatewayHost, gql, overWebSocket, schemaDir } from './fake-gateway-host.js';

const SDL = `
  type Node { id: ID! name: String child: Node }
  type Query { node: Node @fn(job: "nodes/get") }
`;

let gateway: GraphqlGateway | undefined;
afterEach(async () => {
  await gateway?.close();
  gateway = undefined;
});

function build(options: GraphqlOptions = {}) {
  const node = (depth: number): unknown => (depth === 0 ? null : { id: `n${depth}`, name: 'x', child: node(depth - 1) });
  const host = new FakeGatewayHost({ 'nodes/get': (events: unknown[]) => events.map(() => node(30)) });
  gateway = GraphqlGateway.create(host, { schemaDir: schemaDir({ 'a.graphql': SDL }), ...options })!;
  return { host, yoga: gateway.yoga };
}

const nested = (depth: number) => `{ node { ${'child { '.repeat(depth)}id${' }'.repeat(depth)} } }`;

describe('abuse limits (graphql-armor)', () => {
  it('runs a query inside every limit', async () => {
    const { body } = await gql(build().yoga, nested(5));
    expect(body.errors).toBeUndefined();
    expect(body.data.node.child.child.child.child.child.id).toBe('n25');
  });

  it('refuses a query deeper than maxDepth without invoking anything', async () => {
    const { host, yoga } = build({ maxDepth: 4 });
    const { status, body } = await gql(yoga, nested(8));
    expect(status).toBe(400);
    expect(body.errors).toEqual([{ message: 'Query depth limit of 4 exceeded, found 10.', extensions: { code: 'QUERY_LIMIT_EXCEEDED', limit: 'graphql.maxDepth' } }]);
    expect(body.data).toBeUndefined();
    expect(host.calls).toEqual([]);
  });

  it('refuses over graphql-ws with the same error, without the status meant for HTTP', async () => {
    const { yoga } = build({ maxDepth: 4 });
    const { ws, close } = await overWebSocket(gateway!);
    gateway = undefined;
    try {
      const refused = await new Promise<unknown>((resolve, reject) => {
        ws.subscribe({ query: nested(8) }, { next: () => reject(new Error('answered')), error: resolve, complete: () => reject(new Error('completed')) });
      });
      expect(refused).toEqual([{ message: 'Query depth limit of 4 exceeded, found 10.', extensions: { code: 'QUERY_LIMIT_EXCEEDED', limit: 'graphql.maxDepth' } }]);
      // The copy sent over the socket leaves the cached error whole: HTTP still answers 400.
      expect((await gql(yoga, nested(8))).status).toBe(400);
    } finally {
      await close();
    }
  });

  it('refuses more aliases than maxAliases', async () => {
    const { yoga } = build({ maxAliases: 3 });
    const aliases = Array.from({ length: 5 }, (_, i) => `a${i}: node { id }`).join(' ');
    const { status, body } = await gql(yoga, `{ ${aliases} }`);
    expect(status).toBe(400);
    // As yoga answers any invalid operation: under legacy application/json, 200 with the errors.
    const legacy = await gql(yoga, `{ ${aliases} }`, undefined, { accept: 'application/json' });
    expect([legacy.status, legacy.body.errors?.[0]?.extensions?.code]).toEqual([200, 'QUERY_LIMIT_EXCEEDED']);
    expect(body.errors).toEqual([{ message: 'Aliases limit of 3 exceeded, found 5.', extensions: { code: 'QUERY_LIMIT_EXCEEDED', limit: 'graphql.maxAliases' } }]);
  });

  it('refuses a document of more than maxTokens tokens', async () => {
    const { yoga } = build({ maxTokens: 50 });
    const wide = `{ node { ${Array.from({ length: 60 }, () => 'id').join(' ')} } }`;
    const { status, body } = await gql(yoga, wide);
    expect(status).toBe(400);
    expect(body.errors).toEqual([{ message: 'Token limit of 50 exceeded.', extensions: { code: 'QUERY_LIMIT_EXCEEDED', limit: 'graphql.maxTokens' } }]);
  });

  it('refuses more directives than maxDirectives', async () => {
    const { yoga } = build({ maxDirectives: 2 });
    const { status, body } = await gql(yoga, '{ node @include(if: true) @include(if: true) @skip(if: false) { id } }');
    expect(status).toBe(400);
    expect(body.errors).toEqual([{ message: 'Directives limit of 2 exceeded, found 3.', extensions: { code: 'QUERY_LIMIT_EXCEEDED', limit: 'graphql.maxDirectives' } }]);
  });

  it('refuses an operation costlier than maxCost', async () => {
    const { yoga } = build({ maxCost: 20 });
    const { status, body } = await gql(yoga, nested(6));
    expect(status).toBe(400);
    expect(body.errors).toEqual([{ message: expect.stringMatching(/^Query Cost limit of 20 exceeded, found [\d.]+\.$/), extensions: { code: 'QUERY_LIMIT_EXCEEDED', limit: 'graphql.maxCost' } }]);
  });

  it('hides field suggestions while masking errors', async () => {
    const { yoga } = build();
    const { body } = await gql(yoga, '{ nod { id } }');
    expect(body.errors![0]!.message).toBe('Cannot query field "nod" on type "Query". [Suggestion hidden]');
  });

  describe('fan-out through nested lists', () => {
    const LISTS = `
      type Item { id: ID! parts: [Item!]! @fn(job: "items/parts") }
      type Query { items(tag: String): [Item!]! @fn(job: "items/list") }
    `;
    const ten = (prefix: string) => Array.from({ length: 10 }, (_, i) => ({ id: `${prefix}${i}` }));
    function buildLists(options: GraphqlOptions = {}, itemsPerList = 10) {
      const host = new FakeGatewayHost({
        'items/list': (events: unknown[]) => events.map(() => Array.from({ length: itemsPerList }, (_, i) => ({ id: `i${i}` }))),
        'items/parts': (events: Array<{ source: { id: string } }>) => events.map((e) => ten(`${e.source.id}.`)),
      });
      gateway = GraphqlGateway.create(host, { schemaDir: schemaDir({ 'a.graphql': LISTS }), ...options })!;
      return { host, yoga: gateway.yoga };
    }

    it('stops a request past maxFunctionCalls with a clear error, before invoking the rest', async () => {
      const { host, yoga } = buildLists({ maxFunctionCalls: 50 });
      const { body } = await gql(yoga, '{ items { parts { parts { id } } } }');
      expect(body.errors![0]).toMatchObject({
        message: 'this request resolves more than 50 fields through functions (graphql.maxFunctionCalls); ask for fewer items or less nesting',
        extensions: { code: 'BAD_REQUEST' },
      });
      // 1 + 10 calls fit; the 100 of the third level are refused without an invocation.
      expect(host.calls.map((c) => c.name)).toEqual(['items/list', 'items/parts']);
    });

    it('refuses a batch whose copies of the request variables would pass the payload limit, before building it', async () => {
      const { host, yoga } = buildLists({}, 100);
      const { body } = await gql(yoga, 'query ($big: String) { items(tag: $big) { parts { id } } }', { big: 'x'.repeat(70_000) });
      expect(body.errors![0]).toMatchObject({
        message: expect.stringMatching(/^the batch for Item\.parts would exceed 6291456 bytes: each of its 100 events carries the request's 70\d{3} bytes of variables$/),
        extensions: { code: 'BAD_REQUEST', errorType: 'RequestTooLargeException' },
      });
      expect(host.calls.map((c) => c.name)).toEqual(['items/list']);
    });
  });
});
