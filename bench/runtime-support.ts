/**
 * Shared pieces of the runtime benchmarks: the bare-worker baseline, sample
 * statistics, waiting for a quiet machine, forcing GC, and a host on the
 * fixtures with its state in a temp folder. Exports no `run`, so `run.ts`
 * does not treat it as a benchmark.
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Worker } from 'node:worker_threads';
import { Redis } from 'ioredis';
import { createHost, type Host, type NeolithConfig } from '../dist/runtime/index.js';

export const FIXTURES = new URL('./fixtures/', import.meta.url);
export const fixtureUrl = (file: string): URL => new URL(file, FIXTURES);

/** A small event, the same in every runtime benchmark. */
export const SMALL_PAYLOAD = { id: 42, user: 'ada', action: 'read', tags: ['a', 'b'], at: '2024-01-01T00:00:00Z' };

// ─── child processes ─────────────────────────────────────────────────────

const CHILD_FLAG = '--bench-child';

/** This process is a measuring child started by `inChild`. */
export const isChild = (): boolean => process.argv[2] === CHILD_FLAG;

/**
 * Runs a benchmark module's measurement in a fresh child process and returns
 * what it sent back. Each measurement gets a clean process (no threads or
 * heap left by an earlier benchmark), and the child loads TypeScript on its
 * main thread only: under `node --import tsx` every worker thread — the
 * host's environments and the bare baselines alike — would load tsx too,
 * adding ~35 ms to each spawn and megabytes to each thread, which production
 * (`node dist/…`) never pays.
 */
export function inChild<T>(moduleUrl: string, args: string[] = []): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(moduleUrl), [CHILD_FLAG, ...args], {
      execArgv: ['--import', fixtureUrl('tsx-main-thread.mjs').href, '--expose-gc'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      // The host's own start/stop lines would interleave with the tables.
      env: { ...process.env, NEOLITH_LOG_LEVEL: process.env.NEOLITH_LOG_LEVEL ?? 'warn' },
    });
    let answer: { ok: true; value: T } | { ok: false; error: string } | undefined;
    child.on('message', (message: typeof answer) => (answer = message));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (answer?.ok) resolve(answer.value);
      else reject(new Error(answer ? answer.error : `benchmark child exited (${signal ?? code}) without an answer`));
    });
  });
}

/** The child side of `inChild`: measures, sends the result to the parent, exits. */
export async function serveChild(measure: (args: string[]) => Promise<unknown>): Promise<void> {
  let message: unknown;
  try {
    message = { ok: true, value: await measure(process.argv.slice(3)) };
  } catch (error) {
    message = { ok: false, error: (error as Error)?.stack ?? String(error) };
  }
  process.send!(message, () => process.exit(0));
}

// ─── statistics ──────────────────────────────────────────────────────────

export interface Summary {
  n: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  min: number;
  max: number;
}

/** Nearest-rank percentiles of a list of samples. */
export function summarise(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
  const mean = sorted.reduce((sum, x) => sum + x, 0) / sorted.length;
  return { n: sorted.length, mean, p50: at(50), p90: at(90), p99: at(99), min: sorted[0]!, max: sorted[sorted.length - 1]! };
}

export const median = (samples: readonly number[]): number => summarise(samples).p50;

// ─── machine state ───────────────────────────────────────────────────────

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits until this process (every thread of it) is quiet: two 10 ms windows
 * in a row using under 10 % of one core. Spawning, booting and terminating
 * workers all burn CPU, so "quiet" means whatever was started has finished
 * starting — without knowing the runtime's internals, and the same for every
 * contender. Gives up after `maxMs`.
 */
export async function settle(maxMs = 1000): Promise<void> {
  const deadline = performance.now() + maxMs;
  let quiet = 0;
  while (quiet < 2 && performance.now() < deadline) {
    const before = process.cpuUsage();
    const t0 = performance.now();
    await sleep(10);
    const used = process.cpuUsage(before);
    const cpuMs = (used.user + used.system) / 1000;
    quiet = cpuMs < 0.1 * (performance.now() - t0) ? quiet + 1 : 0;
  }
}

let gcFn: (() => void) | undefined;
/** Full GC of the main thread, with or without `--expose-gc`. */
export function forceGc(): void {
  if (!gcFn) {
    if (typeof globalThis.gc === 'function') gcFn = globalThis.gc as () => void;
    else {
      setFlagsFromString('--expose-gc');
      gcFn = runInNewContext('gc') as () => void;
    }
  }
  gcFn();
}

// ─── the bare baseline ───────────────────────────────────────────────────

/**
 * A plain worker thread that imports a handler module and answers requests
 * over postMessage: what the host would be with nothing of its own.
 */
export class BareWorker {
  readonly worker: Worker;
  readonly #waiting = new Map<number, (value: unknown) => void>();
  #next = 0;

  constructor(handlerFile = 'echo.mjs') {
    this.worker = new Worker(fixtureUrl('bare-worker.mjs'), { workerData: { handlerUrl: fixtureUrl(handlerFile).href } });
    this.worker.on('message', (message: { id: number; payload?: string; result?: unknown }) => {
      const resolve = this.#waiting.get(message.id)!;
      this.#waiting.delete(message.id);
      resolve(message.payload ?? message.result);
    });
  }

  /** One JSON-text round trip (what the host does: JSON text in, JSON text out). */
  request(payload: string): Promise<string> {
    const id = ++this.#next;
    return new Promise((resolve) => {
      this.#waiting.set(id, resolve as (value: unknown) => void);
      this.worker.postMessage({ id, payload });
    });
  }

  /** One round trip carrying the event as a structured clone (transport only). */
  requestClone(event: unknown): Promise<unknown> {
    const id = ++this.#next;
    return new Promise((resolve) => {
      this.#waiting.set(id, resolve);
      this.worker.postMessage({ id, clone: true, event });
    });
  }

  terminate(): Promise<number> {
    return this.worker.terminate();
  }
}

// ─── a host on the fixtures ──────────────────────────────────────────────

export interface BenchHost {
  host: Host;
  /** Closes the host and removes its state folder. */
  close(): Promise<void>;
}

/** A host whose functions' handlers are files of `bench/fixtures/`, state in a temp folder. */
export async function benchHost(config: Omit<NeolithConfig, 'stateDir'>): Promise<BenchHost> {
  const stateDir = mkdtempSync(join(tmpdir(), 'neolith-bench-'));
  const host = await createHost({ rootDir: new URL('.', FIXTURES).pathname, config: { ...config, stateDir } });
  return {
    host,
    close: async () => {
      await host.close();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

/** Deletes a bench's keys (records, queue, locks) so a run leaves Redis as it found it. */
export async function deleteRedisPrefix(redisUrl: string, prefix: string): Promise<void> {
  const admin = new Redis(redisUrl);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await admin.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await admin.del(...keys);
    } while (cursor !== '0');
  } finally {
    await admin.quit();
  }
}
