import { describe, expect, it } from 'vitest';
import { matchesPolicy } from '../../../../runtime/sources/push/filter-policy.js';

describe('SNS filter policies', () => {
  it('matches on a message\'s own attributes only, never on Object\'s methods', () => {
    // `toString`, `constructor` exist on every object: a policy on them must not see the inherited functions.
    expect(matchesPolicy({ toString: [{ exists: true }] }, {})).toBe(false);
    expect(matchesPolicy({ constructor: [{ exists: true }] }, { tier: 'gold' })).toBe(false);
    expect(matchesPolicy({ toString: [{ exists: false }] }, {})).toBe(true);
    expect(matchesPolicy({ toString: ['x'] }, { toString: 'x' })).toBe(true);
    expect(matchesPolicy({ hasOwnProperty: [{ 'anything-but': ['y'] }] }, {})).toBe(false);
    expect(matchesPolicy({ order: { constructor: [{ exists: true }] } }, { order: { id: 1 } })).toBe(false);
  });

  it('still matches the ordinary rules', () => {
    expect(matchesPolicy({ tier: ['gold'], spend: [{ numeric: ['>=', 100] }] }, { tier: 'gold', spend: 150 })).toBe(true);
    expect(matchesPolicy({ tier: ['gold'] }, { tier: 'silver' })).toBe(false);
    expect(matchesPolicy({ name: [{ prefix: 'ne' }] }, { name: 'neolith' })).toBe(true);
  });

  it('matches numbers only against JSON numbers: no coercion of null, booleans or text (AWS pattern syntax)', () => {
    for (const value of [null, '', false, '0', ' ', '0x0']) expect(matchesPolicy({ n: [0] }, { n: value })).toBe(false);
    expect(matchesPolicy({ n: [0] }, { n: 0 })).toBe(true);
    for (const value of [true, '5', '0x10', null, '']) expect(matchesPolicy({ n: [{ numeric: ['>', 0] }] }, { n: value })).toBe(false);
    expect(matchesPolicy({ n: [{ numeric: ['>', 0, '<=', 5] }] }, { n: 5 })).toBe(true);
    // anything-but follows the same rule: "5" is something other than 5.
    expect(matchesPolicy({ n: [{ 'anything-but': [5] }] }, { n: '5' })).toBe(true);
    expect(matchesPolicy({ n: [{ 'anything-but': [5] }] }, { n: 5 })).toBe(false);
  });

  it('matches $or when one of its patterns does, beside the other keys', () => {
    const policy = { $or: [{ data: { a: [1] } }, { data: { b: [2] } }], kind: ['x'] };
    expect(matchesPolicy(policy, { kind: 'x', data: { a: 1 } })).toBe(true);
    expect(matchesPolicy(policy, { kind: 'x', data: { b: 2 } })).toBe(true);
    expect(matchesPolicy(policy, { kind: 'x', data: { a: 2 } })).toBe(false);
    expect(matchesPolicy(policy, { kind: 'y', data: { a: 1 } })).toBe(false);
  });
});
