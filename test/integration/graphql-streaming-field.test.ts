import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHost, type Host } from '../../runtime/index.js';
import { tempDir } from '../support/temp-dir.js';

// AppSync invokes a Direct Lambda resolver with a plain Invoke, and Lambda answers a streaming function's
// plain Invoke with what it wrote: a field bound to a streaming job resolves to that, item by item.
const handlers = resolve(import.meta.dirname, '../fixtures/handlers');
const state = tempDir();
const schema = tempDir();
let host: Host;
let url: string;

beforeAll(async () => {
  mkdirSync(schema.path, { recursive: true });
  writeFileSync(join(schema.path, 'streamed.graphql'), [
    'type Greeting { greeting: String! }',
    'type Query { greet(name: String!, fail: Boolean): Greeting @fn(job: "streamed") people: [Person!]! }',
    'type Person { name: String! greeting: Greeting @fn(job: "streamed") }',
  ].join('\n'));
  host = await createHost({
    rootDir: handlers,
    logger: { level: 'silent' },
    config: { stateDir: state.path, graphql: { schemaDir: schema.path }, functions: { streamed: { handler: './streaming-field.mjs' } } },
  });
  ({ url } = await host.listen({ port: 0 }));
});

afterAll(async () => {
  await host?.close();
  state.remove();
  schema.remove();
});

const query = async (text: string) => (await fetch(`${url}/graphql`, {
  method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: text }),
})).json() as Promise<{ data?: unknown; errors?: Array<{ message: string; path?: unknown[]; extensions?: Record<string, unknown> }> }>;

describe('a GraphQL field bound to a streaming job', () => {
  it('resolves to what the job wrote, read as JSON', async () => {
    expect(await query('{ greet(name: "ada") { greeting } }')).toEqual({ data: { greet: { greeting: 'hello ada' } } });
  });

  it('fails only the item whose job failed', async () => {
    const result = await query('{ a: greet(name: "ada") { greeting } b: greet(name: "bob", fail: true) { greeting } }');
    expect(result.data).toEqual({ a: { greeting: 'hello ada' }, b: null });
    expect(result.errors).toEqual([expect.objectContaining({ message: 'no answer for bob', path: ['b'] })]);
  });
});
