import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GraphqlGateway } from '../../../runtime/graphql/index.js';
import { ConfigError } from '../../../runtime/errors/index.js';
import { FakeGatewayHost, schemaDir } from './fake-gateway-host.js';

const host = () => new FakeGatewayHost({ 'users/getUser': () => [], 'orders/place': () => [] });

function problemsOf(sdl: Record<string, string>): readonly string[] {
  try {
    GraphqlGateway.create(host(), { schemaDir: schemaDir(sdl) });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('binding fields to jobs at start', () => {
  it('names the field coordinate and the layout for a job that does not exist', () => {
    expect(problemsOf({ 'a.graphql': 'type Query { user(id: ID!): String @fn(job: "users/nope") }' })).toEqual([
      'Query.user: job "users/nope" does not exist in layout micro',
    ]);
  });

  it('reports every binding mistake at once', () => {
    expect(problemsOf({
      'a.graphql': `
        type User { id: ID! best: User @fn(job: "users/gone") }
        type Query { user: User @fn(job: "users/getUser", maxBatchSize: 2001) }
      `,
    })).toEqual([
      'Query.user: @fn maxBatchSize must be an integer from 1 to 2000 (got 2001)',
      'User.best: job "users/gone" does not exist in layout micro',
    ]);
  });

  it('refuses maxBatchSize 0', () => {
    expect(problemsOf({ 'a.graphql': 'type Query { u: String @fn(job: "users/getUser", maxBatchSize: 0) }' })).toEqual([
      'Query.u: @fn maxBatchSize must be an integer from 1 to 2000 (got 0)',
    ]);
  });

  it('allows EVENT only on Mutation fields returning Invocation', () => {
    expect(problemsOf({
      'a.graphql': `
        type Query { q: Invocation @fn(job: "orders/place", invocation: EVENT) }
        type Mutation {
          m: String @fn(job: "orders/place", invocation: EVENT)
          many: [Invocation!]! @fn(job: "orders/place", invocation: EVENT)
          one: Invocation! @fn(job: "orders/place", invocation: EVENT)
        }
      `,
    })).toEqual([
      'Query.q: invocation EVENT is only allowed on Mutation fields',
      'Mutation.m: a field with invocation EVENT must return Invocation (got String)',
      'Mutation.many: a field with invocation EVENT must return Invocation (got [Invocation!]!)',
    ]);
  });

  it('refuses @fn on an interface field, which would bind nothing', () => {
    expect(problemsOf({
      'a.graphql': `
        interface Node { id: ID! owner: String @fn(job: "users/getUser") }
        type Query { node: Node }
      `,
    })).toEqual([
      'Node.owner: @fn on an interface field binds nothing; put it on the field of each type that implements Node',
    ]);
  });

  it('refuses @fn on a subscription field', () => {
    expect(problemsOf({ 'a.graphql': 'type Query { a: Int } type Subscription { s: String @fn(job: "users/getUser") }' })).toEqual([
      'Subscription.s: @fn cannot bind a subscription field (use Subscription.invocation for async results)',
    ]);
  });

  it('names the file of an SDL syntax error', () => {
    const [problem] = problemsOf({ 'broken.graphql': 'type Query { a: }' });
    expect(problem).toMatch(/^schema .*broken\.graphql: Syntax Error: Expected Name, found "}"\./);
  });

  it('reports an invalid schema (unknown type) clearly', () => {
    const [problem] = problemsOf({ 'a.graphql': 'type Query { a: Nope }' });
    expect(problem).toMatch(/^schema must be valid GraphQL SDL: .*Nope/);
  });

  it('merges several files, extensions included, and records each binding', () => {
    const gateway = GraphqlGateway.create(host(), {
      schemaDir: schemaDir({
        'a.graphql': 'type Query { user: String @fn(job: "users/getUser") }',
        'b.graphql': 'extend type Query { other: Int } type Mutation { place: Invocation! @fn(job: "orders/place", invocation: EVENT) }',
      }),
    })!;
    expect(gateway.bindings).toEqual([
      { coordinate: 'Query.user', job: 'users/getUser', invocation: 'REQUEST_RESPONSE', maxBatchSize: 100 },
      { coordinate: 'Mutation.place', job: 'orders/place', invocation: 'EVENT', maxBatchSize: 100 },
    ]);
    expect(Object.keys(gateway.schema.getQueryType()!.getFields())).toEqual(expect.arrayContaining(['invocation', 'user', 'other']));
    expect(Object.keys(gateway.schema.getSubscriptionType()!.getFields())).toEqual(['invocation']);
    void gateway.close();
  });

  it('turns GraphQL off without a schema folder, and refuses a configured folder that is missing or empty', () => {
    const root = mkdtempSync(join(tmpdir(), 'neolith-root-'));
    const h = host();
    (h.config as { rootDir: string }).rootDir = root;
    expect(GraphqlGateway.create(h)).toBeUndefined();
    expect(() => GraphqlGateway.create(h, { schemaDir: 'missing' })).toThrow('graphql.schemaDir must be an existing folder of *.graphql files (got "missing")');
    expect(() => GraphqlGateway.create(h, { schemaDir: '.' })).toThrow('graphql.schemaDir must hold at least one *.graphql file (got "")');
  });
});
