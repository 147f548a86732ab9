import { describe, expect, it } from 'vitest';
import { decimalFlag, integerFlag, portFlag } from '../../../runtime/cli/parse-flags.js';
import { UsageError } from '../../../runtime/cli/usage-error.js';

describe('number flags', () => {
  it('take plain decimal digits in range', () => {
    expect(portFlag('0')).toBe(0);
    expect(portFlag('65535')).toBe(65535);
    expect(portFlag(undefined)).toBeUndefined();
    expect(integerFlag('--limit', '1000', 1, 1000)).toBe(1000);
    expect(decimalFlag('--rate', '0.5', { max: 10 })).toBe(0.5);
    expect(decimalFlag('--rate', '10', { max: 10 })).toBe(10);
  });

  it('refuse what Number() would take but no one means: empty, spaces, hex, exponents, signs, fractions of a count', () => {
    for (const value of ['', ' ', ' 8', '8 ', '0x10', '1e3', '+5', '-1', '5.0', 'Infinity', 'NaN', '65536', '9'.repeat(400)]) {
      expect(() => portFlag(value), JSON.stringify(value)).toThrow(UsageError);
    }
    expect(() => integerFlag('--limit', '0', 1, 1000)).toThrow('--limit must be an integer from 1 to 1000 (got "0")');
    for (const value of ['', '.5', '5.', '1e3', '-0.5', '0x1', '11']) expect(() => decimalFlag('--rate', value, { max: 10 }), value).toThrow(UsageError);
    // One rule in one message, whichever side the value misses.
    for (const value of ['0', '-5', '11']) {
      expect(() => decimalFlag('--duration-ms', value, { max: 10, positive: true })).toThrow(`--duration-ms must be a number more than 0 and at most 10 (got "${value}")`);
    }
  });
});
