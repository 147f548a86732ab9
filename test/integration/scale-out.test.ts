import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHost, type Host } from '../../runtime/index.js';
import { tempDir } from '../support/temp-dir.js';

// scaleOut: "warm-first" (the default) lets short calls past one busy environment per core wait for a
// busy one when it serves them sooner than a cold start would (here init takes 100 ms, a call 2 ms);
// "lambda" starts one per concurrent call, as Lambda does.
const handlers = resolve(import.meta.dirname, '../fixtures/handlers');
/** Past one environment per core, so warm-first has calls to keep waiting whatever the machine. */
const BURST = Math.max(2, availableParallelism()) + 4;
const states = [tempDir(), tempDir()];
let warmFirst: Host;
let lambda: Host;

beforeAll(async () => {
  const functions = { spin: { handler: './spin-slow-init.mjs' }, sleepy: { handler: './sleepy.mjs' } };
  [warmFirst, lambda] = await Promise.all([
    createHost({ rootDir: handlers, logger: { level: 'silent' }, config: { stateDir: states[0]!.path, functions } }),
    createHost({ rootDir: handlers, logger: { level: 'silent' }, config: { stateDir: states[1]!.path, scaleOut: 'lambda', functions } }),
  ]);
});

afterAll(async () => {
  await Promise.all([warmFirst?.close(), lambda?.close()]);
  for (const state of states) state.remove();
});

/** A cold call then a warm one (what the pool measures), then BURST calls at once; how many environments served. */
async function burst(host: Host, name: string, event: object): Promise<number> {
  await host.invoke(name, event);
  await host.invoke(name, event);
  const results = await Promise.all(Array.from({ length: BURST }, () => host.invoke(name, event)));
  for (const result of results) expect(result.error).toBeUndefined();
  return host.registry.get(name)!.pool.stats().created;
}

describe('scaleOut', () => {
  it('warm-first serves a burst of short CPU-bound calls with fewer environments than calls; lambda starts one per call', async () => {
    // One host at a time: the other's threads would slow this one's calls.
    const warm = await burst(warmFirst, 'spin', { ms: 2 });
    const eager = await burst(lambda, 'spin', { ms: 2 });
    expect(eager).toBe(BURST);
    expect(warm).toBeLessThan(BURST);
    expect(warm).toBeLessThanOrEqual(Math.max(2, availableParallelism()) + 2);
  });

  it('warm-first scales out as Lambda does for calls longer than a cold start (waiting on I/O)', async () => {
    expect(await burst(warmFirst, 'sleepy', { ms: 300 })).toBe(BURST);
  });
});
