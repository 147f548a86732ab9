/**
 * Warm invoke round trip through `host.invoke` vs a bare worker_threads
 * postMessage round trip to a worker calling the same trivial handler (JSON
 * text in, JSON text out, as the host does). Sequential (latency) and 8 in
 * flight (throughput). Goal: host overhead ≤ 20 % above the bare transport.
 *
 *   npx tsc -p tsconfig.build.json; node --import tsx bench/runtime-invoke.ts
 */
import { pathToFileURL } from 'node:url';
import { runStandalone, type Row } from './run.js';
import { BareWorker, inChild, isChild, serveChild, SMALL_PAYLOAD, benchHost, settle, summarise, type Summary } from './runtime-support.js';

export const title = 'Warm invoke: host.invoke vs bare worker postMessage (echo handler, small payload)';
export const baseline = 'bare worker';

const WARMUP = 2_000;
const ROUNDS = 10;
const PER_ROUND = 1_000;
const CONCURRENCY = 8;
const CONCURRENT_MS = 1_500;
const CONCURRENT_ROUNDS = 2;

type Call = () => Promise<unknown>;

/** Times `count` sequential calls, in µs each. */
async function timeSequential(call: Call, count: number, into: number[]): Promise<void> {
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    await call();
    into.push((performance.now() - t0) * 1000);
  }
}

/** Completed calls per second with `clients` closed-loop callers for `ms`. */
async function throughput(clients: Call[], ms: number): Promise<number> {
  let done = 0;
  const t0 = performance.now();
  const until = t0 + ms;
  await Promise.all(clients.map(async (call) => {
    while (performance.now() < until) {
      await call();
      done++;
    }
  }));
  return done / ((performance.now() - t0) / 1000);
}

/** Measures in a fresh child process (see `inChild`). */
export const run = (): Promise<Row[]> => inChild<Row[]>(import.meta.url);

async function measure(): Promise<Row[]> {
  const text = JSON.stringify(SMALL_PAYLOAD);
  const { host, close } = await benchHost({
    jobs: false,
    idleTimeoutMs: 600_000,
    functions: { echo: { handler: './echo.mjs' } },
  });
  const bare = new BareWorker();
  const bares: BareWorker[] = [];
  try {
    const viaHost: Call = () => host.invoke('echo', SMALL_PAYLOAD);
    // The same work the host must do at least: stringify the event, post it, parse, run, stringify, post back.
    const viaBare: Call = () => bare.request(JSON.stringify(SMALL_PAYLOAD));
    const viaClone: Call = () => bare.requestClone(SMALL_PAYLOAD);

    const check = await host.invoke('echo', SMALL_PAYLOAD);
    if (check.statusCode !== 200 || check.functionError || check.payload !== text) {
      throw new Error(`echo through the host answered ${check.statusCode} ${check.payload}`);
    }
    if ((await bare.request(text)) !== text) throw new Error('the bare worker does not echo');

    // ── sequential: interleave rounds so machine noise hits both alike ──
    await timeSequential(viaHost, WARMUP, []);
    await timeSequential(viaBare, WARMUP, []);
    await timeSequential(viaClone, WARMUP, []);
    await settle();
    const hostUs: number[] = [];
    const bareUs: number[] = [];
    const cloneUs: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const order: Array<[Call, number[]]> = [[viaHost, hostUs], [viaBare, bareUs], [viaClone, cloneUs]];
      if (round % 2 === 1) order.reverse();
      for (const [call, into] of order) await timeSequential(call, PER_ROUND, into);
    }
    const h = summarise(hostUs);
    const b = summarise(bareUs);
    const c = summarise(cloneUs);
    const warmEnvs = host.registry.get('echo')!.pool.stats();

    // ── concurrent: 8 closed-loop callers ──
    for (let i = 0; i < CONCURRENCY; i++) bares.push(new BareWorker());
    await Promise.all(bares.map((w) => w.request(text)));
    const hostClients: Call[] = Array.from({ length: CONCURRENCY }, () => viaHost);
    // Each bare caller owns one worker: the ideal pool, no dispatch cost at all.
    const bareClients: Call[] = bares.map((w) => () => w.request(JSON.stringify(SMALL_PAYLOAD)));
    await throughput(hostClients, 500); // grows the pool to 8 environments (cold starts happen here)
    await throughput(bareClients, 300);
    await settle();
    const hostOps: number[] = [];
    const bareOps: number[] = [];
    for (let round = 0; round < CONCURRENT_ROUNDS; round++) {
      if (round % 2 === 0) {
        hostOps.push(await throughput(hostClients, CONCURRENT_MS));
        bareOps.push(await throughput(bareClients, CONCURRENT_MS));
      } else {
        bareOps.push(await throughput(bareClients, CONCURRENT_MS));
        hostOps.push(await throughput(hostClients, CONCURRENT_MS));
      }
    }
    const stats = host.registry.get('echo')!.pool.stats();
    const hostTput = Math.max(...hostOps);
    const bareTput = Math.max(...bareOps);

    const goal = (s: keyof Summary): Partial<Row> => ({ goal: '≤ 1.2× bare', pass: h[s] <= 1.2 * b[s] });
    return [
      { name: 'sequential round trip p50', value: h.p50, baseline: b.p50, unit: 'µs', ...goal('p50'), note: `${h.n} calls each, ${warmEnvs.environments} env` },
      { name: 'sequential round trip mean', value: h.mean, baseline: b.mean, unit: 'µs', ...goal('mean') },
      { name: 'sequential round trip p99', value: h.p99, baseline: b.p99, unit: 'µs', ...goal('p99') },
      { name: 'sequential p50 vs transport only', value: h.p50, baseline: c.p50, baselineName: 'structured clone, no JSON', unit: 'µs', note: `clone p99 ${c.p99.toFixed(0)} µs` },
      {
        name: `throughput, ${CONCURRENCY} in flight`, value: hostTput, baseline: bareTput, unit: 'calls/s',
        goal: '≥ 0.83× bare', pass: hostTput >= bareTput / 1.2,
        note: `best of ${CONCURRENT_ROUNDS}; host used ${stats.environments} envs, bare ${CONCURRENCY} workers`,
      },
    ];
  } finally {
    await Promise.all([bare.terminate(), ...bares.map((w) => w.terminate())]);
    await close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) {
  if (isChild()) await serveChild(measure);
  else await runStandalone({ run, title, baseline }, 'runtime-invoke');
}
