import { describe, expect, it, vi } from 'vitest';
import {
  HostMetrics, parsePrometheusText, sumSamples, type EnvironmentCounts, type ObservedFunction, type ObservedHost,
} from '../../../runtime/observe/index.js';

/** A host with functions whose state the test sets directly. */
function fakeHost() {
  const state = new Map<string, { env: EnvironmentCounts; running: number; peak: number }>();
  const fn = (name: string, reservedConcurrency?: number): ObservedFunction => {
    state.set(name, { env: { idle: 0, busy: 0, booting: 0, created: 0 }, running: 0, peak: 0 });
    return {
      name,
      config: { kind: 'handler', jobs: [], memoryMB: 128, timeoutMs: 3000, reservedConcurrency, provisionedConcurrency: 0 },
      environments: () => state.get(name)!.env,
      running: () => state.get(name)!.running,
      peak: () => state.get(name)!.peak,
    };
  };
  const functions = [fn('a'), fn('b', 5)];
  const host: ObservedHost = {
    layout: 'micro', backend: 'sqlite',
    functions: () => functions,
    concurrency: () => ({ running: 1, peak: 4, limit: 100 }),
  };
  return { host, state };
}

const ok = (requestId: string, functionName: string, durationMs: number, extra: object = {}) => ({
  requestId, functionName, type: 'RequestResponse', durationMs, ...extra,
});

async function samples(metrics: HostMetrics) {
  return parsePrometheusText(await metrics.metrics());
}

