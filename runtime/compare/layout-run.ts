import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHost, type Host } from '../host.js';
import type { InvocationOutcome } from '../invoke/index.js';
import { nearestRank } from '../observe/index.js';
import type { PlannedRequest } from './arrival-schedule.js';
import { billedMs, type PriceTable } from './price-table.js';
import type { LayoutOverrides } from './workload.js';

/** The layouts `compare` runs. */
export type CompareLayout = 'nano' | 'micro' | 'mono';

/** What one layout's run needs. */
export interface LayoutRunOptions {
  layout: CompareLayout;
  /** The app's config object (unvalidated) and the folder its paths are relative to. */
  config: { raw: Record<string, unknown>; rootDir: string };
  overrides: LayoutOverrides;
  plan: readonly PlannedRequest[];
  /** Time during which requests are sent, ms (the rate of the estimate is over this). */
  activeMs: number;
  prices: PriceTable;
  /** How often environments are counted for the timeline, ms. @defaultValue 100 */
  sampleEveryMs?: number;
  /** Told after each request answers. */
  onProgress?: (done: number, total: number) => void;
}

/** Client latency figures, ms. */
export interface ClientLatency {
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/** One moment of a run, for the charts. */
export interface TimelinePoint {
  tMs: number;
  environments: number;
  busy: number;
  /** Cold starts so far. */
  coldStarts: number;
  /** Invocations so far. */
  invocations: number;
}

/** What one layout did with the workload. */
export interface LayoutResult {
  layout: CompareLayout;
  functions: string[];
  requests: { sent: number; succeeded: number; failed: number; firstError?: string };
  latencyMs: ClientLatency;
  /** Every request's latency, ms, in send order (for distributions). */
  latencies: number[];
  invocations: number;
  functionErrors: number;
  throttles: number;
  /** Runs that paid for an init. */
  coldStarts: number;
  /** Environments created (should equal cold starts: each environment inits once). */
  environmentsCreated: number;
  coldStartPct: number;
  /** Share of invocations served by an already warm environment. */
  warmHitRatio: number;
  peakConcurrency: number;
  /** The seed's estimate: invocation rate while sending × mean run time (duration plus init on cold starts). */
  estimate: { ratePerSecond: number; meanDurationMs: number; concurrency: number };
  peakEnvironments: number;
  /** Memory configured for the environments alive at the peak, MB (what Lambda would allocate). */
  peakEnvironmentMemoryMB: number;
  totalInitMs: number;
  billedMs: number;
  gbSeconds: number;
  cost: { requests: number; compute: number; total: number };
  timeline: TimelinePoint[];
  wallMs: number;
}

/**
 * Runs the planned requests against a fresh host in one layout — its own
 * state folder, cold environments, the workload's overrides — over real
 * HTTP to `/graphql`, open loop, and accounts for every invocation.
 */
export async function runLayout(options: LayoutRunOptions): Promise<LayoutResult> {
  const { layout, plan, prices } = options;
  const stateDir = mkdtempSync(join(tmpdir(), `neolith-compare-${layout}-`));
  let host: Host;
  try {
    host = await createHost({
      rootDir: options.config.rootDir,
      // Each layout on a fresh embedded store: never the app's own Redis keys (a dev's data), never shared between layouts.
      // Lambda's scale-out unless the workload says otherwise: cold starts and peak environments are what Lambda would have.
      config: { ...options.config.raw, scaleOut: 'lambda', ...options.overrides, stateDir, backend: 'sqlite' } as never,
      overrides: { layout, backend: 'sqlite' },
      logger: { level: 'silent' },
    });
  } catch (error) {
    rmSync(stateDir, { recursive: true, force: true });
    throw error;
  }
  const outcomes: InvocationOutcome[] = [];
  host.invoker.onOutcome((o) => outcomes.push(o));
  let coldSoFar = 0;
  host.invoker.onOutcome((o) => {
    if (o.initDurationMs !== undefined) coldSoFar++;
  });
  try {
    const { url } = await host.listen({ port: 0, host: '127.0.0.1' });
    const functions = host.registry.list();
    const memoryOf = new Map(functions.map((fn) => [fn.spec.name, fn.spec.memoryMB]));
    const timeline: TimelinePoint[] = [];
    let peakEnvironmentMemoryMB = 0;
    const started = performance.now();
    const sample = () => {
      let environments = 0;
      let busy = 0;
      let memory = 0;
      for (const fn of functions) {
        const stats = fn.pool.stats();
        environments += stats.environments;
        busy += stats.busy;
        memory += stats.environments * fn.spec.memoryMB;
      }
      peakEnvironmentMemoryMB = Math.max(peakEnvironmentMemoryMB, memory);
      timeline.push({ tMs: Math.round(performance.now() - started), environments, busy, coldStarts: coldSoFar, invocations: outcomes.length });
    };
    sample();
    const sampler = setInterval(sample, options.sampleEveryMs ?? 100);
    const latencies = new Array<number>(plan.length).fill(0);
    let succeeded = 0;
    let failed = 0;
    let firstError: string | undefined;
    let done = 0;
    const inFlight: Array<Promise<void>> = [];
    for (const [i, request] of plan.entries()) {
      const wait = started + request.atMs - performance.now();
      if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
      const sentAt = performance.now();
      inFlight.push(send(url, request).then((error) => {
        latencies[i] = performance.now() - sentAt;
        if (error === undefined) succeeded++;
        else {
          failed++;
          firstError ??= `${request.operation.name}: ${error}`;
        }
        options.onProgress?.(++done, plan.length);
      }));
    }
    await Promise.all(inFlight);
    clearInterval(sampler);
    sample();
    const wallMs = performance.now() - started;

    // Concurrency counts a run from start to end, init included: so does the estimate's duration.
    const durations = outcomes.map((o) => o.durationMs + (o.initDurationMs ?? 0));
    const coldStarts = outcomes.filter((o) => o.initDurationMs !== undefined).length;
    const environmentsCreated = functions.reduce((n, fn) => n + fn.pool.stats().created, 0);
    const billed = outcomes.map((o) => billedMs(prices, o.durationMs, o.initDurationMs));
    const gbSeconds = outcomes.reduce((sum, o, i) => sum + (billed[i]! / 1000) * ((memoryOf.get(o.functionName) ?? o.memoryMB) / 1024), 0);
    const invocations = outcomes.length;
    const meanDurationMs = invocations > 0 ? durations.reduce((a, b) => a + b, 0) / invocations : 0;
    const ratePerSecond = invocations / (options.activeMs / 1000);
    const requestCost = (invocations / 1e6) * prices.requestsPerMillion;
    const computeCost = gbSeconds * prices.gbSecond;
    const sorted = [...latencies].sort((a, b) => a - b);
    const snapshot = await host.metrics.snapshot();
    return {
      layout,
      functions: functions.map((fn) => fn.spec.name),
      requests: { sent: plan.length, succeeded, failed, ...(firstError !== undefined && { firstError }) },
      latencyMs: {
        p50: nearestRank(sorted, 50), p95: nearestRank(sorted, 95), p99: nearestRank(sorted, 99),
        max: sorted.at(-1) ?? 0, mean: sorted.length ? sorted.reduce((a, b) => a + b, 0) / sorted.length : 0,
      },
      latencies,
      invocations,
      functionErrors: outcomes.filter((o) => o.error).length,
      throttles: snapshot.totals.throttles,
      coldStarts,
      environmentsCreated,
      coldStartPct: invocations ? (100 * coldStarts) / invocations : 0,
      warmHitRatio: invocations ? (invocations - coldStarts) / invocations : 0,
      peakConcurrency: host.governor.peak,
      estimate: { ratePerSecond, meanDurationMs, concurrency: (ratePerSecond * meanDurationMs) / 1000 },
      peakEnvironments: Math.max(...timeline.map((p) => p.environments)),
      peakEnvironmentMemoryMB,
      totalInitMs: outcomes.reduce((sum, o) => sum + (o.initDurationMs ?? 0), 0),
      billedMs: billed.reduce((a, b) => a + b, 0),
      gbSeconds,
      cost: { requests: requestCost, compute: computeCost, total: requestCost + computeCost },
      timeline,
      wallMs,
    };
  } finally {
    await host.close();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

/** One GraphQL request; resolves with an error description, or undefined when it succeeded. */
async function send(url: string, request: PlannedRequest): Promise<string | undefined> {
  try {
    const response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json' },
      body: JSON.stringify({
        query: request.operation.query,
        ...(request.variables !== undefined && { variables: request.variables }),
        ...(request.operation.operationName !== undefined && { operationName: request.operation.operationName }),
      }),
    });
    const body = (await response.json().catch(() => undefined)) as { errors?: Array<{ message: string }> } | undefined;
    if (!response.ok) return `HTTP ${response.status}${body?.errors?.[0] ? `: ${body.errors[0].message}` : ''}`;
    if (body?.errors?.length) return body.errors[0]!.message;
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}
