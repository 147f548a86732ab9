import { describe, expect, it } from 'vitest';
import { MAX_VISIBLE_SCAN, visiblePage } from '../../../runtime/http/visible-page.js';

/** A list read newest first: numbers from n down to 1; `reads` records each limit asked for. */
function list(n: number) {
  const reads: number[] = [];
  const read = async (limit: number) => {
    reads.push(limit);
    return Array.from({ length: Math.min(limit, n) }, (_, i) => n - i);
  };
  return { read, reads };
}

describe('visiblePage', () => {
  it('reads once when nothing is hidden', async () => {
    const { read, reads } = list(50);
    expect(await visiblePage(read, 3, undefined)).toEqual([50, 49, 48]);
    expect(await visiblePage(read, 3, () => true)).toEqual([50, 49, 48]);
    expect(reads).toEqual([3, 3]);
  });

  it('reads further when hidden entries would leave the page short', async () => {
    const { read, reads } = list(100);
    // Only multiples of 10 are visible: 10 of them exist.
    expect(await visiblePage(read, 3, (n) => n % 10 === 0)).toEqual([100, 90, 80]);
    expect(reads).toEqual([3, 12, 48]);
  });

  it('answers short once the list is exhausted', async () => {
    const { read, reads } = list(20);
    expect(await visiblePage(read, 5, (n) => n % 10 === 0)).toEqual([20, 10]);
    expect(reads).toEqual([5, 20, 80]);
  });

  it('stops at MAX_VISIBLE_SCAN entries read', async () => {
    const { read, reads } = list(1_000_000);
    expect(await visiblePage(read, 2, () => false)).toEqual([]);
    expect(reads.at(-1)).toBe(MAX_VISIBLE_SCAN);
    expect(reads.length).toBeLessThan(10);
  });
});
