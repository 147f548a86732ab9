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
});