describe('HostMetrics', () => {
  it('counts runs by function, type and outcome; errors by type; cold starts; durations in seconds', async () => {
    const { host } = fakeHost();
    const metrics = new HostMetrics(host, { processMetrics: false });
    metrics.record(ok('1', 'a', 10, { initDurationMs: 40 }));
    metrics.record(ok('2', 'a', 30));
    metrics.record(ok('3', 'a', 20, { type: 'Event', error: { errorType: 'TypeError' } }));
    const s = await samples(metrics);
    expect(sumSamples(s, 'neolith_invocations_total', { function: 'a', type: 'RequestResponse', outcome: 'success' })).toBe(2);
    expect(sumSamples(s, 'neolith_invocations_total', { function: 'a', type: 'Event', outcome: 'error' })).toBe(1);
    expect(sumSamples(s, 'neolith_errors_total', { function: 'a', error_type: 'TypeError' })).toBe(1);
    expect(sumSamples(s, 'neolith_cold_starts_total', { function: 'a' })).toBe(1);
    expect(sumSamples(s, 'neolith_invocation_duration_seconds_count', { function: 'a' })).toBe(3);
    expect(sumSamples(s, 'neolith_invocation_duration_seconds_sum', { function: 'a' })).toBeCloseTo(0.06, 10);
    expect(sumSamples(s, 'neolith_invocation_duration_seconds_bucket', { function: 'a', le: '0.01' })).toBe(1);
    expect(sumSamples(s, 'neolith_init_duration_seconds_sum', { function: 'a' })).toBeCloseTo(0.04, 10);
  });

  it('counts throttles by function and reason', async () => {
    const { host } = fakeHost();
    const metrics = new HostMetrics(host, { processMetrics: false });
    metrics.recordThrottle({ functionName: 'b', type: 'RequestResponse', reason: 'ReservedFunctionConcurrentInvocationLimitExceeded' });
    metrics.recordThrottle({ functionName: 'b', type: 'RequestResponse', reason: 'ReservedFunctionConcurrentInvocationLimitExceeded' });
    const s = await samples(metrics);
    expect(sumSamples(s, 'neolith_throttles_total', { function: 'b', reason: 'ReservedFunctionConcurrentInvocationLimitExceeded' })).toBe(2);
    expect((await metrics.snapshot()).functions.find((f) => f.name === 'b')!.throttles).toBe(2);
  });

  it('reads environments, concurrency and reserved concurrency from the host at scrape time', async () => {
    const { host, state } = fakeHost();
    const metrics = new HostMetrics(host, { processMetrics: false });
    state.get('a')!.env = { idle: 2, busy: 1, booting: 1, created: 6 };
    state.get('a')!.running = 1;
    state.get('a')!.peak = 3;
    let s = await samples(metrics);
    expect(sumSamples(s, 'neolith_environments', { function: 'a', state: 'idle' })).toBe(2);
    expect(sumSamples(s, 'neolith_environments', { function: 'a', state: 'busy' })).toBe(1);
    expect(sumSamples(s, 'neolith_environments', { function: 'a', state: 'booting' })).toBe(1);
    expect(sumSamples(s, 'neolith_environments_created_total', { function: 'a' })).toBe(6);
    expect(sumSamples(s, 'neolith_concurrent_executions', { function: 'a' })).toBe(1);
    expect(sumSamples(s, 'neolith_concurrent_executions_peak', { function: 'a' })).toBe(3);
    expect(s.filter((x) => x.name === 'neolith_reserved_concurrency')).toEqual([{ name: 'neolith_reserved_concurrency', labels: { function: 'b' }, value: 5 }]);
    expect(sumSamples(s, 'neolith_host_concurrent_executions_peak')).toBe(4);
    expect(sumSamples(s, 'neolith_host_concurrency_limit')).toBe(100);
    state.get('a')!.env = { idle: 0, busy: 0, booting: 0, created: 6 };
    s = await samples(metrics);
    expect(sumSamples(s, 'neolith_environments', { function: 'a', state: 'idle' })).toBe(0);
  });

  it('has no queue gauges until a queue is plugged in, then asks it once per scrape', async () => {
    const { host } = fakeHost();
    const metrics = new HostMetrics(host, { processMetrics: false });
    expect((await metrics.metrics())).not.toContain('neolith_async_queue_depth');
    const stats = vi.fn(async () => ({ queued: 3, running: 1, oldestQueuedAgeMs: 2500, deadLetters: 2 }));
    metrics.useQueue(stats);
    const s = await samples(metrics);
    expect(stats).toHaveBeenCalledTimes(1);
    expect(sumSamples(s, 'neolith_async_queue_depth')).toBe(3);
    expect(sumSamples(s, 'neolith_async_queue_running')).toBe(1);
    expect(sumSamples(s, 'neolith_async_queue_oldest_age_seconds')).toBe(2.5);
    expect(sumSamples(s, 'neolith_dead_letters')).toBe(2);
    expect((await metrics.snapshot()).queue).toEqual({ queued: 3, running: 1, oldestQueuedAgeMs: 2500, deadLetters: 2 });
  });

  it('a failing queue is reported and leaves its gauges empty; the scrape goes on', async () => {
    const { host } = fakeHost();
    const failure = new Error('store down');
    const onSourceError = vi.fn();
    const metrics = new HostMetrics(host, { processMetrics: false, onSourceError });
    metrics.useQueue(() => Promise.reject(failure));
    const s = await samples(metrics);
    expect(onSourceError).toHaveBeenCalledWith(failure);
    expect(s.some((x) => x.name === 'neolith_async_queue_depth')).toBe(false);
    expect(sumSamples(s, 'neolith_host_concurrency_limit')).toBe(100);
    expect((await metrics.snapshot()).queue).toBeUndefined();
  });

  it('exports event-source iterator ages from the sources plugged in, until removed', async () => {
    const { host } = fakeHost();
    const metrics = new HostMetrics(host, { processMetrics: false });
    const remove = metrics.addIteratorAgeSource(() => [{ source: 'stream:orders', functionName: 'a', ageMs: 1500 }]);
    expect(sumSamples(await samples(metrics), 'neolith_event_source_iterator_age_seconds', { source: 'stream:orders', function: 'a' })).toBe(1.5);
    remove();
    expect((await samples(metrics)).some((x) => x.name === 'neolith_event_source_iterator_age_seconds')).toBe(false);
  });

  it('caps distinct error_type labels per function, counting the rest as "other"', async () => {
    const { host } = fakeHost();
    const metrics = new HostMetrics(host, { processMetrics: false });
    for (let i = 0; i < 25; i++) metrics.record(ok(String(i), 'a', 1, { error: { errorType: `E${i}` } }));
    const errors = (await samples(metrics)).filter((x) => x.name === 'neolith_errors_total');
    expect(errors).toHaveLength(21);
    expect(sumSamples(errors, 'neolith_errors_total', { error_type: 'other' })).toBe(5);
  });

  it('snapshots totals, per-function latency of the window and recent runs, newest first', async () => {
    const { host } = fakeHost();
    let now = 1_000_000;
    const metrics = new HostMetrics(host, { processMetrics: false, now: () => now });
    metrics.record(ok('old', 'a', 500));
    now += 120_000;
    metrics.record(ok('r1', 'a', 10, { initDurationMs: 5, job: 'users/get' }));
    now += 1;
    metrics.record(ok('r2', 'b', 20, { error: { errorType: 'Boom' } }));
    now += 1;
    const snap = await metrics.snapshot({ windowMs: 60_000, recent: 2 });
    expect(snap).toMatchObject({
      now, startedAt: 1_000_000, layout: 'micro', backend: 'sqlite', windowMs: 60_000,
      concurrency: { running: 1, peak: 4, limit: 100 },
      totals: { invocations: 3, errors: 1, coldStarts: 1, throttles: 0 },
    });
    expect(snap.functions.map((f) => [f.name, f.invocations, f.latency])).toEqual([
      ['a', 2, { count: 1, p50Ms: 10, p99Ms: 10 }],
      ['b', 1, { count: 1, p50Ms: 20, p99Ms: 20 }],
    ]);
    expect(snap.recent).toEqual([
      { requestId: 'r2', functionName: 'b', type: 'RequestResponse', at: now - 1, durationMs: 20, errorType: 'Boom' },
      { requestId: 'r1', functionName: 'a', type: 'RequestResponse', at: now - 2, durationMs: 10, job: 'users/get', initDurationMs: 5 },
    ]);
  });

  it('exports process metrics by default, each host in its own registry', async () => {
    const { host } = fakeHost();
    const one = new HostMetrics(host);
    const two = new HostMetrics(host);
    one.record(ok('1', 'a', 1));
    expect(await one.metrics()).toContain('process_cpu_user_seconds_total');
    expect(sumSamples(await samples(two), 'neolith_invocations_total')).toBe(0);
    expect(one.contentType).toContain('text/plain');
  });

  it('refuses a recentPerFunction that is not a positive integer', () => {
    expect(() => new HostMetrics(fakeHost().host, { recentPerFunction: 0 })).toThrow('metrics.recentPerFunction must be a positive integer (got 0)');
  });
});
