import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../runtime/cli/index.js';
import { TooManyRequestsError, createHost, type Host, type InvocationOutcome } from '../../runtime/index.js';
import { parsePrometheusText, sumSamples, type MetricsEstimate, type PrometheusSample } from '../../runtime/observe/index.js';
import { Gate } from '../support/gate.js';
import { tempDir } from '../support/temp-dir.js';

const handlers = resolve(import.meta.dirname, '../fixtures/handlers');
const state = tempDir();
const quietState = tempDir();
const gate = new Gate();
let host: Host;
let quiet: Host;
let url: string;

beforeAll(async () => {
  await gate.open();
  host = await createHost({
    rootDir: handlers,
    logger: { level: 'silent' },
    config: {
      stateDir: state.path,
      functions: {
        echo: { handler: './echo.mjs' },
        throws: { handler: './faults.mjs#throws' },
        events: { handler: './echo.mjs' },
        gated: { handler: './gated.mjs' },
        peaky: { handler: './gated.mjs' },
        limited: { handler: './gated.mjs', reservedConcurrency: 1 },
      },
    },
  });
  ({ url } = await host.listen({ port: 0 }));
  quiet = await createHost({
    rootDir: handlers, metrics: false, logger: { level: 'silent' },
    config: { stateDir: quietState.path, functions: { echo: { handler: './echo.mjs' } } },
  });
});

afterAll(async () => {
  gate.release('closing');
  await Promise.allSettled([host?.close(), quiet?.close()]);
  await gate.close();
  state.remove();
  quietState.remove();
});

async function scrape(): Promise<PrometheusSample[]> {
  const response = await fetch(`${url}/metrics`);
  expect(response.status).toBe(200);
  return parsePrometheusText(await response.text());
}

/** Resolves with the first outcome of `functionName` the invoker reports from now on. */
function nextOutcome(target: Host, functionName: string): Promise<InvocationOutcome> {
  return new Promise((done) => target.invoker.onOutcome((o) => o.functionName === functionName && done(o)));
}

