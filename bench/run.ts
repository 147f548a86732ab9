/**
 * `npm run bench`: runs every `bench/*.ts` module that exports
 * `run(): Promise<Row[]>` and prints its table. A module may also export
 * `title` (the table's heading). Name modules on the command line to run only
 * those: `node --import tsx bench/run.ts runtime-invoke graphql`.
 *
 * The benchmarks measure the built package (`dist/`), what `npm start` runs,
 * not the TypeScript sources through tsx (its transform adds work on hot paths,
 * ~3 % on the Event path): `npm run bench` builds first; build before running
 * a module by hand (`npx tsc -p tsconfig.build.json`).
 */
import { readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** One line of a benchmark table: neolith's figure beside a baseline measured in the same run. */
export interface Row {
  /** What was measured, e.g. `warm invoke p50 (sequential)`. */
  name: string;
  /** neolith's figure. */
  value: number;
  /** Unit of `value` and `baseline`: `µs`, `ms`, `req/s`, `MB`, … */
  unit: string;
  /** The same measure on the baseline (bare transport, bare server…), same run. */
  baseline?: number;
  /** What the baseline is, when it differs from the module's default. */
  baselineName?: string;
  /** The goal in words, e.g. `≤ 1.2× bare`. */
  goal?: string;
  /** Whether the goal is met (absent: no goal for this row). */
  pass?: boolean;
  /** Anything a reader needs to read the figure right. */
  note?: string;
}

/** What a benchmark module exports. */
export interface BenchModule {
  /** Measures and returns the table's rows (`Row`s; other row shapes are printed as they are). */
  run(): Promise<readonly unknown[]>;
  /** Heading of the table. @defaultValue the file name */
  title?: string;
  /** What the baseline column is. */
  baseline?: string;
}

/** Formats a number for a table: 3 significant digits, thousands grouped. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs >= 1000) return Math.round(value).toLocaleString('en-US');
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

/** Renders rows as a plain-text table (also valid Markdown). */
export function formatTable(title: string, rows: readonly Row[], baselineLabel = 'baseline'): string {
  const header = ['measure', 'neolith', baselineLabel, 'ratio', 'goal', 'ok', 'note'];
  const lines = rows.map((row) => [
    row.name,
    `${formatNumber(row.value)} ${row.unit}`,
    row.baseline === undefined ? '' : `${formatNumber(row.baseline)} ${row.unit}${row.baselineName ? ` (${row.baselineName})` : ''}`,
    row.baseline === undefined || row.baseline === 0 ? '' : `${(row.value / row.baseline).toFixed(2)}×`,
    row.goal ?? '',
    row.pass === undefined ? '' : row.pass ? 'yes' : 'NO',
    row.note ?? '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const render = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [
    `### ${title}`,
    '',
    render(header),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...lines.map(render),
    '',
  ].join('\n');
}

/**
 * Renders rows of any other shape (a module with a row type of its own): one
 * column per key, in order of first appearance.
 */
export function formatGenericTable(title: string, rows: readonly object[]): string {
  const header: string[] = [];
  for (const row of rows) for (const key of Object.keys(row)) if (!header.includes(key)) header.push(key);
  const cell = (value: unknown): string =>
    value === undefined ? '' : typeof value === 'number' ? formatNumber(value) : typeof value === 'string' ? value : JSON.stringify(value);
  const lines = rows.map((row) => header.map((key) => cell((row as Record<string, unknown>)[key])));
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const render = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [`### ${title}`, '', render(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...lines.map(render), ''].join('\n');
}

const isRow = (row: unknown): row is Row =>
  typeof row === 'object' && row !== null && typeof (row as Row).name === 'string' && typeof (row as Row).value === 'number';

/** Prints a module's table (`Row`s with baseline and ratio columns; any other row shape as is). */
export function printTable(title: string, rows: readonly unknown[], baselineLabel?: string): void {
  if (rows.every(isRow)) console.log(formatTable(title, rows, baselineLabel));
  else console.log(formatGenericTable(title, rows.filter((row): row is object => typeof row === 'object' && row !== null)));
}

/** Runs one module standalone: the `import.meta.url === argv[1]` branch of each bench file. */
export async function runStandalone(mod: BenchModule, fallbackTitle: string): Promise<void> {
  try {
    printTable(mod.title ?? fallbackTitle, await mod.run(), mod.baseline);
  } catch (error) {
    console.error(error);
    process.exitCode = 1;
  }
}

async function main(): Promise<void> {
  const here = dirname(fileURLToPath(import.meta.url));
  const wanted = process.argv.slice(2).map((name) => name.replace(/\.ts$/, ''));
  const files = readdirSync(here)
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts') && file !== basename(fileURLToPath(import.meta.url)))
    .filter((file) => wanted.length === 0 || wanted.includes(file.replace(/\.ts$/, '')))
    .sort();
  let failed = 0;
  let ran = 0;
  for (const file of files) {
    let mod: Partial<BenchModule>;
    try {
      mod = (await import(pathToFileURL(join(here, file)).href)) as Partial<BenchModule>;
    } catch (error) {
      console.error(`bench/${file}: could not be loaded, skipped: ${(error as Error).message}`);
      failed++;
      continue;
    }
    // Helpers and half-written modules export no run(): not a benchmark.
    if (typeof mod.run !== 'function') continue;
    const started = performance.now();
    try {
      const rows = await mod.run();
      if (!Array.isArray(rows)) throw new Error('run() must resolve with an array of rows');
      printTable(mod.title ?? file, rows, mod.baseline);
      console.log(`(bench/${file}: ${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
      ran++;
    } catch (error) {
      console.error(`bench/${file} failed:`, error);
      failed++;
    }
  }
  for (const name of wanted) {
    if (!files.some((file) => file === `${name}.ts`)) console.error(`bench/${name}.ts: no such benchmark`);
  }
  console.log(`${ran} benchmark(s) ran, ${failed} failed.`);
  if (failed > 0) process.exitCode = 1;
}

// No top-level await: bench modules import this file for `Row` and `printTable`, and a module
// still evaluating would make their dynamic import wait on itself.
if (import.meta.url === pathToFileURL(process.argv[1]!).href) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
