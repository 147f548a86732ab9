/**
 * What metrics cost on the invoke path: warm `host.invoke` round trips on a
 * host with metrics on vs an identical host with `metrics: false`, in the
 * same process, rounds interleaved. Plus the cost of one
 * `HostMetrics.record` call measured alone (the only metrics work an
 * invocation does; gauges are read at scrape time), and one scrape.
 * Goal: ≤ 3 % on the warm round trip.
 *
 *   npx tsc -p tsconfig.build.json; node --import tsx bench/metrics.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createHost, type Host } from '../dist/runtime/index.js';
import { runStandalone, type Row } from './run.js';
import { FIXTURES, inChild, isChild, serveChild, settle, SMALL_PAYLOAD, summarise } from './runtime-support.js';

export const title = 'Metrics on the invoke path: warm host.invoke, metrics on vs off (echo handler, small payload)';
export const baseline = 'metrics off';

const WARMUP = 2_000;
const ROUNDS = 12;
const PER_ROUND = 1_000;
const RECORD_CALLS = 200_000;

/** Measures in a fresh child process (see `inChild`). */
export const run = (): Promise<Row[]> => inChild<Row[]>(import.meta.url);

async function startHost(metrics: boolean): Promise<{ host: Host; close: () => Promise<void> }> {
  const stateDir = mkdtempSync(join(tmpdir(), 'neolith-bench-'));
  const host = await createHost({
    rootDir: new URL('.', FIXTURES).pathname,
    metrics,
    logger: { level: 'silent' },
    config: { stateDir, jobs: false, idleTimeoutMs: 600_000, functions: { echo: { handler: './echo.mjs' } } },
  });
  return {
    host,
    close: async () => {
      await host.close();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

async function timeSequential(host: Host, count: number, into: number[]): Promise<void> {
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    await host.invoke('echo', SMALL_PAYLOAD);
    into.push((performance.now() - t0) * 1000);
  }
}

async function measure(): Promise<Row[]> {
  const on = await startHost(true);
  const off = await startHost(false);
  try {
    await timeSequential(on.host, WARMUP, []);
    await timeSequential(off.host, WARMUP, []);
    await settle();
    const onUs: number[] = [];
    const offUs: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const order: Array<[Host, number[]]> = [[on.host, onUs], [off.host, offUs]];
      if (round % 2 === 1) order.reverse();
      for (const [host, into] of order) await timeSequential(host, PER_ROUND, into);
    }
    const a = summarise(onUs);
    const b = summarise(offUs);

    // The metrics work of one invocation, alone: the listener the invoker calls.
    const outcome = {
      requestId: 'bench', functionName: 'echo', type: 'RequestResponse', durationMs: 0.05, memoryMB: 128, maxMemoryMB: 20, environmentId: 'e',
    };
    const record = on.host.metrics.record;
    for (let i = 0; i < 20_000; i++) record(outcome);
    const t0 = performance.now();
    for (let i = 0; i < RECORD_CALLS; i++) record(outcome);
    const recordNs = ((performance.now() - t0) * 1e6) / RECORD_CALLS;

    const scrapes: number[] = [];
    for (let i = 0; i < 50; i++) {
      const s0 = performance.now();
      await on.host.metrics.metrics();
      scrapes.push((performance.now() - s0) * 1000);
    }
    const scrape = summarise(scrapes);

    const goal = (x: number, y: number): Partial<Row> => ({ goal: '≤ 1.03× off', pass: x <= 1.03 * y });
    return [
      { name: 'warm round trip p50', value: a.p50, baseline: b.p50, unit: 'µs', ...goal(a.p50, b.p50), note: `${a.n} calls each, interleaved` },
      { name: 'warm round trip mean', value: a.mean, baseline: b.mean, unit: 'µs', ...goal(a.mean, b.mean) },
      { name: 'warm round trip p99', value: a.p99, baseline: b.p99, unit: 'µs', note: 'tail: noise-dominated' },
      {
        name: 'HostMetrics.record, one call', value: recordNs / 1000, baseline: b.p50, baselineName: 'off p50 round trip', unit: 'µs',
        note: `${(recordNs / 10 / b.p50).toFixed(2)} % of a warm round trip (${RECORD_CALLS.toLocaleString('en-US')} calls)`,
      },
      { name: 'one /metrics scrape (1 function)', value: scrape.p50, unit: 'µs', note: `p50 of ${scrape.n}; off the invoke path` },
    ];
  } finally {
    await Promise.all([on.close(), off.close()]);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) {
  if (isChild()) await serveChild(measure);
  else await runStandalone({ run, title, baseline }, 'metrics');
}
