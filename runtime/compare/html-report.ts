import type { ComparisonReport } from './compare-layouts.js';
import { COMPARISON_ROWS, describeArrival } from './compare-table.js';

const COLORS: Record<string, string> = { nano: '#e4572e', micro: '#4f46e5', mono: '#17a398' };
const color = (layout: string) => COLORS[layout] ?? '#6b7385';

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

interface Series {
  name: string;
  points: Array<[number, number]>;
  /** Draw as steps (counts over time), not straight segments. */
  steps?: boolean;
}

interface ChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  xLog?: boolean;
  yMax?: number;
  yFormat?: (y: number) => string;
  /** The values are counts: whole-number ticks. */
  integer?: boolean;
}

const W = 560;
const H = 300;
const M = { left: 72, right: 16, top: 36, bottom: 44 };

/** Round tick values for a linear axis from 0 to at least `max` (the last tick is the axis' end). */
function ticks(max: number, count = 5, integer = false): number[] {
  if (!(max > 0)) return [0, 1];
  const step0 = integer ? Math.max(1, max / count) : max / count;
  const magnitude = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= step0 && (!integer || Number.isInteger(s)))!;
  const top = Math.ceil(max / step - 1e-9) * step;
  const out: number[] = [];
  for (let i = 0; i * step <= top * 1.0001; i++) out.push(Number((i * step).toPrecision(6)));
  return out;
}

const fmt = (v: number) => (Math.abs(v) >= 1000 ? `${Number((v / 1000).toPrecision(3))}k` : String(Number(v.toPrecision(3))));

/** A line chart as inline SVG: drawn here rather than by a chart library, so the report is one file with no script. */
function lineChart(series: Series[], options: ChartOptions): string {
  const all = series.flatMap((s) => s.points);
  const xs = all.map((p) => p[0]);
  const ys = all.map((p) => p[1]);
  const xMinRaw = options.xLog ? Math.max(Math.min(...xs), 0.01) : 0;
  const xMin = options.xLog ? 10 ** Math.floor(Math.log10(xMinRaw)) : 0;
  const xMaxRaw = Math.max(...xs, xMin * 10, 1e-9);
  const xMax = options.xLog ? 10 ** Math.ceil(Math.log10(xMaxRaw)) : (ticks(xMaxRaw).at(-1) ?? xMaxRaw);
  const yTicks = ticks(options.yMax ?? Math.max(...ys, 1), 5, options.integer);
  const yMax = options.yMax ?? yTicks.at(-1)!;
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const sx = (x: number) => M.left + (options.xLog
    ? ((Math.log10(Math.max(x, xMin)) - Math.log10(xMin)) / (Math.log10(xMax) - Math.log10(xMin))) * pw
    : (x / xMax) * pw);
  const sy = (y: number) => M.top + ph - (y / yMax) * ph;
  const xTicks = options.xLog
    ? Array.from({ length: Math.round(Math.log10(xMax / xMin)) + 1 }, (_, i) => xMin * 10 ** i)
    : ticks(xMax);
  const yFmt = options.yFormat ?? fmt;
  const grid = [
    ...yTicks.map((y) => `<line x1="${M.left}" x2="${W - M.right}" y1="${sy(y)}" y2="${sy(y)}" class="grid"/><text x="${M.left - 6}" y="${sy(y) + 4}" text-anchor="end">${yFmt(y)}</text>`),
    ...xTicks.map((x) => `<line x1="${sx(x)}" x2="${sx(x)}" y1="${M.top}" y2="${M.top + ph}" class="grid"/><text x="${sx(x)}" y="${M.top + ph + 16}" text-anchor="middle">${fmt(x)}</text>`),
  ].join('');
  const lines = series.map((s) => {
    const pts: string[] = [];
    s.points.forEach(([x, y], i) => {
      if (s.steps && i > 0) pts.push(`${sx(x).toFixed(1)},${sy(s.points[i - 1]![1]).toFixed(1)}`);
      pts.push(`${sx(x).toFixed(1)},${sy(y).toFixed(1)}`);
    });
    return `<polyline points="${pts.join(' ')}" fill="none" stroke="${color(s.name)}" stroke-width="2" stroke-linejoin="round"><title>${escape(s.name)}</title></polyline>`;
  }).join('');
  const legend = series.map((s, i) => `<g transform="translate(${M.left + 8 + i * 90},${M.top - 16})"><rect width="12" height="4" y="-4" fill="${color(s.name)}"/><text x="16" y="0">${escape(s.name)}</text></g>`).join('');
  return `<figure><figcaption>${escape(options.title)}</figcaption><svg viewBox="0 0 ${W} ${H}" role="img" aria-label="${escape(options.title)}">` +
    `${grid}<line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${M.top + ph}" class="axis"/><line x1="${M.left}" x2="${W - M.right}" y1="${M.top + ph}" y2="${M.top + ph}" class="axis"/>` +
    `${lines}${legend}<text x="${M.left + pw / 2}" y="${H - 6}" text-anchor="middle" class="label">${escape(options.xLabel)}</text>` +
    `<text transform="translate(14,${M.top + ph / 2}) rotate(-90)" text-anchor="middle" class="label">${escape(options.yLabel)}</text></svg></figure>`;
}

