import { parseArgs } from 'node:util';
import {
  estimateConcurrency, estimateFromMetrics, formatFigure, parsePrometheusText, type ConcurrencyEstimate, type MetricsEstimate,
  type PrometheusSample,
} from '../../observe/index.js';
import type { Command } from '../command.js';
import { HostRequestError } from '../host-request-error.js';
import { hostUrl } from '../host-client.js';
import { fetchHost } from '../host-stream.js';
import { decimalFlag, parseFlags } from '../parse-flags.js';
import { UsageError } from '../usage-error.js';

const FORMULA = 'concurrent executions = events per second × function duration (s)';
/** The longest --window-ms: an hour (a timer past 2^31 ms would fire at once). */
const MAX_WINDOW_MS = 3_600_000;

export const estimateCommand: Command = {
  name: 'estimate',
  summary: 'estimate concurrent executions: events per second × duration',
  help: `Usage: neolith estimate --rate N --duration-ms MS
       neolith estimate --url URL [--window-ms MS]

Estimates how many executions run at once (and so how many warm
environments a function needs), with the formula

  ${FORMULA}

Options:
  --rate N          events per second
  --duration-ms MS  mean function duration, ms
  --url URL         read a running host's /metrics instead: per function, the
                    observed rate and mean duration give the estimate, shown
                    beside the peak concurrency the host actually reached
  --window-ms MS    with --url: the rate is measured between two scrapes MS
                    apart, up to an hour; 0 = since the host started (default 5000)
  --json            print JSON
  -h, --help        show this help

Example:
  neolith estimate --rate 10 --duration-ms 3000     # → 30`,
  async run(args) {
    const { values, positionals } = parseFlags(() => parseArgs({ args, strict: true, allowPositionals: true, options: {
      rate: { type: 'string' }, 'duration-ms': { type: 'string' }, url: { type: 'string' }, 'window-ms': { type: 'string' },
      json: { type: 'boolean' },
    } }));
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
    const byRate = values.rate !== undefined || values['duration-ms'] !== undefined;
    if (byRate === (values.url !== undefined)) throw new UsageError('give either --rate and --duration-ms, or --url');

    if (values.url === undefined) {
      if (values['window-ms'] !== undefined) throw new UsageError('--window-ms goes with --url');
      if (values.rate === undefined) throw new UsageError('--rate is required');
      if (values['duration-ms'] === undefined) throw new UsageError('--duration-ms is required');
      const rate = decimalFlag('--rate', values.rate);
      const durationMs = decimalFlag('--duration-ms', values['duration-ms']);
      const estimate = estimateConcurrency(rate, durationMs);
      process.stdout.write(values.json ? `${JSON.stringify(estimate)}\n` : `${formatEstimate(estimate)}\n`);
      return 0;
    }

    const windowMs = values['window-ms'] === undefined ? 5000 : decimalFlag('--window-ms', values['window-ms'], { max: MAX_WINDOW_MS });
    const url = hostUrl(values.url);
    const before = windowMs > 0 ? await scrape(url) : undefined;
    const started = performance.now();
    if (before) await new Promise((resolve) => setTimeout(resolve, windowMs));
    const after = await scrape(url);
    // The time that actually passed between the scrapes, not the one asked for.
    const windowSeconds = (performance.now() - started) / 1000;
    const result = estimateFromMetrics(after, before ? { before, windowSeconds } : {});
    process.stdout.write(values.json ? `${JSON.stringify(result)}\n` : `${formatMetricsEstimate(url, result, windowMs > 0)}\n`);
    return 0;
  },
};

/** The formula, worked through, for a terminal. */
export function formatEstimate(estimate: ConcurrencyEstimate): string {
  const pad = ' '.repeat('concurrent executions '.length);
  const result = formatFigure(estimate.concurrency);
  const plan = Number.isInteger(estimate.concurrency) ? '' : `  (plan for ${estimate.plan})`;
  return [
    'concurrent executions = events per second × function duration (s)',
    `${pad}= ${formatFigure(estimate.ratePerSecond)} /s × ${formatFigure(estimate.durationMs / 1000)} s`,
    `${pad}= ${result}${plan}`,
  ].join('\n');
}

/** The per-function table of `estimate --url`. */
export function formatMetricsEstimate(url: string, result: MetricsEstimate, windowed: boolean): string {
  const window = windowed ? `the last ${formatFigure(result.windowSeconds)} s` : `the ${formatFigure(result.windowSeconds)} s since the host started`;
  const header = ['function', 'runs', 'rate /s', 'mean duration', 'estimate', 'plan', 'observed peak', 'reserved'];
  const rows = result.functions.map((f) => [
    f.functionName, String(f.invocations), formatFigure(f.ratePerSecond), `${formatFigure(f.meanDurationMs)} ms`,
    formatFigure(f.estimate.concurrency), String(f.estimate.plan), String(f.observedPeak),
    f.reservedConcurrency === undefined ? '–' : String(f.reservedConcurrency),
  ]);
  rows.push([
    'host (all)', String(result.functions.reduce((n, f) => n + f.invocations, 0)), formatFigure(result.host.ratePerSecond), '',
    formatFigure(result.host.concurrency), String(Math.ceil(result.host.concurrency)), String(result.host.observedPeak),
    `limit ${result.host.limit}`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [
    `${url} — rates over ${window}`,
    `estimate = rate × mean duration  (${FORMULA})`,
    '',
    line(header),
    ...rows.map(line),
  ].join('\n');
}

async function scrape(url: string): Promise<PrometheusSample[]> {
  const response = await fetchHost(url, '/metrics');
  const samples = parsePrometheusText(await response.text());
  if (!samples.some((s) => s.name === 'neolith_host_start_time_seconds')) throw new HostRequestError(`${url}/metrics has no neolith metrics; is it a neolith host?`);
  return samples;
}
