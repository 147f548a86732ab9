import { serialize } from 'node:v8';
import { parse, visit } from 'graphql';
import { afterEach, describe, expect, it } from 'vitest';
import { GraphqlGateway } from '../../../runtime/graphql/index.js';
import { withOneByteNames } from '../../../runtime/graphql/one-byte-names.js';
import { FakeGatewayHost, gql, schemaDir } from './fake-gateway-host.js';

/** V8's serializer tags a one-byte string `"` and a two-byte one `c` (after a padding byte, if any). */
const isOneByte = (text: string): boolean => serialize(text)[2] === 0x22;

// An en dash in a description makes the whole text two-byte in V8. The type and field names appear
// nowhere else in this test's source: a one-byte literal of one (internalized when the module loads)
// would be the copy V8 hands out for it, and hide the two-byte original.
const SDL = `
  type User { id: ID! }
  type Zqarticle { id: ID! zqWriterKey: ID! author(zqorder: String = "zqnewest"): User @fn(job: "users/getUser") }
  type Query {
    "Oldest first; n 1–100."
    posts(n: Int!): [Zqarticle!]! @fn(job: "posts/list")
  }
`;

const names = (document: ReturnType<typeof parse>): string[] => {
  const found: string[] = [];
  visit(document, { Name: (node) => void found.push(node.value) });
  return found;
};

let gateway: GraphqlGateway | undefined;
afterEach(async () => {
  await gateway?.close();
  gateway = undefined;
});

describe('schema names held one byte a character', () => {
  it('copies every name of a two-byte document to a one-byte string, unchanged', () => {
    const parsed = parse(SDL);
    // Without the copy the names are two-byte: what this test guards against.
    expect(names(parsed).filter((name) => name.length > 1 && isOneByte(name))).toEqual([]);
    const copied = withOneByteNames(parsed);
    expect(names(copied)).toEqual(names(parsed));
    expect(names(copied).every(isOneByte)).toBe(true);
    // Text past Latin-1 stays as it was.
    const descriptions = (document: ReturnType<typeof parse>): string[] => {
      const found: string[] = [];
      visit(document, { StringValue: (node) => void found.push(node.value) });
      return found;
    };
    expect(descriptions(copied)).toEqual(descriptions(parsed));
    expect(descriptions(copied)).toContain('Oldest first; n 1–100.');
  });

  it('sends a batch whose JSON is one-byte when the SDL has a character past Latin-1', async () => {
    const host = new FakeGatewayHost({
      // Parsed from JSON, as the host parses a function's answer: its keys are the schema's, as V8 holds them.
      'posts/list': (events: unknown[]) => events.map(() => JSON.parse('[{"id":"p1","zqWriterKey":"u1"},{"id":"p2","zqWriterKey":"u2"}]') as unknown),
      'users/getUser': (events: Array<{ source: Record<string, string> }>) => events.map((e) => ({ id: Object.values(e.source)[1] })),
    });
    gateway = GraphqlGateway.create(host, { schemaDir: schemaDir({ 'app.graphql': SDL }) })!;
    const { body } = await gql(gateway.yoga, '{ posts(n: 2) { id author { id } } }');
    expect(body).toEqual({ data: { posts: [{ id: 'p1', author: { id: 'u1' } }, { id: 'p2', author: { id: 'u2' } }] } });
    const authors = host.calls.find((call) => call.name === 'users/getUser')!;
    const items = JSON.stringify(authors.sent);
    const shared = JSON.stringify(authors.options.batchShared);
    expect(items).toContain('"zqWriterKey":"u1"');
    expect(items).toContain('"arguments":{"zqorder":"zqnewest"}');
    expect(shared).toContain('"parentTypeName":"Zqarticle"');
    expect([isOneByte(items), isOneByte(shared)]).toEqual([true, true]);
  });
});
