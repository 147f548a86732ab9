import { describe, expect, it } from 'vitest';
import { filterPatternProblem } from '../../../runtime/config/filter-pattern.js';

describe('filterPatternProblem (Lambda event filter patterns)', () => {
  it('takes values and every operator, nested and under $or', () => {
    for (const pattern of [
      { data: { kind: ['a', 1, true, null] } },
      { eventName: ['INSERT'], dynamodb: { NewImage: { seed: [{ exists: false }] } } },
      { data: { n: [{ numeric: ['>', 0, '<=', 5] }, { numeric: ['=', 3] }] } },
      { data: { s: [{ prefix: 'a' }, { suffix: 'z' }, { 'equals-ignore-case': 'Q' }, { 'anything-but': ['x', 'y'] }, { 'anything-but': { prefix: 'tmp' } }] } },
      { $or: [{ data: { a: [1] } }, { data: { b: [2] } }] },
    ]) expect(filterPatternProblem(pattern), JSON.stringify(pattern)).toBeUndefined();
  });

  it.each([
    ['a value not in an array', { data: { a: 1 } }, 'data.a must be an array of values or conditions, or a nested pattern (got 1; a value is matched as [1])'],
    ['an empty array', { data: { a: [] } }, 'data.a must list at least one value or condition (got [])'],
    ['a misspelt operator', { data: { a: [{ prefx: 'x' }] } }, 'data.a: "prefx" is not an operator this host knows'],
    ['two operators in one object', { a: [{ prefix: 'x', suffix: 'y' }] }, 'a: an operator object holds exactly one operator'],
    ['text in numeric', { a: [{ numeric: ['>', 'abc'] }] }, 'a: numeric takes one or two comparisons'],
    ['an unknown comparison', { a: [{ numeric: ['!=', 1] }] }, 'a: numeric takes one or two comparisons'],
    ['a prefix that is not text', { a: [{ prefix: 5 }] }, 'a: prefix takes text (got 5)'],
    ['exists with a string', { a: [{ exists: 'yes' }] }, 'a: exists takes true or false (got "yes")'],
    ['$or of one pattern', { $or: [{ a: [1] }] }, '$or must be an array of two or more patterns'],
    ['a bad pattern inside $or', { $or: [{ a: [1] }, { b: 2 }] }, '$or[1].b must be an array of values or conditions'],
    ['an array as the pattern', [1], 'the pattern must be an object'],
  ])('refuses %s', (_, pattern, problem) => {
    expect(filterPatternProblem(pattern)).toContain(problem);
  });
});
