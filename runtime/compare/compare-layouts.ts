import { dirname, resolve } from 'node:path';
import { findConfigFile, loadConfigFile } from '../config/index.js';
import { ConfigError } from '../errors/index.js';
import { activeMs, planRequests } from './arrival-schedule.js';
import { runLayout, type CompareLayout, type LayoutResult } from './layout-run.js';
import { DEFAULT_PRICES, type PriceTable } from './price-table.js';
import { recommend } from './recommend.js';
import type { LoadedWorkload } from './workload.js';

/** Options of {@link compareLayouts}. */
export interface CompareOptions {
  /** @defaultValue ["nano", "micro", "mono"] */
  layouts?: CompareLayout[];
  /** Config file of the app; over the workload's `config`. @defaultValue the workload's, else neolith.config.* in `cwd` */
  config?: string;
  /** @defaultValue process.cwd() */
  cwd?: string;
  /** Told when a layout starts and as its requests answer. */
  onProgress?: (event: { layout: CompareLayout; index: number; of: number; done: number; total: number }) => void;
}

/** Everything `compare` measured, ready for the table, JSON and the HTML report. */
export interface ComparisonReport {
  workload: { name: string; description?: string; file?: string; arrival: LoadedWorkload['arrival']; durationMs: number; requests: number; operations: Array<{ name: string; weight: number }> };
  config: string;
  prices: PriceTable;
  startedAt: string;
  results: LayoutResult[];
  /** Sentences that follow from the numbers. */
  recommendation: string[];
}

/**
 * Runs one workload against each layout in turn, each on a fresh host with
 * identical limits, and reports what each did.
 */
export async function compareLayouts(workload: LoadedWorkload, options: CompareOptions = {}): Promise<ComparisonReport> {
  const layouts = options.layouts ?? ['nano', 'micro', 'mono'];
  const cwd = options.cwd ?? process.cwd();
  const configFile = options.config ? resolve(cwd, options.config) : workload.config ?? findConfigFile(cwd);
  if (!configFile) throw new ConfigError([`compare needs the app's config: give --config FILE, set "config" in the workload, or run where a neolith.config.* is (looked in ${cwd})`]);
  const raw = await loadConfigFile(configFile);
  if (typeof raw !== 'object' || raw === null) throw new ConfigError([`${configFile} must export a config object`]);
  const prices: PriceTable = { ...DEFAULT_PRICES, ...workload.prices };
  const plan = planRequests(workload.operations, workload.arrival, workload.durationMs, workload.seed ?? 1);
  const active = activeMs(workload.arrival, workload.durationMs);
  const startedAt = new Date().toISOString();
  const results: LayoutResult[] = [];
  for (const [index, layout] of layouts.entries()) {
    options.onProgress?.({ layout, index, of: layouts.length, done: 0, total: plan.length });
    results.push(await runLayout({
      layout,
      config: { raw: raw as Record<string, unknown>, rootDir: dirname(configFile) },
      overrides: { ...workload.host, ...workload.layouts?.[layout] },
      plan,
      activeMs: active,
      prices,
      onProgress: (done, total) => options.onProgress?.({ layout, index, of: layouts.length, done, total }),
    }));
  }
  return {
    workload: {
      name: workload.name,
      ...(workload.description !== undefined && { description: workload.description }),
      ...(workload.file !== undefined && { file: workload.file }),
      arrival: workload.arrival,
      durationMs: workload.durationMs,
      requests: plan.length,
      operations: workload.operations.map((op) => ({ name: op.name, weight: op.weight ?? 1 })),
    },
    config: configFile,
    prices,
    startedAt,
    results,
    recommendation: recommend(results),
  };
}
