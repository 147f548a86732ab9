import { afterEach, describe, expect, it, vi } from 'vitest';
import { estimateConcurrency, estimateFromMetrics, formatFigure, parsePrometheusText } from '../../../runtime/observe/index.js';
import { cliInProcess } from '../../support/cli.js';

const cli = cliInProcess;

afterEach(() => vi.restoreAllMocks());

describe('estimateConcurrency', () => {
  it('is events per second × duration in seconds', () => {
    expect(estimateConcurrency(10, 3000)).toEqual({ ratePerSecond: 10, durationMs: 3000, concurrency: 30, plan: 30, formula: '10 /s × 3 s = 30' });
    expect(estimateConcurrency(7, 150)).toMatchObject({ concurrency: 1.05, plan: 2 });
    expect(estimateConcurrency(0.1, 3000)).toMatchObject({ concurrency: 0.3, plan: 1 });
    expect(estimateConcurrency(1000, 0)).toMatchObject({ concurrency: 0, plan: 0 });
  });

  it('refuses negative or non-finite figures', () => {
    expect(() => estimateConcurrency(-1, 10)).toThrow('rate must be a non-negative number (got -1)');
    expect(() => estimateConcurrency(1, Number.NaN)).toThrow('duration must be a non-negative number of ms (got NaN)');
  });

  it('formats figures with at most 3 decimals, small ones with 2 significant digits', () => {
    expect(formatFigure(30)).toBe('30');
    expect(formatFigure(1.23456)).toBe('1.235');
    expect(formatFigure(0.0000144)).toBe('0.000014');
    expect(formatFigure(0)).toBe('0');
  });
});

describe('estimateFromMetrics', () => {
  const scrape = (runs: number, durSum: number, peak: number) => parsePrometheusText([
    `neolith_host_start_time_seconds 1000`,
    `neolith_invocations_total{function="f",type="RequestResponse",outcome="success"} ${runs - 1}`,
    `neolith_invocations_total{function="f",type="Event",outcome="error"} 1`,
    `neolith_invocation_duration_seconds_sum{function="f"} ${durSum}`,
    `neolith_invocation_duration_seconds_count{function="f"} ${runs}`,
    `neolith_concurrent_executions_peak{function="f"} ${peak}`,
    `neolith_concurrent_executions{function="f"} 1`,
    `neolith_reserved_concurrency{function="f"} 8`,
    `neolith_concurrent_executions_peak{function="idle"} 0`,
    `neolith_host_concurrent_executions_peak ${peak}`,
    `neolith_host_concurrency_limit 1000`,
  ].join('\n'));

  it('takes rate and mean duration over the window between two scrapes', () => {
    const result = estimateFromMetrics(scrape(120, 20, 6), { before: scrape(20, 0, 2), windowSeconds: 10 });
    expect(result.windowSeconds).toBe(10);
    const f = result.functions.find((x) => x.functionName === 'f')!;
    // 100 runs in 10 s = 10/s; 20 s of handler time over 100 runs = 200 ms; 10 × 0.2 = 2.
    expect(f).toMatchObject({ invocations: 100, ratePerSecond: 10, meanDurationMs: 200, observedPeak: 6, running: 1, reservedConcurrency: 8 });
    expect(f.estimate).toMatchObject({ concurrency: 2, plan: 2 });
    expect(result.functions.find((x) => x.functionName === 'idle')).toMatchObject({ invocations: 0, ratePerSecond: 0, meanDurationMs: 0 });
    expect(result.host).toEqual({ ratePerSecond: 10, concurrency: 2, observedPeak: 6, limit: 1000 });
  });

  it('without a first scrape, takes the lifetime since the host started', () => {
    const result = estimateFromMetrics(scrape(50, 5, 3), { nowSeconds: 1100 });
    expect(result.windowSeconds).toBe(100);
    expect(result.functions.find((x) => x.functionName === 'f')).toMatchObject({ ratePerSecond: 0.5, meanDurationMs: 100 });
  });

  it('counts from zero when the host restarted between the scrapes (its counters went down)', () => {
    // Before: 500 runs of the old host; after: 30 runs of the new one, 3 s of handler time.
    const f = estimateFromMetrics(scrape(30, 3, 2), { before: scrape(500, 90, 9), windowSeconds: 10 }).functions.find((x) => x.functionName === 'f')!;
    expect(f).toMatchObject({ invocations: 30, ratePerSecond: 3, meanDurationMs: 100 });
    expect(f.estimate.concurrency).toBeCloseTo(0.3);
  });

  it('falls back to the lifetime mean duration when nothing ran in the window', () => {
    const same = scrape(10, 1, 1);
    const f = estimateFromMetrics(same, { before: same, windowSeconds: 5 }).functions.find((x) => x.functionName === 'f')!;
    expect(f).toMatchObject({ invocations: 0, ratePerSecond: 0, meanDurationMs: 100 });
    expect(f.estimate.concurrency).toBe(0);
  });
});

describe('neolith estimate', () => {
  it('--rate 10 --duration-ms 3000 prints the formula and 30', async () => {
    const { code, stdout } = await cli('estimate', '--rate', '10', '--duration-ms', '3000');
    expect(code).toBe(0);
    expect(stdout).toBe([
      'concurrent executions = events per second × function duration (s)',
      '                      = 10 /s × 3 s',
      '                      = 30',
      '',
    ].join('\n'));
  });

  it('rounds up to what to plan for when the estimate is fractional; --json for machines', async () => {
    expect((await cli('estimate', '--rate', '7', '--duration-ms', '150')).stdout).toContain('= 1.05  (plan for 2)');
    const { stdout } = await cli('estimate', '--rate', '7', '--duration-ms', '150', '--json');
    expect(JSON.parse(stdout)).toEqual({ ratePerSecond: 7, durationMs: 150, concurrency: 1.05, plan: 2, formula: '7 /s × 0.15 s = 1.05' });
  });

  it('refuses bad or missing figures with a usage error (exit 2)', async () => {
    const bad = await cli('estimate', '--rate', 'ten', '--duration-ms', '3000');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--rate must be a non-negative number (got "ten")');
    expect((await cli('estimate', '--rate', '10')).stderr).toContain('--duration-ms is required');
    expect((await cli('estimate')).stderr).toContain('give either --rate and --duration-ms, or --url');
    expect((await cli('estimate', '--rate', '1', '--duration-ms', '1', '--url', 'http://x')).stderr).toContain('give either --rate and --duration-ms, or --url');
    expect((await cli('estimate', '--rate', '1', '--duration-ms', '1', '--window-ms', '5')).stderr).toContain('--window-ms goes with --url');
  });

  it('says so when no host answers at --url (exit 1)', async () => {
    const { code, stderr } = await cli('estimate', '--url', 'http://127.0.0.1:9', '--window-ms', '0');
    expect(code).toBe(1);
    expect(stderr).toMatch(/^neolith estimate: cannot reach a neolith host at http:\/\/127\.0\.0\.1:9 \(/);
  });

  it('has --help', async () => {
    const { code, stdout } = await cli('estimate', '--help');
    expect(code).toBe(0);
    expect(stdout).toContain('concurrent executions = events per second × function duration (s)');
  });
});
