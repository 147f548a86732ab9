import { describe, expect, it } from 'vitest';
import { ConcurrencyGovernor } from '../../../runtime/invoke/index.js';

describe('ConcurrencyGovernor', () => {
  it('refuses over a function’s reserved concurrency, then frees the slot on release', () => {
    const g = new ConcurrencyGovernor(10);
    expect(g.tryAcquire('a', 2)).toBeUndefined();
    expect(g.tryAcquire('a', 2)).toBeUndefined();
    expect(g.tryAcquire('a', 2)).toBe('ReservedFunctionConcurrentInvocationLimitExceeded');
    expect(g.canAcquire('a', 2)).toBe(false);
    g.release('a', 2);
    expect(g.canAcquire('a', 2)).toBe(true);
    expect(g.tryAcquire('a', 2)).toBeUndefined();
    expect(g.running('a')).toBe(2);
  });

  it('never runs more than the host\'s limit when a reservation is lowered or removed while its runs go on', () => {
    // Limit 6; a reserves 3 and runs 3, b runs 3 in the unreserved pool of 3.
    let reservedTotal = 3;
    const g = new ConcurrencyGovernor(6, () => reservedTotal);
    for (let i = 0; i < 3; i++) expect(g.tryAcquire('a', 3)).toBeUndefined();
    for (let i = 0; i < 3; i++) expect(g.tryAcquire('b', undefined)).toBeUndefined();
    // DeleteFunctionConcurrency on a: the unreserved pool grows to 6, but a's 3 runs still hold slots.
    reservedTotal = 0;
    expect(g.canAcquire('b', undefined)).toBe(false);
    expect(g.tryAcquire('b', undefined)).toBe('ConcurrentInvocationLimitExceeded');
    expect(g.running()).toBe(6);
    g.release('a', 3);
    expect(g.tryAcquire('b', undefined)).toBeUndefined();
    expect(g.running()).toBe(6);
  });

  it('refuses every call to a function reserved at 0', () => {
    const g = new ConcurrencyGovernor(10);
    expect(g.tryAcquire('off', 0)).toBe('ReservedFunctionConcurrentInvocationLimitExceeded');
    expect(g.running()).toBe(0);
  });

  it('refuses over the host-wide limit across functions', () => {
    const g = new ConcurrencyGovernor(2);
    expect(g.tryAcquire('a', undefined)).toBeUndefined();
    expect(g.tryAcquire('b', undefined)).toBeUndefined();
    expect(g.tryAcquire('c', undefined)).toBe('ConcurrentInvocationLimitExceeded');
    g.release('a', undefined);
    expect(g.tryAcquire('c', undefined)).toBeUndefined();
  });

  it('keeps a function\'s reserved slots for it: the others share only what is left (Lambda\'s unreserved pool)', () => {
    // Host limit 3; function r reserves 1, so the unreserved functions share 2.
    const g = new ConcurrencyGovernor(3, () => 1);
    expect(g.tryAcquire('a', undefined)).toBeUndefined();
    expect(g.tryAcquire('b', undefined)).toBeUndefined();
    expect(g.tryAcquire('c', undefined)).toBe('ConcurrentInvocationLimitExceeded');
    expect(g.canAcquire('c', undefined)).toBe(false);
    // The reserved function still gets its slot with the unreserved pool full, and only that one.
    expect(g.canAcquire('r', 1)).toBe(true);
    expect(g.tryAcquire('r', 1)).toBeUndefined();
    expect(g.tryAcquire('r', 1)).toBe('ReservedFunctionConcurrentInvocationLimitExceeded');
    g.release('r', 1);
    // Its release does not open the unreserved pool.
    expect(g.tryAcquire('c', undefined)).toBe('ConcurrentInvocationLimitExceeded');
    g.release('a', undefined);
    expect(g.tryAcquire('c', undefined)).toBeUndefined();
  });

  it('tracks peaks host-wide and per function', () => {
    const g = new ConcurrencyGovernor(10);
    g.tryAcquire('a', undefined);
    g.tryAcquire('a', undefined);
    g.tryAcquire('b', undefined);
    g.release('a', undefined);
    g.release('a', undefined);
    g.release('b', undefined);
    expect(g.peak).toBe(3);
    expect(g.peakOf('a')).toBe(2);
    expect(g.peakOf('b')).toBe(1);
    expect(g.running()).toBe(0);
  });
});

describe('ConcurrencyGovernor.whenIdle', () => {
  it('resolves at once when idle, else when the last run releases', async () => {
    const g = new ConcurrencyGovernor(10);
    await g.whenIdle();
    g.tryAcquire('a', undefined);
    g.tryAcquire('b', undefined);
    let idle = false;
    const waiting = g.whenIdle().then(() => {
      idle = true;
    });
    g.release('a', undefined);
    await Promise.resolve();
    expect(idle).toBe(false);
    g.release('b', undefined);
    await waiting;
    expect(idle).toBe(true);
  });
});
