/**
 * RSS per idle warm environment vs a bare worker thread. Goal: ≤ 8 MB.
 *
 * N environments of one function are created at once by N concurrent
 * invocations of a handler that waits on a shared release (a BroadcastChannel
 * every thread of the process sees); once all N are held, the release lets
 * them answer and go idle. The process RSS delta after GC, divided by N, is
 * the cost of one environment. The bare baseline spawns N plain workers that
 * import the same handler and answer the same request. Each side is measured
 * in a fresh process of its own, so neither inherits the other's heap.
 *
 *   npx tsc -p tsconfig.build.json; node --import tsx bench/runtime-memory.ts
 */
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { runStandalone, type Row } from './run.js';
import { BareWorker, benchHost, forceGc, inChild, isChild, median, serveChild, settle, sleep } from './runtime-support.js';

export const title = 'Memory: RSS per idle warm environment vs a bare worker thread';
export const baseline = 'bare worker';

const N = 20;
const MB = 1024 * 1024;

interface MemorySample {
  /** RSS added per thread while all N were held busy, MB. */
  busyMB: number;
  /** RSS added per thread once all N were idle, after GC, MB. */
  idleMB: number;
  threads: number;
}

/** Median of a few RSS readings after a GC and a quiet spell. */
async function quietRss(): Promise<number> {
  await settle();
  forceGc();
  await sleep(200);
  const readings: number[] = [];
  for (let i = 0; i < 5; i++) {
    readings.push(process.memoryUsage.rss());
    await sleep(40);
  }
  return median(readings);
}

/** Starts N held invocations with `start`, releases them when all are held, waits for the answers. */
async function holdAll(start: (event: { channel: string }) => Promise<unknown>, onHeld: () => Promise<void>): Promise<void> {
  const name = `neolith-bench-${randomUUID()}`;
  const channel = new BroadcastChannel(name);
  try {
    let held = 0;
    const allHeld = new Promise<void>((resolve) => {
      channel.onmessage = (message) => {
        if ((message as MessageEvent).data === 'held' && ++held === N) resolve();
      };
    });
    const answers = Array.from({ length: N }, () => start({ channel: name }));
    await allHeld;
    await onHeld();
    channel.postMessage('release');
    await Promise.all(answers);
  } finally {
    channel.close();
  }
}

async function measureHost(): Promise<MemorySample> {
  const bench = await benchHost({
    jobs: false,
    // No spares: only the N environments themselves should add to RSS.
    spareEnvironments: 0,
    idleTimeoutMs: 600_000,
    functions: { hold: { handler: './hold.mjs', timeoutMs: 60_000 } },
  });
  try {
    const before = await quietRss();
    let busy = 0;
    await holdAll(
      async (event) => {
        const result = await bench.host.invoke('hold', event);
        if (result.functionError) throw new Error(`hold failed: ${result.payload}`);
      },
      async () => {
        busy = process.memoryUsage.rss();
      },
    );
    const after = await quietRss();
    const stats = bench.host.registry.get('hold')!.pool.stats();
    if (stats.idle !== N) throw new Error(`expected ${N} idle environments, found ${JSON.stringify(stats)}`);
    return { busyMB: (busy - before) / N / MB, idleMB: (after - before) / N / MB, threads: stats.environments };
  } finally {
    await bench.close();
  }
}

async function measureBare(): Promise<MemorySample> {
  const before = await quietRss();
  const workers = Array.from({ length: N }, () => new BareWorker('hold.mjs'));
  try {
    let busy = 0;
    let next = 0;
    await holdAll(
      (event) => workers[next++]!.request(JSON.stringify(event)),
      async () => {
        busy = process.memoryUsage.rss();
      },
    );
    const after = await quietRss();
    return { busyMB: (busy - before) / N / MB, idleMB: (after - before) / N / MB, threads: workers.length };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

async function measure([side]: string[]): Promise<MemorySample> {
  return side === 'host' ? measureHost() : measureBare();
}

/** Measures each side in a fresh child process (see `inChild`). */
export async function run(): Promise<Row[]> {
  const host = await inChild<MemorySample>(import.meta.url, ['host']);
  const bare = await inChild<MemorySample>(import.meta.url, ['bare']);
  return [
    {
      name: 'RSS per idle warm environment', value: host.idleMB, baseline: bare.idleMB, unit: 'MB',
      goal: '≤ 8 MB', pass: host.idleMB <= 8, note: `N=${N} (${host.threads} host envs), process RSS delta / N after GC`,
    },
    { name: 'RSS per environment while busy', value: host.busyMB, baseline: bare.busyMB, unit: 'MB', note: 'all N held in the handler, before GC' },
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) {
  if (isChild()) await serveChild(measure);
  else await runStandalone({ run, title, baseline }, 'runtime-memory');
}
