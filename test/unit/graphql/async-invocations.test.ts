import { afterEach, describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import { GraphqlGateway } from '../../../runtime/graphql/index.js';
import type { GraphqlOptions } from '../../../runtime/config/index.js';
import { FakeGatewayHost, gql, schemaDir } from './fake-gateway-host.js';

const SECRET = 'a-test-secret-of-at-least-thirty-two-bytes!';
const SDL = `
  type Query { ping: Int }
  type Mutation { place(n: Int!): Invocation! @fn(job: "orders/place", invocation: EVENT) }
`;

let gateway: GraphqlGateway | undefined;
afterEach(async () => {
  await gateway?.close();
  gateway = undefined;
});

function build(options: GraphqlOptions = {}, withRecords = true) {
  const host = new FakeGatewayHost({ 'orders/place': () => null }, { withRecords });
  gateway = GraphqlGateway.create(host, { schemaDir: schemaDir({ 'a.graphql': SDL }), auth: { jwt: { secret: SECRET } }, ...options })!;
  return { host, yoga: gateway.yoga };
}

const bearer = async (sub: string) => ({
  authorization: `Bearer ${await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setIssuer('iss').setExpirationTime('5m').sign(new TextEncoder().encode(SECRET))}`,
});

/** Reads yoga's SSE stream (`event: next` / `event: complete`) into the data objects sent. */
async function readSse(response: Response, onEvent: (data: any, index: number) => void = () => {}): Promise<any[]> {
  const events: any[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      if (block.startsWith('event: complete')) return events;
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (block.startsWith('event: next') && data) {
        events.push(JSON.parse(data));
        onEvent(events.at(-1), events.length - 1);
      }
    }
  }
  return events;
}

const subscribe = (yoga: GraphqlGateway['yoga'], id: string, headers: Record<string, string> = {}) => yoga.fetch('http://localhost/graphql', {
  method: 'POST',
  headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...headers },
  body: JSON.stringify({ query: 'subscription ($id: ID!) { invocation(id: $id) { id status attempts result error { errorType errorMessage } } }', variables: { id } }),
});

