import type { ComparisonReport } from './compare-layouts.js';
import type { LayoutResult } from './layout-run.js';

const ms = (x: number) => (x >= 1000 ? `${(x / 1000).toFixed(2)} s` : x >= 10 ? `${x.toFixed(1)} ms` : `${x.toFixed(2)} ms`);
const usd = (x: number) => `$${x === 0 ? '0' : x < 0.01 ? x.toPrecision(3) : x.toFixed(4)}`;

/** The rows of the comparison: a label and how to show it for one layout. */
export const COMPARISON_ROWS: ReadonlyArray<[string, (r: LayoutResult) => string]> = [
  ['functions', (r) => String(r.functions.length)],
  ['requests ok / sent', (r) => `${r.requests.succeeded} / ${r.requests.sent}`],
  ['invocations', (r) => String(r.invocations)],
  ['cold starts (= environments created)', (r) => `${r.coldStarts} (${r.environmentsCreated})`],
  ['cold starts, % of invocations', (r) => `${r.coldStartPct.toFixed(1)} %`],
  ['warm-hit ratio', (r) => `${(100 * r.warmHitRatio).toFixed(1)} %`],
  ['client latency p50', (r) => ms(r.latencyMs.p50)],
  ['client latency p95', (r) => ms(r.latencyMs.p95)],
  ['client latency p99', (r) => ms(r.latencyMs.p99)],
  ['client latency max', (r) => ms(r.latencyMs.max)],
  ['throttles', (r) => String(r.throttles)],
  ['function errors', (r) => String(r.functionErrors)],
  ['peak concurrent executions', (r) => String(r.peakConcurrency)],
  ['estimate: rate × mean duration (init incl.)', (r) => `${r.estimate.ratePerSecond.toFixed(1)}/s × ${ms(r.estimate.meanDurationMs)} = ${r.estimate.concurrency.toFixed(2)}`],
  ['peak environments (memory)', (r) => `${r.peakEnvironments} (${r.peakEnvironmentMemoryMB} MB)`],
  ['total init time', (r) => ms(r.totalInitMs)],
  ['billed duration', (r) => ms(r.billedMs)],
  ['GB-seconds', (r) => r.gbSeconds.toFixed(4)],
  ['cost at Lambda prices', (r) => usd(r.cost.total)],
];

/** The comparison as a plain-text table (also valid Markdown), layouts as columns, then the recommendation. */
export function formatComparison(report: ComparisonReport): string {
  const header = ['', ...report.results.map((r) => r.layout)];
  const rows = COMPARISON_ROWS.map(([label, cell]) => [label, ...report.results.map(cell)]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  const w = report.workload;
  return [
    `Workload ${w.name}: ${w.requests} requests over ${(w.durationMs / 1000).toFixed(1)} s (${describeArrival(w.arrival)}), ` +
      `operations ${w.operations.map((o) => `${o.name}×${o.weight}`).join(', ')}`,
    '',
    line(header),
    `|${widths.map((n, i) => (i === 0 ? '-'.repeat(n + 2) : `${'-'.repeat(n + 1)}:`)).join('|')}|`,
    ...rows.map(line),
    '',
    ...report.recommendation.map((s) => `- ${s}`),
    '',
    `Prices: ${report.prices.source}; $${report.prices.requestsPerMillion} per 1M requests, $${report.prices.gbSecond} per GB-s` +
      `${report.prices.billInit ? ', init billed' : ''}.`,
  ].join('\n');
}

/** The arrival pattern in words. */
export function describeArrival(a: ComparisonReport['workload']['arrival']): string {
  if (a.pattern === 'constant') return `constant ${a.rate}/s`;
  if (a.pattern === 'bursts') return `bursts of ${a.rate}/s for ${a.burstMs} ms, idle ${a.idleMs} ms`;
  return `ramp ${a.from}/s → ${a.to}/s`;
}
