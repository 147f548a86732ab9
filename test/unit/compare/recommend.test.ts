import { describe, expect, it } from 'vitest';
import { formatComparison, recommend, type ComparisonReport, type LayoutResult } from '../../../runtime/compare/index.js';
import { DEFAULT_PRICES } from '../../../runtime/compare/index.js';

function result(layout: 'nano' | 'micro' | 'mono', functions: number, coldStarts: number, p95: number, cost: number, failed = 0): LayoutResult {
  return {
    layout, functions: Array.from({ length: functions }, (_, i) => `f${i}`),
    requests: { sent: 100, succeeded: 100 - failed, failed, ...(failed > 0 && { firstError: 'feed: boom' }) },
    latencyMs: { p50: p95 / 2, p95, p99: p95 * 1.5, max: p95 * 2, mean: p95 / 2 }, latencies: [],
    invocations: 200, functionErrors: 0, throttles: 0, coldStarts, environmentsCreated: coldStarts,
    coldStartPct: coldStarts / 2, warmHitRatio: (200 - coldStarts) / 200, peakConcurrency: 3,
    estimate: { ratePerSecond: 10, meanDurationMs: 5, concurrency: 0.05 }, peakEnvironments: 4, peakEnvironmentMemoryMB: 512,
    totalInitMs: 100, billedMs: 1000, gbSeconds: 0.125, cost: { requests: 0, compute: cost, total: cost }, timeline: [], wallMs: 1000,
  };
}

describe('recommend', () => {
  it('names the extremes, judges the seed’s claim and picks a layout from the numbers', () => {
    const lines = recommend([result('nano', 15, 40, 120, 3e-4), result('micro', 5, 20, 60, 2e-4), result('mono', 1, 10, 64, 1e-4)]);
    expect(lines).toEqual([
      'Fewest cold starts: mono (10, 5.0 % of invocations); most: nano (40, 20.0 %).',
      'Lowest client p95: micro (60.0 ms); highest: nano (120.0 ms).',
      'Cheapest at Lambda prices: mono ($0.000100, 0.125 GB-s); dearest: nano ($0.000300, 0.125 GB-s).',
      'The seed\'s claim — microservices stay warm more often than nanoservices and so answer quicker — holds here: warm hits micro 90.0 % vs nano 80.0 %, p95 60.0 ms vs 120.0 ms.',
      'Recommendation for this API and this traffic: mono — within 10 % of the best p95, the fewest cold starts and lowest cost among those, with 1 function to manage (nano 15, micro 5).',
    ]);
  });

  it('says when the claim does not hold, and sets aside layouts whose requests failed', () => {
    const lines = recommend([result('nano', 15, 10, 50, 1e-4), result('micro', 5, 20, 60, 2e-4, 3)]);
    expect(lines[0]).toBe('micro: 3 of 100 requests failed (first: feed: boom); its figures are not comparable.');
    expect(lines).toContain('The seed\'s claim — microservices stay warm more often than nanoservices and so answer quicker — does not hold here: warm hits micro 90.0 % vs nano 95.0 %, p95 60.0 ms vs 50.0 ms.');
    expect(lines.at(-1)).toBe('Recommendation for this API and this traffic: nano — the lowest p95, with 15 functions to manage.');
  });

  it('formats a table with a column per layout', () => {
    const report: ComparisonReport = {
      workload: { name: 'w', arrival: { pattern: 'constant', rate: 10 }, durationMs: 1000, requests: 100, operations: [{ name: 'feed', weight: 1 }] },
      config: '/x', prices: DEFAULT_PRICES, startedAt: '', results: [result('micro', 5, 20, 60, 2e-4)], recommendation: ['Pick micro.'],
    };
    const text = formatComparison(report);
    expect(text).toContain('Workload w: 100 requests over 1.0 s (constant 10/s), operations feed×1');
    expect(text).toMatch(/^\| cold starts \(= environments created\)\s+\|\s+20 \(20\) \|$/m);
    expect(text).toContain('- Pick micro.');
  });
});
