import { describe, expect, it } from 'vitest';
import { activeMs, arrivalTimes, billedMs, DEFAULT_PRICES, planRequests, validateWorkload } from '../../../runtime/compare/index.js';
import { ConfigError } from '../../../runtime/index.js';

describe('arrivalTimes', () => {
  it('constant: evenly spaced at the rate', () => {
    expect(arrivalTimes({ pattern: 'constant', rate: 4 }, 1000)).toEqual([0, 250, 500, 750]);
  });

  it('bursts: the rate during each burst, nothing in the idle gaps', () => {
    expect(arrivalTimes({ pattern: 'bursts', rate: 10, burstMs: 300, idleMs: 700 }, 2500)).toEqual([0, 100, 200, 1000, 1100, 1200, 2000, 2100, 2200]);
    expect(activeMs({ pattern: 'bursts', rate: 10, burstMs: 300, idleMs: 700 }, 2500)).toBe(900);
    expect(activeMs({ pattern: 'bursts', rate: 10, burstMs: 300, idleMs: 700 }, 2100)).toBe(700);
    expect(activeMs({ pattern: 'constant', rate: 1 }, 2100)).toBe(2100);
  });

  it('ramp: as many requests as the area under the rate, denser towards the end', () => {
    const times = arrivalTimes({ pattern: 'ramp', from: 0, to: 20 }, 2000);
    expect(times).toHaveLength(20); // (0 + 20) / 2 per s × 2 s
    expect(times[0]).toBe(0);
    expect(times[1]! - times[0]!).toBeGreaterThan(times[19]! - times[18]!);
    expect(arrivalTimes({ pattern: 'ramp', from: 5, to: 5 }, 1000)).toEqual([0, 200, 400, 600, 800]);
  });
});

describe('planRequests', () => {
  const ops = [
    { name: 'a', weight: 3, query: '{ a }' },
    { name: 'b', query: '{ b }', variables: [{ id: 1 }, { id: 2 }] },
  ];

  it('is the same sequence for the same seed, another for another seed', () => {
    const one = planRequests(ops, { pattern: 'constant', rate: 100 }, 1000, 7).map((r) => r.operation.name + JSON.stringify(r.variables ?? null));
    const again = planRequests(ops, { pattern: 'constant', rate: 100 }, 1000, 7).map((r) => r.operation.name + JSON.stringify(r.variables ?? null));
    const other = planRequests(ops, { pattern: 'constant', rate: 100 }, 1000, 8).map((r) => r.operation.name + JSON.stringify(r.variables ?? null));
    expect(one).toEqual(again);
    expect(one).not.toEqual(other);
  });

  it('picks operations by weight and variables from the list', () => {
    const plan = planRequests(ops, { pattern: 'constant', rate: 1000 }, 4000, 1);
    const share = plan.filter((r) => r.operation.name === 'a').length / plan.length;
    expect(share).toBeGreaterThan(0.7);
    expect(share).toBeLessThan(0.8);
    expect(new Set(plan.filter((r) => r.operation.name === 'b').map((r) => JSON.stringify(r.variables)))).toEqual(new Set(['{"id":1}', '{"id":2}']));
    expect(plan.filter((r) => r.operation.name === 'a').every((r) => r.variables === undefined)).toBe(true);
  });
});

describe('validateWorkload', () => {
  const valid = { operations: [{ name: 'q', query: '{ a }' }], arrival: { pattern: 'constant', rate: 1 }, durationMs: 1000 };

  it('accepts a valid workload', () => {
    expect(validateWorkload(valid)).toEqual(valid);
  });

  it('reports every problem at once, each with its path and value', () => {
    let error: ConfigError | undefined;
    try {
      validateWorkload({
        operations: [{ name: '', query: 5, weight: -1, variables: [] }], arrival: { pattern: 'bursts', rate: 0, burstMs: 10 }, durationMs: 'long',
        host: { idleTimeoutMs: 0, port: 1 }, layouts: { pico: {} }, seed: 1.5,
      });
    } catch (e) {
      error = e as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.problems).toEqual([
      'workload: operations[0].name must be a non-empty string (got "")',
      'workload: operations[0].query must be a GraphQL document (got 5)',
      'workload: operations[0].weight must be a positive number (got -1)',
      'workload: operations[0].variables must be an object or a non-empty array of objects (got [])',
      'workload: arrival.rate must be a positive number (got 0)',
      'workload: arrival.idleMs must be a non-negative number (got undefined)',
      'workload: durationMs must be a positive number (got "long")',
      'workload: host.idleTimeoutMs must be a positive number (got 0)',
      'workload: host.port is not a host setting a workload may override (idleTimeoutMs, concurrencyLimit, spareEnvironments, maxEnvironmentsPerFunction, scaleOut)',
      'workload: layouts.pico must be nano, micro or mono',
      'workload: seed must be an integer (got 1.5)',
    ]);
  });

  it('checks overrides against the host config\'s ranges, and names, prices and layouts by type, before anything runs', () => {
    let error: ConfigError | undefined;
    try {
      validateWorkload({
        ...valid, name: 42, layouts: { mono: { concurrencyLimit: 1.5, spareEnvironments: 65, maxEnvironmentsPerFunction: 0, scaleOut: 'eager' } },
        prices: { requestsPerMillion: '<img src=x onerror=alert(1)>', granularityMs: 0, billInit: 'yes', tax: 1 },
      });
    } catch (e) {
      error = e as ConfigError;
    }
    expect(error!.problems).toEqual([
      'workload: layouts.mono.concurrencyLimit must be an integer from 1 to 100000 (got 1.5)',
      'workload: layouts.mono.spareEnvironments must be an integer from 0 to 64 (got 65)',
      'workload: layouts.mono.maxEnvironmentsPerFunction must be an integer from 1 to 1000 (got 0)',
      'workload: layouts.mono.scaleOut must be "warm-first" or "lambda" (got "eager")',
      'workload: name must be a string (got 42)',
      'workload: prices.requestsPerMillion must be a non-negative number (got "<img src=x onerror=alert(1)>")',
      'workload: prices.granularityMs must be a positive number (got 0)',
      'workload: prices.billInit must be true or false (got "yes")',
      'workload: prices.tax is not a price (requestsPerMillion, gbSecond, billInit, granularityMs, source)',
    ]);
    expect(() => validateWorkload({ ...valid, layouts: null })).toThrow('layouts must be an object (got null)');
  });

  it('refuses an unknown arrival pattern and an empty operation list', () => {
    expect(() => validateWorkload({ ...valid, arrival: { pattern: 'poisson' } })).toThrow('arrival.pattern must be constant, bursts or ramp (got "poisson")');
    expect(() => validateWorkload({ ...valid, operations: [] })).toThrow('operations must be a non-empty array (got [])');
    expect(() => validateWorkload([])).toThrow('a workload must be a JSON object (got [])');
  });
});

describe('billedMs', () => {
  it('rounds up to the granularity, bills init when told to, at least one unit', () => {
    expect(billedMs(DEFAULT_PRICES, 2.1)).toBe(3);
    expect(billedMs(DEFAULT_PRICES, 0.01)).toBe(1);
    expect(billedMs(DEFAULT_PRICES, 2.1, 100.2)).toBe(103);
    expect(billedMs({ ...DEFAULT_PRICES, billInit: false }, 2.1, 100.2)).toBe(3);
    expect(billedMs({ ...DEFAULT_PRICES, granularityMs: 100 }, 101)).toBe(200);
  });
});
