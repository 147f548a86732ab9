import { mkdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHost, type Host, type InvocationOutcome } from '../../runtime/index.js';
import { Gate } from '../support/gate.js';
import { tempDir } from '../support/temp-dir.js';

// As in Lambda, a caller that hangs up does not stop its invocation: it runs to the end and its
// environment stays warm (stopping it would terminate the environment, and the next call would
// pay a cold start).
const handlers = resolve(import.meta.dirname, '../fixtures/handlers');
const state = tempDir();
const schema = tempDir();
const gate = new Gate();
let host: Host;
let url: string;

beforeAll(async () => {
  await gate.open();
  mkdirSync(schema.path, { recursive: true });
  writeFileSync(join(schema.path, 'held.graphql'), 'type Query { held(gate: String!): String @fn(job: "heldField") }\n');
  host = await createHost({
    rootDir: handlers,
    logger: { level: 'silent' },
    config: {
      stateDir: state.path,
      graphql: { schemaDir: schema.path },
      functions: { gated: { handler: './gated.mjs' }, heldField: { handler: './gated-field.mjs' } },
    },
  });
  ({ url } = await host.listen({ port: 0 }));
});

afterAll(async () => {
  gate.release('closing');
  await host?.close();
  await gate.close();
  state.remove();
  schema.remove();
});

function nextOutcome(functionName: string): Promise<InvocationOutcome> {
  return new Promise((done) => host.invoker.onOutcome((o) => o.functionName === functionName && done(o)));
}

/** Starts a request, waits until its handler is held at the gate, then hangs up. */
async function hangUpWhileRunning(request: (signal: AbortSignal) => Promise<Response>): Promise<void> {
  const controller = new AbortController();
  const response = request(controller.signal).catch((error: unknown) => error);
  await gate.arrived(1);
  controller.abort();
  expect(await response).toBeInstanceOf(Error);
}

describe('a caller that disconnects', () => {
  it('does not stop a Lambda API invocation: it finishes and its environment serves the next call warm', async () => {
    const first = nextOutcome('gated');
    await hangUpWhileRunning((signal) => fetch(`${url}/2015-03-31/functions/gated/invocations`, {
      method: 'POST', body: JSON.stringify({ gate: gate.url }), signal,
    }));
    gate.release('after the hang-up');
    const finished = await first;
    expect(finished.error).toBeUndefined();

    const second = nextOutcome('gated');
    const again = host.invoke('gated', { gate: gate.url });
    await gate.arrived(1);
    gate.release('warm');
    expect(JSON.parse((await again).payload!)).toMatchObject({ released: 'warm' });
    const warm = await second;
    expect(warm.environmentId).toBe(finished.environmentId);
    expect(warm.initDurationMs).toBeUndefined();
  });

  it('does not stop the invocations of a GraphQL query', async () => {
    const first = nextOutcome('heldField');
    await hangUpWhileRunning((signal) => fetch(`${url}/graphql`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, signal,
      body: JSON.stringify({ query: 'query ($gate: String!) { held(gate: $gate) }', variables: { gate: gate.url } }),
    }));
    gate.release('after the hang-up');
    const finished = await first;
    expect(finished.error).toBeUndefined();

    const second = nextOutcome('heldField');
    const again = fetch(`${url}/graphql`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'query ($gate: String!) { held(gate: $gate) }', variables: { gate: gate.url } }),
    });
    await gate.arrived(1);
    gate.release('warm');
    expect(await (await again).json()).toEqual({ data: { held: 'warm' } });
    expect((await second).environmentId).toBe(finished.environmentId);
  });

  it('takes a client that hangs up mid-body quietly: no warning, the host serves on', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning.message);
    process.on('warning', onWarning);
    try {
      const { port } = new URL(url);
      const socket = connect(Number(port), '127.0.0.1');
      await new Promise<void>((done) => socket.once('connect', () => done()));
      const closed = new Promise<void>((done) => socket.once('close', () => done()));
      // Promises 1,000 bytes, sends 10, leaves.
      socket.write('POST /2015-03-31/functions/gated/invocations HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{"gate":"x"');
      socket.destroy();
      await closed;
      // The host answers the next caller (and by then has handled the aborted request).
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      await new Promise((done) => setImmediate(done));
      expect(warnings.filter((w) => w.includes('unexpected error serving a request'))).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });
});
