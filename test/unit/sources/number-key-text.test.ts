import { describe, expect, it } from 'vitest';
import { numberKeyText } from '../../../runtime/sources/pull/tables.js';

describe('numberKeyText', () => {
  it('orders as the numbers do, negatives and fractions included', () => {
    const numbers = [-1e300, -1000, -2.5, -1, -0.001, 0, 0.001, 1, 2, 9, 10, 100, 1e21, Number.MAX_VALUE];
    const shuffled = [...numbers].reverse();
    const sorted = shuffled.map((n) => [numberKeyText(n), n] as const).sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([, n]) => n);
    expect(sorted).toEqual(numbers);
  });

  it('gives -0 and 0 one key and keeps numbers apart from strings', () => {
    expect(numberKeyText(-0)).toBe(numberKeyText(0));
    expect(numberKeyText(1)).not.toBe('1');
    expect(numberKeyText(1)).toHaveLength(17);
  });
});