/** Vertical bars, one per layout, with their value on top. */
function barChart(bars: Array<{ name: string; value: number; label: string }>, options: { title: string; yLabel: string; yFormat: (y: number) => string }): string {
  const yTicks = ticks(Math.max(...bars.map((b) => b.value), 1e-12));
  const yMax = yTicks.at(-1)!;
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const sy = (y: number) => M.top + ph - (y / yMax) * ph;
  const slot = pw / bars.length;
  const grid = yTicks.map((y) => `<line x1="${M.left}" x2="${W - M.right}" y1="${sy(y)}" y2="${sy(y)}" class="grid"/><text x="${M.left - 6}" y="${sy(y) + 4}" text-anchor="end">${options.yFormat(y)}</text>`).join('');
  const rects = bars.map((b, i) => {
    const x = M.left + i * slot + slot * 0.2;
    return `<rect x="${x}" y="${sy(b.value)}" width="${slot * 0.6}" height="${M.top + ph - sy(b.value)}" fill="${color(b.name)}" rx="3"><title>${escape(`${b.name}: ${b.label}`)}</title></rect>` +
      `<text x="${x + slot * 0.3}" y="${sy(b.value) - 6}" text-anchor="middle">${escape(b.label)}</text>` +
      `<text x="${x + slot * 0.3}" y="${M.top + ph + 16}" text-anchor="middle" class="label">${escape(b.name)}</text>`;
  }).join('');
  return `<figure><figcaption>${escape(options.title)}</figcaption><svg viewBox="0 0 ${W} ${H}" role="img" aria-label="${escape(options.title)}">` +
    `${grid}<line x1="${M.left}" x2="${W - M.right}" y1="${M.top + ph}" y2="${M.top + ph}" class="axis"/>${rects}` +
    `<text transform="translate(14,${M.top + ph / 2}) rotate(-90)" text-anchor="middle" class="label">${escape(options.yLabel)}</text></svg></figure>`;
}

/** Cumulative distribution of latencies: [ms, % of requests at or under it]. */
function cdf(latencies: readonly number[]): Array<[number, number]> {
  const sorted = [...latencies].sort((a, b) => a - b);
  const n = sorted.length;
  const step = Math.max(1, Math.floor(n / 200));
  const points: Array<[number, number]> = [];
  for (let i = 0; i < n; i += step) points.push([sorted[i]!, (100 * (i + 1)) / n]);
  if (n > 0) points.push([sorted[n - 1]!, 100]);
  return points;
}