describe('async mutations (invocation: EVENT)', () => {
  it('answers a subscription asked for as JSON with 406 saying how to ask', async () => {
    const { yoga } = build();
    const { body } = await gql(yoga, 'mutation { place(n: 1) { id } }');
    const id = body.data.place.id as string;
    // One type, and GraphQL over HTTP's recommended pair (yoga lists the stream type once per type asked for).
    for (const accept of ['application/json', 'application/graphql-response+json', 'application/graphql-response+json, application/json;q=0.9']) {
      const response = await yoga.fetch('http://localhost/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept },
        body: JSON.stringify({ query: 'subscription ($id: ID!) { invocation(id: $id) { status } }', variables: { id } }),
      });
      expect(response.status, accept).toBe(406);
      expect(response.headers.get('content-type')).toBe(`${accept.split(',')[0]}; charset=utf-8`);
      expect(response.headers.get('accept')).toBe('text/event-stream');
      expect(await response.json()).toEqual({
        errors: [{
          message: `A subscription's results are a stream: send Accept: text/event-stream (Server-Sent Events), or subscribe over graphql-ws (got Accept: "${accept}")`,
          extensions: { code: 'NOT_ACCEPTABLE' },
        }],
      });
    }
  });

  it('queues the job as an Event with the caller identity and answers an Invocation at once', async () => {
    const { host, yoga } = build();
    const { body } = await gql(yoga, 'mutation { place(n: 1) { id status function job attempts result error { errorType } } }', undefined, await bearer('alice'));
    expect(body.errors).toBeUndefined();
    const [call] = host.calls;
    expect(call!.options).toMatchObject({ type: 'Event', identity: { sub: 'alice', issuer: 'iss' } });
    expect(call!.payload).toMatchObject({ arguments: { n: 1 }, info: { fieldName: 'place', parentTypeName: 'Mutation' } });
    expect(body.data.place).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/), status: 'QUEUED', function: 'orders', job: 'orders/place', attempts: 0, result: null, error: null,
    });
  });

  it('lets only the caller read its invocation unless visibility is "all"', async () => {
    const { yoga } = build();
    const alice = await bearer('alice');
    const { body } = await gql(yoga, 'mutation { place(n: 1) { id } }', undefined, alice);
    const id = body.data.place.id as string;
    const read = (headers: Record<string, string>) => gql(yoga, 'query ($id: ID!) { invocation(id: $id) { id status } }', { id }, headers);
    expect((await read(alice)).body.data.invocation).toEqual({ id, status: 'QUEUED' });
    expect((await read(await bearer('mallory'))).body.data.invocation).toBeNull();
    expect((await read({})).body.data.invocation).toBeNull();
    expect((await gql(yoga, '{ invocation(id: "unknown") { id } }', undefined, alice)).body.data.invocation).toBeNull();
    await gateway!.close();
    const open = build({ invocationVisibility: 'all' });
    const other = await gql(open.yoga, 'mutation { place(n: 1) { id } }', undefined, alice);
    const seen = await gql(open.yoga, 'query ($id: ID!) { invocation(id: $id) { id } }', { id: other.body.data.place.id }, await bearer('mallory'));
    expect(seen.body.data.invocation).toEqual({ id: other.body.data.place.id });
  });

  it('pushes each status change over SSE until the invocation is final', async () => {
    const { host, yoga } = build();
    const { body } = await gql(yoga, 'mutation { place(n: 1) { id } }');
    const id = body.data.place.id as string;
    const record = host.records.get(id)!;
    const steps = [
      { ...record, status: 'RUNNING' as const, attempts: 1, updatedAt: record.updatedAt + 1 },
      { ...record, status: 'QUEUED' as const, attempts: 1, updatedAt: record.updatedAt + 2, error: { errorType: 'Boom', errorMessage: 'first try failed' } },
      // A stale change (older updatedAt) must not be pushed.
      { ...record, status: 'RUNNING' as const, attempts: 1, updatedAt: record.updatedAt + 1 },
      { ...record, status: 'RUNNING' as const, attempts: 2, updatedAt: record.updatedAt + 3, error: { errorType: 'Boom', errorMessage: 'first try failed' } },
      { ...record, status: 'SUCCEEDED' as const, attempts: 2, updatedAt: record.updatedAt + 4, result: '{"ok":true}', error: { errorType: 'Boom', errorMessage: 'first try failed' } },
    ];
    // Each change is sent once the previous one was received: the stream follows the record, in order.
    const events = await readSse(await subscribe(yoga, id), (_data, i) => {
      if (i === 0) for (const step of steps) host.update(step);
    });
    expect(events.map((e) => [e.data.invocation.status, e.data.invocation.attempts])).toEqual([
      ['QUEUED', 0], ['RUNNING', 1], ['QUEUED', 1], ['RUNNING', 2], ['SUCCEEDED', 2],
    ]);
    expect(events[2].data.invocation.error).toEqual({ errorType: 'Boom', errorMessage: 'first try failed' });
    expect(events[4].data.invocation).toMatchObject({ result: { ok: true }, error: null });
    expect(host.watchers).toBe(0);
  });

  it('follows changes written by a host whose clock is behind (updatedAt earlier than the change before)', async () => {
    const { host, yoga } = build();
    const { body } = await gql(yoga, 'mutation { place(n: 1) { id } }');
    const id = body.data.place.id as string;
    const record = host.records.get(id)!;
    const events = await readSse(await subscribe(yoga, id), (_data, i) => {
      if (i !== 0) return;
      host.update({ ...record, status: 'RUNNING', attempts: 1, updatedAt: record.updatedAt - 60 });
      host.update({ ...record, status: 'SUCCEEDED', attempts: 1, updatedAt: record.updatedAt - 20, result: '1' });
    });
    expect(events.map((e) => e.data.invocation.status)).toEqual(['QUEUED', 'RUNNING', 'SUCCEEDED']);
    expect(host.watchers).toBe(0);
  });

  it('ends at once for an invocation already final, and refuses unknown or foreign ids', async () => {
    const { host, yoga } = build();
    const { body } = await gql(yoga, 'mutation { place(n: 1) { id } }', undefined, await bearer('alice'));
    const id = body.data.place.id as string;
    host.update({ ...host.records.get(id)!, status: 'FAILED', attempts: 3, error: { errorType: 'E', errorMessage: 'no' } });
    const events = await readSse(await subscribe(yoga, id, await bearer('alice')));
    expect(events.map((e) => e.data.invocation.status)).toEqual(['FAILED']);
    const foreign = await readSse(await subscribe(yoga, id, await bearer('mallory')));
    // A foreign id answers as an unknown one does: not found, not forbidden (which would tell it exists).
    expect(foreign).toEqual([{ errors: [expect.objectContaining({ message: `invocation ${id} not found`, extensions: { code: 'NOT_FOUND' } })] }]);
    const unknown = await readSse(await subscribe(yoga, 'no-such-id', await bearer('alice')));
    expect(unknown).toEqual([{ errors: [expect.objectContaining({ message: 'invocation no-such-id not found', extensions: { code: 'NOT_FOUND' } })] }]);
    expect(host.watchers).toBe(0);
  });

  it('ends open subscriptions when the gateway closes', async () => {
    const { host, yoga } = build();
    const { body } = await gql(yoga, 'mutation { place(n: 1) { id } }');
    const stream = readSse(await subscribe(yoga, body.data.place.id as string), () => void gateway!.close());
    expect((await stream).map((e) => e.data.invocation.status)).toEqual(['QUEUED']);
    expect(host.watchers).toBe(0);
  });

  it('refuses a subscription that starts while the gateway closes, so it cannot hold the close', async () => {
    const { host, yoga } = build();
    const { body } = await gql(yoga, 'mutation { place(n: 1) { id } }');
    await gateway!.close();
    const events = await readSse(await subscribe(yoga, body.data.place.id as string));
    expect(events).toEqual([{ errors: [expect.objectContaining({ message: 'the host is closing', extensions: { code: 'SERVICE_UNAVAILABLE' } })] }]);
    expect(host.watchers).toBe(0);
  });

  it('answers SERVICE_UNAVAILABLE for records when the host has no backend', async () => {
    const { yoga } = build({}, false);
    const placed = await gql(yoga, 'mutation { place(n: 1) { id status } }');
    expect(placed.body.data.place.status).toBe('QUEUED');
    const { body } = await gql(yoga, '{ invocation(id: "x") { id } }');
    expect(body.errors![0]).toMatchObject({
      message: 'async invocation records need a durable backend, and this host has none', extensions: { code: 'SERVICE_UNAVAILABLE' },
    });
  });
});
