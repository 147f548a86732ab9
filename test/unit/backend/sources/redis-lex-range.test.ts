import { describe, expect, it } from 'vitest';
import { lexRange } from '../../../../runtime/backend/sources/redis-lex-range.js';

const text = (range: { min: Buffer; max: Buffer }) => ({ min: range.min.toString('latin1'), max: range.max.toString('latin1') });

describe('lexRange', () => {
  it('is unbounded without bounds, inclusive with from and to', () => {
    expect(text(lexRange({}))).toEqual({ min: '-', max: '+' });
    expect(text(lexRange({ skFrom: 'a', skTo: 'c' }))).toEqual({ min: '[a', max: '[c' });
  });

  it('bounds a prefix on both sides, below every key that has it, even with a later `to`', () => {
    const range = lexRange({ skBeginsWith: 'a', skTo: 'z' });
    expect(range.min.toString()).toBe('[a');
    // '(' 'a' 0xFF: no UTF-8 key holds 0xFF, so every key starting with 'a' is below it and 'b…' above.
    expect([...range.max]).toEqual([0x28, 0x61, 0xff]);
    expect(text(lexRange({ skBeginsWith: 'a', skTo: 'a5' })).max).toBe('[a5');
    expect(text(lexRange({ skBeginsWith: 'b', skFrom: 'a' })).min).toBe('[b');
    expect(text(lexRange({ skBeginsWith: 'b', skFrom: 'b5' })).min).toBe('[b5');
  });

  it('compares bounds by their UTF-8 bytes, as Redis orders members, not by UTF-16 units', () => {
    // U+FF00 is EF BC 80; U+1F600 is F0 9F 98 80: higher in bytes, lower in UTF-16 (a surrogate, D83D).
    expect(lexRange({ skBeginsWith: '\uFF00', skFrom: '\u{1F600}' }).min.toString()).toBe('[\u{1F600}');
  });

  it('narrows the range with a cursor, in the query\'s direction, and never widens it', () => {
    expect(text(lexRange({ after: 'b' }))).toEqual({ min: '(b', max: '+' });
    expect(text(lexRange({ after: 'b', reverse: true }))).toEqual({ min: '-', max: '(b' });
    expect(text(lexRange({ skFrom: 'c', after: 'a' })).min).toBe('[c');
    expect(text(lexRange({ skTo: 'c', after: 'x', reverse: true })).max).toBe('[c');
    // At the same key the exclusive bound is the tighter.
    expect(text(lexRange({ skFrom: 'b', after: 'b' })).min).toBe('(b');
  });
});
