import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parsePrometheusText, sumSamples } from '../../../runtime/observe/index.js';

describe('parsePrometheusText', () => {
  it('reads back what prom-client writes, escaped label values included', async () => {
    const registry = new Registry();
    const counter = new Counter({ name: 'c_total', help: 'c', labelNames: ['fn', 'why'], registers: [registry] });
    counter.inc({ fn: 'a', why: 'quote " backslash \\ newline \n end' }, 3);
    counter.inc({ fn: 'b', why: 'x' }, 2);
    new Gauge({ name: 'g', help: 'g', registers: [registry] }).set(-1.5);
    new Histogram({ name: 'h_seconds', help: 'h', buckets: [0.1], registers: [registry] }).observe(0.05);
    const samples = parsePrometheusText(await registry.metrics());
    expect(samples).toContainEqual({ name: 'c_total', labels: { fn: 'a', why: 'quote " backslash \\ newline \n end' }, value: 3 });
    expect(samples).toContainEqual({ name: 'g', labels: {}, value: -1.5 });
    expect(samples).toContainEqual({ name: 'h_seconds_bucket', labels: { le: '+Inf' }, value: 1 });
    expect(sumSamples(samples, 'c_total')).toBe(5);
    expect(sumSamples(samples, 'c_total', { fn: 'b' })).toBe(2);
  });

  it('reads special values and timestamps, skips comments and malformed lines', () => {
    const samples = parsePrometheusText('# HELP x y\n\nx +Inf\ny{a="1"} NaN\nz 4 1700000000000\nnot a sample\nw{broken 1\n');
    expect(samples.map((s) => s.name)).toEqual(['x', 'y', 'z']);
    expect(samples[0]!.value).toBe(Infinity);
    expect(samples[1]!.value).toBeNaN();
    expect(samples[2]!.value).toBe(4);
  });
});
