import { existsSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { CompareLayout } from '../../compare/index.js';
import type { Command } from '../command.js';
import { decimalFlag, parseFlags } from '../parse-flags.js';
import { UsageError } from '../usage-error.js';

const DEFAULT_WORKLOAD = 'bench/workloads/reference.json';
const LAYOUTS = ['nano', 'micro', 'mono'];
/** The longest --duration-ms: a day per layout. */
const MAX_DURATION_MS = 86_400_000;

export const compareCommand: Command = {
  name: 'compare',
  summary: 'run one workload against the nano, micro and mono layouts and compare',
  help: `Usage: neolith compare [options]

Runs a workload (GraphQL operations with weights and an open-loop arrival
pattern) against each layout of the same app in turn — each on a fresh host
with identical limits, cold at the start — and reports per layout: cold
starts, warm-hit ratio, client latency, throttles, peak concurrency beside
the estimate (rate × mean duration), environments and memory, init time,
billed duration, GB-seconds and the cost at Lambda's prices; then a
recommendation that follows from those numbers.

Options:
  --workload FILE   workload JSON (default ${DEFAULT_WORKLOAD})
  --layouts LIST    comma-separated, from nano,micro,mono (default all three)
  --config FILE     the app's config (default: the workload's "config", else neolith.config.* here)
  --duration-ms N   send requests for N ms instead of the workload's durationMs
  --json            print the report as JSON instead of the table
  --html FILE       also write a self-contained HTML report with charts
  -h, --help        show this help`,
  async run(args) {
    const { values, positionals } = parseFlags(() => parseArgs({ args, strict: true, allowPositionals: true, options: {
      workload: { type: 'string' }, layouts: { type: 'string' }, config: { type: 'string' }, 'duration-ms': { type: 'string' },
      json: { type: 'boolean' }, html: { type: 'string' },
    } }));
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
    const file = values.workload ?? DEFAULT_WORKLOAD;
    if (!existsSync(file)) throw new UsageError(`--workload ${file}: no such file${values.workload ? '' : ' (run where the reference workload is, or give --workload FILE)'}`);
    const layouts = (values.layouts ?? LAYOUTS.join(',')).split(',').map((l) => l.trim());
    const bad = layouts.find((l) => !LAYOUTS.includes(l));
    if (bad !== undefined || layouts.length === 0 || new Set(layouts).size !== layouts.length) {
      throw new UsageError(`--layouts must be distinct names from nano, micro, mono (got ${JSON.stringify(values.layouts)})`);
    }
    // Loaded here, not at the top: it starts hosts, whose dependencies every other command would pay for.
    const { compareLayouts, formatComparison, loadWorkload, renderHtmlReport } = await import('../../compare/index.js');
    const workload = loadWorkload(file);
    if (values['duration-ms'] !== undefined) {
      workload.durationMs = decimalFlag('--duration-ms', values['duration-ms'], { max: MAX_DURATION_MS, positive: true });
    }
    const progress = progressReporter();
    const report = await compareLayouts(workload, {
      layouts: layouts as CompareLayout[],
      ...(values.config !== undefined && { config: values.config }),
      onProgress: progress.update,
    });
    progress.end();
    process.stdout.write(values.json ? `${JSON.stringify(report)}\n` : `${formatComparison(report)}\n`);
    if (values.html) {
      writeFileSync(values.html, renderHtmlReport(report));
      process.stderr.write(`neolith compare: HTML report written to ${resolve(values.html)}\n`);
    }
    return report.results.some((r) => r.requests.failed > 0) ? 1 : 0;
  },
};

/** A progress bar on a terminal; one line per layout otherwise (CI logs). */
function progressReporter() {
  const tty = process.stderr.isTTY === true;
  let current = '';
  let lastDrawn = 0;
  return {
    update: (event: { layout: string; index: number; of: number; done: number; total: number }) => {
      const label = `${event.layout} (${event.index + 1}/${event.of})`;
      if (!tty) {
        if (event.done === 0) process.stderr.write(`neolith compare: ${label}, ${event.total} requests…\n`);
        return;
      }
      const now = Date.now();
      if (label === current && event.done !== event.total && now - lastDrawn < 100) return;
      current = label;
      lastDrawn = now;
      const width = 30;
      const filled = event.total ? Math.round((width * event.done) / event.total) : 0;
      process.stderr.write(`\r${label.padEnd(14)} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${event.done}/${event.total}`);
      if (event.done === event.total) process.stderr.write('\n');
    },
    end: () => {
      if (tty) process.stderr.write('\r\x1b[K');
    },
  };
}
