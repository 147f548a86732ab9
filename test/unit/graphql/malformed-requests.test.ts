import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import { GraphqlGateway } from '../../../runtime/graphql/index.js';
import { FakeGatewayHost, schemaDir } from './fake-gateway-host.js';

/**
 * Requests GraphQL over HTTP cannot run: each is the client's mistake, so a
 * 400 (or a GraphQL request error) saying what is wrong — never a masked 500,
 * never a stack trace in the answer or the host's log, never an invocation.
 */
const SDL = `
  type User { id: ID! }
  type Query { user(id: ID!): User @fn(job: "users/get") users(limit: Int): [User!]! @fn(job: "users/list") }
`;

let gateway: GraphqlGateway;
let host: FakeGatewayHost;
let logged: MockInstance[];

beforeEach(() => {
  host = new FakeGatewayHost({
    'users/get': (events: Array<{ arguments: { id: string } }>) => events.map((e) => ({ id: e.arguments.id })),
    'users/list': (events: unknown[]) => events.map(() => []),
  });
  gateway = GraphqlGateway.create(host, { schemaDir: schemaDir({ 'a.graphql': SDL }) })!;
  logged = [vi.spyOn(console, 'error').mockImplementation(() => {}), vi.spyOn(console, 'warn').mockImplementation(() => {})];
});

afterEach(async () => {
  for (const spy of logged) spy.mockRestore();
  await gateway.close();
});

const ACCEPT = { accept: 'application/graphql-response+json', 'x-graphql-yoga-csrf': '1' };

interface Answer { status: number; errors: Array<{ message: string; extensions?: Record<string, unknown> }>; text: string }

async function send(path: string, init: RequestInit = {}): Promise<Answer> {
  const response = await gateway.yoga.fetch(`http://localhost${path}`, { ...init, headers: { ...ACCEPT, ...init.headers } });
  const text = await response.text();
  return { status: response.status, errors: (JSON.parse(text) as { errors: Answer['errors'] }).errors, text };
}

const post = (body: string, contentType = 'application/json') => send('/graphql', { method: 'POST', headers: { 'content-type': contentType }, body });
const get = (params: Record<string, string>) => send(`/graphql?${new URLSearchParams(params)}`);

/** What every refusal shares: nothing ran, no stack trace in the answer nor the log. */
function expectClean(answer: Answer): void {
  expect(answer.text).not.toMatch(/\bat .+:\d+:\d+|"stack"/);
  expect(host.calls).toEqual([]);
  for (const spy of logged) expect(spy).not.toHaveBeenCalled();
}