describe('GET /metrics', () => {
  it('serves the Prometheus text format with every neolith metric described', async () => {
    const response = await fetch(`${url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await response.text();
    for (const name of [
      'neolith_invocations_total', 'neolith_errors_total', 'neolith_throttles_total', 'neolith_cold_starts_total',
      'neolith_invocation_duration_seconds', 'neolith_init_duration_seconds', 'neolith_concurrent_executions',
      'neolith_concurrent_executions_peak', 'neolith_environments', 'neolith_environments_created_total',
      'neolith_async_queue_depth', 'neolith_async_queue_oldest_age_seconds', 'neolith_dead_letters',
      'neolith_event_source_iterator_age_seconds', 'neolith_host_concurrency_limit',
    ]) expect(text).toContain(`# TYPE ${name} `);
    const samples = parsePrometheusText(text);
    expect(sumSamples(samples, 'neolith_async_queue_depth', { backend: 'sqlite' })).toBe(0);
    expect(sumSamples(samples, 'neolith_dead_letters', { backend: 'sqlite' })).toBe(0);
    expect((await fetch(`${url}/metrics`, { method: 'POST' })).status).toBe(405);
  });

  it('counts runs, errors, cold starts and durations as they happen', async () => {
    await host.invoke('echo', { n: 1 });
    await host.invoke('echo', { n: 2 });
    await host.invoke('throws', {});
    const s = await scrape();
    expect(sumSamples(s, 'neolith_invocations_total', { function: 'echo', type: 'RequestResponse', outcome: 'success' })).toBe(2);
    expect(sumSamples(s, 'neolith_invocations_total', { function: 'throws', outcome: 'error' })).toBe(1);
    expect(sumSamples(s, 'neolith_errors_total', { function: 'throws', error_type: 'ValidationError' })).toBe(1);
    expect(sumSamples(s, 'neolith_cold_starts_total', { function: 'echo' })).toBe(1);
    expect(sumSamples(s, 'neolith_environments_created_total', { function: 'echo' })).toBe(1);
    expect(sumSamples(s, 'neolith_invocation_duration_seconds_count', { function: 'echo' })).toBe(2);
    expect(sumSamples(s, 'neolith_init_duration_seconds_count', { function: 'echo' })).toBe(1);
    expect(sumSamples(s, 'neolith_environments', { function: 'echo', state: 'idle' })).toBe(1);
  });

  it('counts Event invocations run by the async dispatcher with type Event', async () => {
    const ran = nextOutcome(host, 'events');
    const accepted = await host.invoke('events', { n: 1 }, { type: 'Event' });
    expect(accepted.statusCode).toBe(202);
    expect((await ran).requestId).toBe(accepted.requestId);
    expect(sumSamples(await scrape(), 'neolith_invocations_total', { function: 'events', type: 'Event', outcome: 'success' })).toBe(1);
  });

  it('shows busy environments and concurrency while runs are held, then idle ones and the peak', async () => {
    const runs = [host.invoke('gated', { gate: gate.url }), host.invoke('gated', { gate: gate.url })];
    await gate.arrived(2);
    let s = await scrape();
    expect(sumSamples(s, 'neolith_environments', { function: 'gated', state: 'busy' })).toBe(2);
    expect(sumSamples(s, 'neolith_concurrent_executions', { function: 'gated' })).toBe(2);
    expect(sumSamples(s, 'neolith_host_concurrent_executions')).toBe(2);
    gate.release();
    await Promise.all(runs);
    s = await scrape();
    expect(sumSamples(s, 'neolith_environments', { function: 'gated', state: 'busy' })).toBe(0);
    expect(sumSamples(s, 'neolith_environments', { function: 'gated', state: 'idle' })).toBe(2);
    expect(sumSamples(s, 'neolith_concurrent_executions', { function: 'gated' })).toBe(0);
    expect(sumSamples(s, 'neolith_concurrent_executions_peak', { function: 'gated' })).toBe(2);
  });

  it('counts throttles by function and reason', async () => {
    const held = host.invoke('limited', { gate: gate.url });
    await gate.arrived(1);
    await expect(host.invoke('limited', { gate: gate.url })).rejects.toBeInstanceOf(TooManyRequestsError);
    gate.release();
    await held;
    const s = await scrape();
    expect(sumSamples(s, 'neolith_throttles_total', { function: 'limited', reason: 'ReservedFunctionConcurrentInvocationLimitExceeded' })).toBe(1);
    expect(sumSamples(s, 'neolith_invocations_total', { function: 'limited' })).toBe(1);
    expect(sumSamples(s, 'neolith_reserved_concurrency', { function: 'limited' })).toBe(1);
  });

  it('leaves the counters at zero with metrics: false, gauges still read', async () => {
    await quiet.invoke('echo', {});
    const s = parsePrometheusText(await quiet.metrics.metrics());
    expect(s.filter((x) => x.name === 'neolith_invocations_total')).toEqual([]);
    expect(sumSamples(s, 'neolith_environments', { function: 'echo', state: 'idle' })).toBe(1);
  });
});

describe('neolith estimate --url', () => {
  async function cli(...argv: string[]): Promise<{ code: number; stdout: string }> {
    let stdout = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((stdout += String(chunk)), true));
    try {
      return { code: await runCli(argv), stdout };
    } finally {
      vi.restoreAllMocks();
    }
  }

  it('reports each function’s rate × mean duration beside the peak it reached', async () => {
    const runs = [1, 2, 3].map(() => host.invoke('peaky', { gate: gate.url }));
    await gate.arrived(3);
    gate.release();
    await Promise.all(runs);
    const { code, stdout } = await cli('estimate', '--url', url, '--window-ms', '0', '--json');
    expect(code).toBe(0);
    const result = JSON.parse(stdout) as MetricsEstimate;
    const peaky = result.functions.find((f) => f.functionName === 'peaky')!;
    expect(peaky).toMatchObject({ invocations: 3, observedPeak: 3, running: 0 });
    expect(peaky.meanDurationMs).toBeGreaterThan(0);
    expect(peaky.ratePerSecond).toBeCloseTo(3 / result.windowSeconds, 6);
    expect(peaky.estimate.concurrency).toBeCloseTo((peaky.ratePerSecond * peaky.meanDurationMs) / 1000, 9);
    expect(result.host.limit).toBe(1000);
    expect(result.host.observedPeak).toBeGreaterThanOrEqual(3);
  });

  it('prints a table per function with the formula (two scrapes over a window)', async () => {
    const { code, stdout } = await cli('estimate', '--url', url, '--window-ms', '50');
    expect(code).toBe(0);
    expect(stdout).toContain(`${url} — rates over the last `);
    expect(stdout).toContain('estimate = rate × mean duration');
    expect(stdout).toMatch(/^function\s+runs\s+rate \/s\s+mean duration\s+estimate\s+plan\s+observed peak\s+reserved$/m);
    expect(stdout).toMatch(/^peaky\s+0\s+0\s+[\d.]+ ms\s+0\s+0\s+3\s+–$/m);
    expect(stdout).toMatch(/^host \(all\)\s+0\s+0\s+0\s+0\s+\d+\s+limit 1000$/m);
  });
});
