import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AbortedError, createHost, type Host, type InvocationOutcome } from '../../runtime/index.js';
import { Gate } from '../support/gate.js';
import { tempDir } from '../support/temp-dir.js';

// maxEnvironmentsPerFunction: past the cap a call waits for a free environment instead of starting
// another (as serverless-offline and SAM local run calls one at a time); unset, Lambda's scale-out.
const handlers = resolve(import.meta.dirname, '../fixtures/handlers');
const state = tempDir();
const gate = new Gate();
let host: Host;
const outcomes: InvocationOutcome[] = [];

beforeAll(async () => {
  await gate.open();
  host = await createHost({
    rootDir: handlers,
    logger: { level: 'silent' },
    config: { stateDir: state.path, maxEnvironmentsPerFunction: 1, functions: { gated: { handler: './gated.mjs' }, echo: { handler: './echo.mjs' } } },
  });
  host.invoker.onOutcome((outcome) => outcomes.push(outcome));
});

afterAll(async () => {
  gate.release('closing');
  await host?.close();
  await gate.close();
  state.remove();
});

describe('maxEnvironmentsPerFunction', () => {
  it('runs calls past the cap one after another in the environment it has, first come first served', async () => {
    outcomes.length = 0;
    const calls = [1, 2, 3].map((n) => host.invoke('gated', { gate: gate.url, n }));
    await gate.arrived(1);
    // One environment: the other two wait instead of starting environments of their own.
    expect(gate.held).toHaveLength(1);
    expect(host.registry.get('gated')!.pool.stats().environments).toBe(1);
    for (let released = 0; released < 3; released++) {
      await gate.arrived(1);
      expect(gate.held).toHaveLength(1);
      gate.release(`call ${released + 1}`);
    }
    const results = await Promise.all(calls);
    expect(results.map((r) => JSON.parse(r.payload!).released)).toEqual(['call 1', 'call 2', 'call 3']);
    expect(new Set(outcomes.map((o) => o.environmentId)).size).toBe(1);
  });

  it('takes an aborted call out of the queue without running it; the others still run', async () => {
    outcomes.length = 0;
    const first = host.invoke('gated', { gate: gate.url });
    await gate.arrived(1);
    const controller = new AbortController();
    const waiting = host.invoke('gated', { gate: gate.url }, { signal: controller.signal });
    const after = host.invoke('gated', { gate: gate.url });
    controller.abort(new Error('the caller gave up'));
    await expect(waiting).rejects.toBeInstanceOf(AbortedError);
    gate.release('first');
    await gate.arrived(1);
    gate.release('after');
    expect(JSON.parse((await first).payload!).released).toBe('first');
    expect(JSON.parse((await after).payload!).released).toBe('after');
    expect(outcomes).toHaveLength(2);
  });

  it('leaves async events past the cap in the queue (QUEUED, not waiting for an environment) while other functions run', async () => {
    const events = [];
    for (let n = 0; n < 3; n++) events.push((await host.invoke('gated', { gate: gate.url, n }, { type: 'Event' })).requestId);
    await gate.arrived(1);
    // Queued after the gated ones: once it has finished, the dispatcher has had every chance to claim them.
    const other = await host.invoke('echo', {}, { type: 'Event' });
    expect((await host.invocations.waitForFinal(other.requestId)).status).toBe('SUCCEEDED');
    const statuses = await Promise.all(events.map(async (id) => (await host.invocations.get(id))!.status));
    expect(statuses.filter((s) => s === 'RUNNING')).toHaveLength(1);
    expect(statuses.filter((s) => s === 'QUEUED')).toHaveLength(2);
    for (let released = 0; released < 3; released++) {
      await gate.arrived(1);
      gate.release(`event ${released + 1}`);
    }
    const finals = await Promise.all(events.map((id) => host.invocations.waitForFinal(id)));
    expect(finals.map((r) => r.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
  });
});