describe('GraphQL requests that cannot be parsed', () => {
  it('answers a GET whose variables are not JSON with 400 BAD_REQUEST naming the parameter', async () => {
    const answer = await get({ query: '{ __typename }', variables: '{bad' });
    expect(answer.status).toBe(400);
    expect(answer.errors).toEqual([{ message: expect.stringMatching(/^The variables parameter is not valid JSON: /), extensions: { code: 'BAD_REQUEST' } }]);
    expectClean(answer);
  });

  it('answers a GET whose extensions are not JSON with 400 BAD_REQUEST', async () => {
    const answer = await get({ query: '{ __typename }', extensions: '{"persistedQuery":' });
    expect(answer.status).toBe(400);
    expect(answer.errors).toEqual([{ message: expect.stringMatching(/^The extensions parameter is not valid JSON: /), extensions: { code: 'BAD_REQUEST' } }]);
    expectClean(answer);
  });

  it('answers a form POST whose variables are not JSON with 400 BAD_REQUEST', async () => {
    const answer = await post('query=%7B__typename%7D&variables=%7Bbad', 'application/x-www-form-urlencoded');
    expect(answer.status).toBe(400);
    expect(answer.errors[0]).toMatchObject({ message: expect.stringMatching(/is not valid JSON: /), extensions: { code: 'BAD_REQUEST' } });
    expectClean(answer);
  });

  it('answers a POST whose body is not JSON with 400 BAD_REQUEST saying where it breaks', async () => {
    const answer = await post('{"query":');
    expect(answer.status).toBe(400);
    expect(answer.errors).toEqual([{ message: 'POST body sent invalid JSON: Unexpected end of JSON input', extensions: { code: 'BAD_REQUEST' } }]);
    expectClean(answer);
  });

  it('does not quote an invalid body back: a 1 MB one gets a short answer', async () => {
    const answer = await post(`{"query":"${'a'.repeat(1024 * 1024)}`);
    expect(answer.status).toBe(400);
    expect(answer.text.length).toBeLessThan(400);
    expect(answer.errors).toEqual([{ message: 'POST body sent invalid JSON: Unterminated string in JSON at position 1048586', extensions: { code: 'BAD_REQUEST' } }]);
    expectClean(answer);
  });

  it('answers a body of a type it cannot read with 415 saying what it accepts', async () => {
    for (const type of ['text/plain', 'application/xml']) {
      const answer = await post('{"query":"{ __typename }"}', type);
      expect(answer.status, type).toBe(415);
      expect(answer.errors).toEqual([{
        message: expect.stringContaining(`cannot read a POST body of type "${type}": send a GET with query parameters, or a POST of application/json`),
        extensions: { code: 'UNSUPPORTED_MEDIA_TYPE' },
      }]);
      expectClean(answer);
    }
  });

  it('answers a JSON array (a batch) with 400: batching is off', async () => {
    const answer = await post('[{"query":"{ __typename }"}]');
    expect(answer.status).toBe(400);
    expect(answer.errors).toEqual([{ message: 'Batching is not supported.', extensions: { code: 'BAD_REQUEST' } }]);
    expectClean(answer);
  });

  it('answers a query that is not a string with 400', async () => {
    const answer = await post('{"query":5}');
    expect(answer.status).toBe(400);
    expect(answer.errors).toEqual([{ message: 'Expected "query" param to be a string, but given number.', extensions: { code: 'BAD_REQUEST' } }]);
    expectClean(answer);
  });

  it('answers variables given as a string with 400', async () => {
    const answer = await post('{"query":"query($id: ID!) { user(id: $id) { id } }","variables":"{\\"id\\":\\"u1\\"}"}');
    expect(answer.status).toBe(400);
    expect(answer.errors).toEqual([{ message: 'Expected "variables" param to be empty or an object, but given string.', extensions: { code: 'BAD_REQUEST' } }]);
    expectClean(answer);
  });

  it('answers variables of the wrong type with a GraphQL request error, invoking nothing', async () => {
    for (const [body, message] of [
      ['{"query":"query($id: ID!) { user(id: $id) { id } }","variables":{"id":{"a":1}}}', 'Variable "$id" got invalid value { a: 1 }; ID cannot represent value: { a: 1 }'],
      ['{"query":"query($n: Int) { users(limit: $n) { id } }","variables":{"n":"many"}}', 'Variable "$n" got invalid value "many"; Int cannot represent non-integer value: "many"'],
      ['{"query":"query($id: ID!) { user(id: $id) { id } }","variables":{}}', 'Variable "$id" of required type "ID!" was not provided.'],
    ] as const) {
      const answer = await post(body);
      expect(answer.status, body).toBe(400);
      expect(answer.errors).toEqual([{ message, locations: [{ line: 1, column: 7 }] }]);
      expectClean(answer);
    }
  });

  it('answers an operationName the document does not define with 400', async () => {
    const answer = await post('{"query":"query A { __typename } query B { __typename }","operationName":"C"}');
    expect(answer.status).toBe(400);
    expect(answer.errors).toEqual([{ message: 'Could not determine what operation to execute.', extensions: { code: 'OPERATION_RESOLUTION_FAILURE' } }]);
    expectClean(answer);
  });

  it('still runs a well-formed GET with JSON variables', async () => {
    const response = await gateway.yoga.fetch(`http://localhost/graphql?${new URLSearchParams({ query: 'query($id: ID!) { user(id: $id) { id } }', variables: '{"id":"u7"}' })}`, { headers: ACCEPT });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: { user: { id: 'u7' } } });
  });
});
