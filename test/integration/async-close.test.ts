import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHost, type Host } from '../../runtime/index.js';
import { Gate } from '../support/gate.js';
import { tempDir } from '../support/temp-dir.js';

const handlers = resolve(import.meta.dirname, '../fixtures/handlers');
const state = tempDir();
const gate = new Gate();
const hosts: Host[] = [];

const config = {
  stateDir: state.path,
  functions: {
    echo: { handler: './echo.mjs' },
    gated: { handler: './gated.mjs', timeoutMs: 10_000, async: { onSuccess: 'echo' } },
  },
};

async function open(): Promise<Host> {
  const host = await createHost({ rootDir: handlers, config });
  hosts.push(host);
  return host;
}

beforeAll(async () => {
  await gate.open();
});

afterAll(async () => {
  // A test that failed while a handler was held would make each close wait out its drain.
  gate.release();
  try {
    for (const host of hosts) await host.close();
  } finally {
    await gate.close();
    state.remove();
  }
});

describe('closing a host while an event runs', () => {
  it('routes the outcome of an event that finishes during the drain to its function destination', async () => {
    const first = await open();
    const accepted = await first.invoke('gated', { gate: gate.url }, { type: 'Event' });
    await gate.arrived(1);
    const closing = first.close({ drainTimeoutMs: 10_000 });
    // The host no longer takes invocations from callers, but the running event still finishes.
    await expect(first.invoke('echo', {}, { type: 'Event' })).rejects.toThrow(/closing/);
    gate.release('during close');
    await closing;

    // The next host on the same state finds the source final and its destination event queued, and runs it.
    const second = await open();
    expect(await second.invocations.get(accepted.requestId)).toMatchObject({ status: 'SUCCEEDED' });
    const routed = (await second.invocations.list({ functionName: 'echo', limit: 10 }))
      .filter((record) => record.functionName === 'echo');
    expect(routed).toHaveLength(1);
    const done = await second.invocations.waitForFinal(routed[0]!.id);
    expect(done.status).toBe('SUCCEEDED');
    const destination = JSON.parse(done.result!).event;
    expect(destination).toMatchObject({
      requestContext: { requestId: accepted.requestId, condition: 'Success' },
      responsePayload: { released: 'during close' },
    });
  });
});
