/**
 * Event invocations through the host, per backend: accepted/s through
 * `host.invoke` and through the HTTP Invoke API, accepted→handler-start
 * latency, and end-to-end throughput with a trivial handler — each beside the
 * raw backend's `enqueue` measured in the same run.
 *
 *   npx tsc -p tsconfig.build.json; node --import tsx bench/async-invoke.ts
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createBackend } from '../dist/runtime/backend/index.js';
import { formatNumber, runStandalone, type Row } from './run.js';
import { benchHost, deleteRedisPrefix, median, summarise } from './runtime-support.js';

export const title = 'Async (Event) invocations per backend: host.invoke and HTTP vs raw backend enqueue';
export const baseline = 'raw backend enqueue';

const EVENTS = 3000;
const HTTP_CLIENTS = 10;
/** Callers in flight for the many-callers run: as many as the raw baselines in backend-queue.ts use. */
const IN_FLIGHT = 64;
/** The many-callers run: a warm-up round, then this many measured rounds of MANY_EVENTS events (about 2 s each). */
const MANY_ROUNDS = 3;
const MANY_EVENTS = 6000;
/** Epoch ms at sub-millisecond resolution; the handler reads the same clock in its thread. */
const epochMs = (): number => performance.timeOrigin + performance.now();
const POLICY = { maxRetries: 0, retryDelaysMs: [], maxEventAgeSeconds: 21600 };

async function rawEnqueue(kind: 'sqlite' | 'redis'): Promise<number> {
  const stateDir = mkdtempSync(join(tmpdir(), 'neolith-bench-raw-'));
  const prefix = `bench-${randomUUID()}`;
  const backend = createBackend(kind === 'redis' ? { kind, prefix } : { kind, stateDir });
  await backend.waitUntilReady();
  const started = performance.now();
  for (let i = 0; i < EVENTS; i++) {
    await backend.enqueue({ requestId: randomUUID(), functionName: 'x', payload: '{}', policy: POLICY });
  }
  const rate = EVENTS / ((performance.now() - started) / 1000);
  await backend.close();
  rmSync(stateDir, { recursive: true, force: true });
  if (kind === 'redis') await deleteRedisPrefix('redis://127.0.0.1:6379', prefix);
  return rate;
}

