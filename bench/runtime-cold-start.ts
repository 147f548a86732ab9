/**
 * Cold start to first answer through the host vs spawning a `new Worker`
 * that imports the same handler module and answers one request.
 * Goal: ≤ 0.3× the bare spawn.
 *
 * Each host sample starts from a recycled pool (no warm environment), so the
 * invocation binds a new environment. Three host cases:
 * - spare ready: `spareEnvironments: 1`, and before timing we wait until the
 *   whole process is CPU-quiet (the spare has finished booting, the recycled
 *   environment has finished terminating). The bare samples get the same wait.
 * - no spare configured (`spareEnvironments: 0`): the thread is spawned on the
 *   request's path.
 * - back to back: two cold starts in a row with no pause; the second finds the
 *   replacement spare just spawned and still booting.
 *
 * And a burst: BURST cold starts at once of a handler that reads a table while
 * it initialises (as the reference app's jobs do), no spare; the process's CPU
 * per cold start against BURST bare workers spawned at once. A thread's module
 * loads are paid here: before 2026-12-07 (7b11a1c) the table reads brought the
 * backend's and the errors' faces, ~25–30 ms of CPU more per cold start.
 *
 *   npx tsc -p tsconfig.build.json; node --import tsx bench/runtime-cold-start.ts
 */
import { pathToFileURL } from 'node:url';
import { runStandalone, type Row } from './run.js';
import { BareWorker, inChild, isChild, serveChild, SMALL_PAYLOAD, benchHost, settle, summarise, type BenchHost, type Summary } from './runtime-support.js';

export const title = 'Cold start to first answer: host vs new Worker + import (echo handler)';
export const baseline = 'new Worker + import';

const SAMPLES = 20;
const WARMUP = 3;
/** Cold starts at once in the burst case, and rounds of it. */
const BURST = 10;
const BURST_ROUNDS = 5;

async function bareColdStart(): Promise<number> {
  const text = JSON.stringify(SMALL_PAYLOAD);
  const t0 = performance.now();
  const worker = new BareWorker();
  const answer = await worker.request(text);
  const ms = performance.now() - t0;
  if (answer !== text) throw new Error('the bare worker does not echo');
  await worker.terminate();
  return ms;
}

interface ColdSample {
  ms: number;
  initMs: number;
}

async function hostColdStart(bench: BenchHost): Promise<ColdSample> {
  const pool = bench.host.registry.get('echo')!.pool;
  const t0 = performance.now();
  const result = await bench.host.invoke('echo', SMALL_PAYLOAD);
  const ms = performance.now() - t0;
  if (result.statusCode !== 200 || result.functionError) throw new Error(`cold invoke failed: ${result.payload}`);
  if (result.initDurationMs === undefined) throw new Error('the invocation was not cold: the pool was not recycled');
  pool.recycle();
  return { ms, initMs: result.initDurationMs };
}

async function hostCase(spareEnvironments: number, mode: 'settled' | 'back-to-back'): Promise<{ total: Summary; init: Summary; spawned: number }> {
  const bench = await benchHost({
    jobs: false,
    spareEnvironments,
    idleTimeoutMs: 600_000,
    functions: { echo: { handler: './echo.mjs' } },
  });
  try {
    const samples: ColdSample[] = [];
    for (let i = 0; i < WARMUP + SAMPLES; i++) {
      await settle();
      if (mode === 'back-to-back') await hostColdStart(bench); // takes the ready spare; a fresh one starts booting
      const sample = await hostColdStart(bench);
      if (i >= WARMUP) samples.push(sample);
    }
    const spawned = bench.host.spares.spawned;
    return { total: summarise(samples.map((s) => s.ms)), init: summarise(samples.map((s) => s.initMs)), spawned };
  } finally {
    await bench.close();
  }
}