/** The report as one self-contained HTML file: summary, charts, the full table, the recommendation. */
export function renderHtmlReport(report: ComparisonReport): string {
  const { results, workload } = report;
  const latency = lineChart(results.map((r) => ({ name: r.layout, points: cdf(r.latencies) })), {
    title: 'Client latency distribution', xLabel: 'latency, ms (log scale)', yLabel: '% of requests at or under', xLog: true, yMax: 100,
    yFormat: (y) => `${y}%`,
  });
  const environments = lineChart(results.map((r) => ({ name: r.layout, steps: true, points: r.timeline.map((p) => [p.tMs / 1000, p.environments] as [number, number]) })), {
    title: 'Warm environments over time', xLabel: 'time, s', yLabel: 'environments', integer: true,
  });
  const coldStarts = lineChart(results.map((r) => ({ name: r.layout, steps: true, points: r.timeline.map((p) => [p.tMs / 1000, p.coldStarts] as [number, number]) })), {
    title: 'Cold starts so far', xLabel: 'time, s', yLabel: 'cold starts', integer: true,
  });
  const cost = barChart(results.map((r) => ({ name: r.layout, value: r.cost.total, label: `$${r.cost.total.toPrecision(3)} · ${r.gbSeconds.toFixed(3)} GB-s` })), {
    title: 'Cost of this workload at Lambda prices', yLabel: 'USD', yFormat: (y) => (y === 0 ? '$0' : `$${y.toExponential(1)}`),
  });
  const table = `<table><thead><tr><th></th>${results.map((r) => `<th style="color:${color(r.layout)}">${escape(r.layout)}</th>`).join('')}</tr></thead><tbody>` +
    COMPARISON_ROWS.map(([label, cell]) => `<tr><th>${escape(label)}</th>${results.map((r) => `<td>${escape(cell(r))}</td>`).join('')}</tr>`).join('') +
    '</tbody></table>';
  const tiles = results.map((r) => `<div class="tile" style="border-top-color:${color(r.layout)}"><h3>${escape(r.layout)}</h3>` +
    `<div><b>${r.functions.length}</b> functions · <b>${r.coldStarts}</b> cold starts (${r.coldStartPct.toFixed(1)} %)</div>` +
    `<div>p95 <b>${r.latencyMs.p95.toFixed(1)} ms</b> · peak <b>${r.peakEnvironments}</b> environments</div>` +
    `<div>cost <b>$${r.cost.total.toPrecision(3)}</b></div></div>`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>neolith compare — ${escape(workload.name)}</title>
<style>
  body { margin:0; font:14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color:#1d2330; background:#f6f7f9; }
  header { background:#111827; color:#fff; padding:18px 28px; } header h1 { margin:0; font-size:20px; } header p { margin:4px 0 0; color:#aab2c5; }
  main { max-width:1200px; margin:0 auto; padding:20px 28px 40px; }
  .tiles { display:grid; grid-template-columns:repeat(auto-fit,minmax(220px,1fr)); gap:12px; }
  .tile { background:#fff; border:1px solid #e3e6ec; border-top:4px solid; border-radius:8px; padding:10px 14px; } .tile h3 { margin:0 0 4px; }
  .recommendation { background:#fff; border:1px solid #e3e6ec; border-radius:8px; padding:8px 20px; margin:16px 0; }
  .charts { display:grid; grid-template-columns:repeat(auto-fit,minmax(480px,1fr)); gap:16px; }
  figure { margin:0; background:#fff; border:1px solid #e3e6ec; border-radius:8px; padding:10px; }
  figcaption { font-weight:600; margin:0 0 4px 6px; }
  svg { width:100%; height:auto; font-size:11px; fill:#4b5263; }
  svg .grid { stroke:#eef0f4; } svg .axis { stroke:#9aa3b5; } svg .label { fill:#6b7385; font-size:12px; }
  table { width:100%; border-collapse:collapse; background:#fff; border:1px solid #e3e6ec; border-radius:8px; margin-top:16px; }
  th, td { padding:6px 12px; border-bottom:1px solid #eef0f4; text-align:right; font-variant-numeric:tabular-nums; }
  tbody th { text-align:left; font-weight:500; color:#4b5263; } thead th { font-size:15px; }
  footer { color:#6b7385; font-size:12px; margin-top:16px; }
</style></head>
<body>
<header><h1>neolith compare — ${escape(workload.name)}</h1>
<p>${escape(workload.description ?? '')} ${workload.requests} requests over ${(workload.durationMs / 1000).toFixed(1)} s, ${escape(describeArrival(workload.arrival))}; ${escape(report.startedAt)}</p></header>
<main>
<div class="tiles">${tiles}</div>
<div class="recommendation"><ul>${report.recommendation.map((s) => `<li>${escape(s)}</li>`).join('')}</ul></div>
<div class="charts">${latency}${environments}${coldStarts}${cost}</div>
${table}
<footer>Prices: ${escape(report.prices.source)} — $${escape(String(report.prices.requestsPerMillion))} per 1M requests, $${escape(String(report.prices.gbSecond))} per GB-second${report.prices.billInit ? ', init phase billed' : ''}. Config: ${escape(report.config)}. Operations: ${escape(workload.operations.map((o) => `${o.name}×${o.weight}`).join(', '))}.</footer>
</main></body></html>
`;
}