async function measure(kind: 'sqlite' | 'redis'): Promise<Row[]> {
  const raw = await rawEnqueue(kind);
  const redisPrefix = `bench-${randomUUID()}`;
  const { host, close } = await benchHost({
    backend: kind, redisPrefix,
    // 8 environments: unreserved, a burst would start up to 64 threads on 2 cores and measure their cold starts.
    functions: { stamp: { handler: './stamp.mjs', reservedConcurrency: 8, async: { maxRetries: 0 } } },
  });
  try {
    const { url } = await host.listen({ port: 0 });
    const done = new Set<string>();
    const latencies: number[] = [];
    let all: () => void = () => undefined;
    let target = EVENTS;
    host.invocations.watch((record) => {
      if (record.status !== 'SUCCEEDED' || done.has(record.id)) return;
      done.add(record.id);
      latencies.push((JSON.parse(record.result!) as { startedAfterMs: number }).startedAfterMs);
      if (done.size >= target) all();
    });

    // host.invoke, sequential accepts; the dispatcher runs them meanwhile.
    const finished = new Promise<void>((resolve) => { all = resolve; });
    const started = performance.now();
    for (let i = 0; i < EVENTS; i++) await host.invoke('stamp', { t: epochMs() }, { type: 'Event' });
    const acceptSeconds = (performance.now() - started) / 1000;
    await finished;
    const endToEndSeconds = (performance.now() - started) / 1000;
    const latency = summarise(latencies);

    // Many callers: IN_FLIGHT host.invoke calls at a time (as the raw baselines in backend-queue run). The
    // first round also warms the backend's client code (the JIT has only seen one caller at a time so far);
    // the figure is the median of the rounds after it, as for a host that has been up a while.
    const manyRounds: Array<{ acceptRate: number; rate: number }> = [];
    for (let round = 0; round <= MANY_ROUNDS; round++) {
      target = done.size + MANY_EVENTS;
      const manyFinished = new Promise<void>((resolve) => { all = resolve; });
      const manyStarted = performance.now();
      let next = 0;
      await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
        while (next++ < MANY_EVENTS) await host.invoke('stamp', { t: epochMs() }, { type: 'Event' });
      }));
      const manyAcceptSeconds = (performance.now() - manyStarted) / 1000;
      await manyFinished;
      manyRounds.push({ acceptRate: MANY_EVENTS / manyAcceptSeconds, rate: MANY_EVENTS / ((performance.now() - manyStarted) / 1000) });
    }
    const [firstRound, ...warmRounds] = manyRounds;
    const manyAcceptRate = median(warmRounds.map((r) => r.acceptRate));
    const manyRate = median(warmRounds.map((r) => r.rate));
    const eachRound = `first (warm-up) round ${formatNumber(firstRound!.rate)}, then ${warmRounds.map((r) => formatNumber(r.rate)).join(' / ')}`;

    // The HTTP Invoke API, HTTP_CLIENTS clients in parallel.
    target = done.size + EVENTS;
    const httpFinished = new Promise<void>((resolve) => { all = resolve; });
    const httpStarted = performance.now();
    await Promise.all(Array.from({ length: HTTP_CLIENTS }, async () => {
      for (let i = 0; i < EVENTS / HTTP_CLIENTS; i++) {
        const response = await fetch(`${url}/2015-03-31/functions/stamp/invocations`, {
          method: 'POST', headers: { 'X-Amz-Invocation-Type': 'Event' }, body: JSON.stringify({ t: epochMs() }),
        });
        if (response.status !== 202) throw new Error(`HTTP ${response.status}`);
        await response.arrayBuffer();
      }
    }));
    const httpSeconds = (performance.now() - httpStarted) / 1000;
    await httpFinished;

    // Latency with the queue idle: one event at a time, accepted → handler start.
    const paced: number[] = [];
    for (let i = 0; i < 200; i++) {
      const { requestId } = await host.invoke('stamp', { t: epochMs() }, { type: 'Event' });
      const record = await host.invocations.waitForFinal(requestId);
      paced.push((JSON.parse(record.result!) as { startedAfterMs: number }).startedAfterMs);
    }
    const idle = summarise(paced);
    return [
      { name: `${kind}: accepted via host.invoke (sequential)`, value: EVENTS / acceptSeconds, unit: 'events/s', baseline: raw, note: `${EVENTS} events, stored before each returns` },
      { name: `${kind}: accepted via HTTP (${HTTP_CLIENTS} clients)`, value: EVENTS / httpSeconds, unit: 'events/s', baseline: raw, note: '202 after the event is durable; the fetch clients share this process with the host' },
      { name: `${kind}: end to end, trivial handler, one caller at a time`, value: EVENTS / endToEndSeconds, unit: 'events/s', baseline: raw, note: 'first accept → last SUCCEEDED; bound by the sequential accepts' },
      { name: `${kind}: accepted via host.invoke (${IN_FLIGHT} callers)`, value: manyAcceptRate, unit: 'events/s', baseline: raw, note: `median of ${MANY_ROUNDS} rounds of ${MANY_EVENTS} events after a warm-up round` },
      { name: `${kind}: end to end, trivial handler, ${IN_FLIGHT} callers`, value: manyRate, unit: 'events/s', baseline: raw, goal: kind === 'sqlite' ? '≥ 5,000 events/s' : '≥ 3,000 events/s', pass: manyRate >= (kind === 'sqlite' ? 5000 : 3000), note: `first accept → last SUCCEEDED; median of ${MANY_ROUNDS} rounds of ${MANY_EVENTS} events: ${eachRound}` },
      { name: `${kind}: accepted → handler start p50, queue idle`, value: idle.p50, unit: 'ms', ...(kind === 'sqlite' && { goal: '≤ 5 ms', pass: idle.p50 <= 5 }), note: `p99 ${idle.p99.toFixed(1)} ms; 200 events one at a time` },
      { name: `${kind}: accepted → handler start p50, in a burst`, value: latency.p50, unit: 'ms', note: `p99 ${latency.p99.toFixed(1)} ms; ${EVENTS} accepted back to back, so most wait in the queue` },
    ];
  } finally {
    await close();
    if (kind === 'redis') await deleteRedisPrefix('redis://127.0.0.1:6379', redisPrefix);
  }
}

export async function run(): Promise<Row[]> {
  return [...(await measure('sqlite')), ...(await measure('redis'))];
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runStandalone({ run, title, baseline }, fileURLToPath(import.meta.url));
}
