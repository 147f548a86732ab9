import { describe, expect, it } from 'vitest';
import { applyLayout } from '../../../runtime/config/apply-layout.js';
import { ProblemList } from '../../../runtime/config/problem-list.js';

describe('applyLayout', () => {
  it('refuses two jobs whose nano names collide instead of letting them share a function', () => {
    const p = new ProblemList();
    expect(applyLayout(['a-b/c', 'a/b-c', 'x/y'], 'nano', p)).toEqual({ 'a-b-c': ['a-b/c'], 'x-y': ['x/y'] });
    expect(p.problems).toEqual(['jobs.layout must give each job its own function: "a-b/c" and "a/b-c" both become "a-b-c" (got "nano")']);
  });

  it('takes prototype words as plain names (a domain folder called "constructor")', () => {
    const p = new ProblemList();
    expect({ ...applyLayout(['constructor/get', 'toString/list'], 'micro', p) }).toEqual({ constructor: ['constructor/get'], toString: ['toString/list'] });
    // As JSON would give it: an own key "__proto__", not a prototype.
    const layout = JSON.parse('{"__proto__": ["a/*"]}') as Record<string, string[]>;
    expect(Object.entries(applyLayout(['a/b'], layout, p))).toEqual([['__proto__', ['a/b']]]);
    expect(p.problems).toEqual([]);
  });
});
