import { describe, expect, it } from 'vitest';
import { previewValue } from '../../../runtime/errors/index.js';

describe('previewValue', () => {
  it('shows a value as its JSON, cut at maxChars with an ellipsis', () => {
    expect(previewValue({ a: 1 })).toBe('{"a":1}');
    expect(previewValue('x'.repeat(100), 10)).toBe(`"${'x'.repeat(9)}...`);
    expect(previewValue(undefined)).toBe('undefined');
  });

  it('never throws: a value nested past JSON.stringify\'s recursion, a cycle, a BigInt', () => {
    const deep = JSON.parse(`${'['.repeat(100_000)}${']'.repeat(100_000)}`) as unknown;
    expect(previewValue(deep)).toBe('an array JSON cannot show (nested too deep, cyclic or a bigint)');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(previewValue(cyclic)).toBe('an object JSON cannot show (nested too deep, cyclic or a bigint)');
    expect(previewValue(10n)).toBe('a bigint JSON cannot show (nested too deep, cyclic or a bigint)');
  });
});