/** CPU of the whole process (every thread) while `work` runs, ms. */
async function cpuMsOf(work: () => Promise<unknown>): Promise<number> {
  const before = process.cpuUsage();
  await work();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

async function bareBurst(): Promise<number[]> {
  const perStart: number[] = [];
  for (let round = 0; round < BURST_ROUNDS + 1; round++) {
    await settle();
    const workers: BareWorker[] = [];
    const cpu = await cpuMsOf(() => Promise.all(Array.from({ length: BURST }, () => {
      const worker = new BareWorker();
      workers.push(worker);
      return worker.request(JSON.stringify(SMALL_PAYLOAD));
    })));
    await Promise.all(workers.map((w) => w.terminate()));
    if (round > 0) perStart.push(cpu / BURST);
  }
  return perStart;
}

async function hostBurst(): Promise<{ perStart: number[]; init: Summary }> {
  const bench = await benchHost({
    jobs: false,
    spareEnvironments: 0,
    idleTimeoutMs: 600_000,
    // Lambda's scale-out: each call of the burst gets an environment of its own (warm-first would queue them).
    scaleOut: 'lambda',
    functions: { reader: { handler: './table-at-init.mjs' } },
    tables: { items: { partitionKey: 'id' } },
  });
  try {
    const pool = bench.host.registry.get('reader')!.pool;
    const perStart: number[] = [];
    const inits: number[] = [];
    for (let round = 0; round < BURST_ROUNDS + 1; round++) {
      await settle();
      let results: Awaited<ReturnType<typeof bench.host.invoke>>[] = [];
      const cpu = await cpuMsOf(async () => {
        results = await Promise.all(Array.from({ length: BURST }, () => bench.host.invoke('reader', SMALL_PAYLOAD)));
      });
      const cold = results.filter((r) => r.initDurationMs !== undefined);
      if (cold.length !== BURST || results.some((r) => r.functionError)) throw new Error(`a burst call was not a clean cold start: ${results.find((r) => r.functionError)?.payload ?? `${cold.length} of ${BURST} cold`}`);
      pool.recycle();
      if (round > 0) {
        perStart.push(cpu / BURST);
        inits.push(...cold.map((r) => r.initDurationMs!));
      }
    }
    return { perStart, init: summarise(inits) };
  } finally {
    await bench.close();
  }
}

/** Measures in a fresh child process (see `inChild`). */
export const run = (): Promise<Row[]> => inChild<Row[]>(import.meta.url);

async function measure(): Promise<Row[]> {
  const bare: number[] = [];
  for (let i = 0; i < WARMUP + SAMPLES; i++) {
    await settle();
    const ms = await bareColdStart();
    if (i >= WARMUP) bare.push(ms);
  }
  const spare = await hostCase(1, 'settled');
  const none = await hostCase(0, 'settled');
  const burst = await hostCase(1, 'back-to-back');
  // A second bare series after the host cases: the machine may have drifted.
  const bare2: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    await settle();
    bare2.push(await bareColdStart());
  }
  const bareBurstCpu = summarise(await bareBurst());
  const burstRun = await hostBurst();
  const hostBurstCpu = summarise(burstRun.perStart);
  const b = summarise([...bare, ...bare2]);
  const drift = `bare p50 ${summarise(bare).p50.toFixed(1)} → ${summarise(bare2).p50.toFixed(1)} ms`;
  const row = (name: string, s: { total: Summary; init: Summary }, goal: boolean, note: string): Row[] => [
    {
      name: `${name} p50`, value: s.total.p50, baseline: b.p50, unit: 'ms',
      ...(goal && { goal: '≤ 0.3× bare', pass: s.total.p50 <= 0.3 * b.p50 }),
      note: `${note}; Init Duration p50 ${s.init.p50.toFixed(2)} ms`,
    },
    { name: `${name} p90`, value: s.total.p90, baseline: b.p90, unit: 'ms', ...(goal && { goal: '≤ 0.3× bare', pass: s.total.p90 <= 0.3 * b.p90 }) },
  ];
  return [
    ...row('spare ready', spare, true, `${SAMPLES} samples, CPU-quiet before each; ${drift}`),
    ...row('no spare (spareEnvironments: 0)', none, false, 'thread spawned on the request path'),
    ...row('back to back (spare still booting)', burst, false, 'second of two cold starts in a row'),
    {
      name: `burst: ${BURST} at once, table read at init, CPU per cold start p50`, value: hostBurstCpu.p50, baseline: bareBurstCpu.p50, unit: 'ms',
      note: `process CPU (every thread) while ${BURST} calls answer, ${BURST_ROUNDS} rounds after one warm-up, no spare; baseline: ${BURST} bare workers spawned at once (echo, no table); Init Duration p50 ${burstRun.init.p50.toFixed(1)} ms`,
    },
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) {
  if (isChild()) await serveChild(measure);
  else await runStandalone({ run, title, baseline }, 'runtime-cold-start');
}
