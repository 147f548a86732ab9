import { describe, expect, it } from 'vitest';
import { nearestRank, OutcomeRing } from '../../../runtime/observe/index.js';

const outcome = (requestId: string, durationMs: number) => ({ requestId, functionName: 'f', type: 'RequestResponse', durationMs });

describe('OutcomeRing', () => {
  it('keeps the last `capacity` outcomes, newest first', () => {
    const ring = new OutcomeRing(3);
    for (let i = 1; i <= 5; i++) ring.add(outcome(`r${i}`, i), i * 100);
    expect(ring.size).toBe(3);
    expect(ring.since(0).map((t) => t.outcome.requestId)).toEqual(['r5', 'r4', 'r3']);
    expect(ring.since(0).map((t) => t.at)).toEqual([500, 400, 300]);
  });

  it('lists only what was recorded at or after `since`, at most `limit`', () => {
    const ring = new OutcomeRing(10);
    for (let i = 1; i <= 5; i++) ring.add(outcome(`r${i}`, i), i * 100);
    expect(ring.since(300).map((t) => t.outcome.requestId)).toEqual(['r5', 'r4', 'r3']);
    expect(ring.since(0, 2).map((t) => t.outcome.requestId)).toEqual(['r5', 'r4']);
    expect(new OutcomeRing(2).since(0)).toEqual([]);
  });

  it('gives nearest-rank p50 and p99 of the window', () => {
    const ring = new OutcomeRing(200);
    for (let i = 1; i <= 100; i++) ring.add(outcome(`r${i}`, i), 1000 + i);
    expect(ring.latency(0)).toEqual({ count: 100, p50Ms: 50, p99Ms: 99 });
    expect(ring.latency(1091)).toEqual({ count: 10, p50Ms: 95, p99Ms: 100 });
    expect(ring.latency(5000)).toEqual({ count: 0, p50Ms: 0, p99Ms: 0 });
  });

  it('refuses a capacity that is not a positive integer', () => {
    expect(() => new OutcomeRing(0)).toThrow('capacity must be a positive integer (got 0)');
    expect(() => new OutcomeRing(1.5)).toThrow(RangeError);
  });

  it('nearestRank: 0 for no samples, the only sample for one', () => {
    expect(nearestRank([], 50)).toBe(0);
    expect(nearestRank([7], 99)).toBe(7);
    expect(nearestRank([1, 2, 3, 4], 50)).toBe(2);
  });
});
