import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PRICES, type ComparisonReport } from '../../runtime/compare/index.js';
import { tempDir } from '../support/temp-dir.js';
import { cliInProcess } from '../support/cli.js';

const root = resolve(import.meta.dirname, '../..');
const artifacts = resolve(root, 'test-artifacts');
const dir = tempDir('neolith-compare-test-');
const profile = tempDir('neolith-chromium-');
let report: ComparisonReport;
let table: string;
const html = join(dir.path, 'report.html');

/**
 * Requests a layout gets (10 a second for a second). Each layout starts cold, about one environment a
 * request: at 20, on a 2-core machine busy with another test file, nano's requests took 7–9 s each.
 */
const REQUESTS = 10;
/** Two operations that each make exactly one invocation, so invocations must equal requests. */
const workload = {
  name: 'accounting',
  operations: [
    { name: 'user', query: 'query U($id: ID!) { user(id: $id) { name } }', variables: [{ id: 'u1' }, { id: 'u2' }] },
    { name: 'post', query: 'query P($id: ID!) { post(id: $id) { title } }', variables: { id: 'p3' } },
  ],
  arrival: { pattern: 'constant', rate: REQUESTS },
  durationMs: 1000,
};

const cli = cliInProcess;

beforeAll(async () => {
  const file = join(dir.path, 'workload.json');
  writeFileSync(file, JSON.stringify(workload));
  const config = resolve(root, 'neolith.config.ts');
  const json = await cli('compare', '--workload', file, '--config', config, '--json', '--html', html);
  expect(json.stderr).toContain(`neolith compare: nano (1/3), ${REQUESTS} requests…`);
  expect(json.code, json.stderr + requestsPerLayout(json.stdout)).toBe(0);
  report = JSON.parse(json.stdout) as ComparisonReport;
  const text = await cli('compare', '--workload', file, '--config', config, '--layouts', 'mono', '--duration-ms', '300');
  expect(text.code, text.stderr + text.stdout.slice(0, 2000)).toBe(0);
  table = text.stdout;
}, 120_000);

/** Each layout's request counts, slowest request and first error: what a failed run needs to say. */
function requestsPerLayout(stdout: string): string {
  try {
    return (JSON.parse(stdout) as ComparisonReport).results
      .map((r) => `${r.layout}: ${JSON.stringify(r.requests)}, slowest ${Math.round(r.latencyMs.max)} ms`).join('\n');
  } catch {
    return stdout.slice(0, 2000);
  }
}

afterAll(() => {
  dir.remove();
  profile.remove();
});

describe('neolith compare', () => {
  it('runs every layout on a fresh host, each with all requests answered', () => {
    expect(report.results.map((r) => r.layout)).toEqual(['nano', 'micro', 'mono']);
    expect(report.workload).toMatchObject({ name: 'accounting', requests: REQUESTS });
    for (const r of report.results) expect(r.requests, r.layout).toEqual({ sent: REQUESTS, succeeded: REQUESTS, failed: 0 });
    const [nano, micro, mono] = report.results;
    expect(mono!.functions).toEqual(['app']);
    expect(nano!.functions.length).toBeGreaterThan(micro!.functions.length);
    expect(micro!.functions.length).toBeGreaterThan(1);
  });

  it('accounts for every invocation: totals match requests, cold starts match environments created', () => {
    for (const r of report.results) {
      expect(r.invocations, r.layout).toBe(REQUESTS);
      expect(r.coldStarts, r.layout).toBe(r.environmentsCreated);
      expect(r.coldStarts, r.layout).toBeGreaterThan(0);
      expect(r.warmHitRatio, r.layout).toBeCloseTo((r.invocations - r.coldStarts) / r.invocations, 12);
      expect(r.coldStartPct, r.layout).toBeCloseTo((100 * r.coldStarts) / r.invocations, 12);
      expect(r.timeline.at(-1), r.layout).toMatchObject({ invocations: REQUESTS, coldStarts: r.coldStarts });
      expect(r.latencies.filter((x) => x > 0), r.layout).toHaveLength(REQUESTS);
      expect(r.peakConcurrency, r.layout).toBeGreaterThanOrEqual(1);
    }
  });

  it('bills consistently: GB-seconds from billed duration and memory, cost from Lambda’s prices', () => {
    for (const r of report.results) {
      // Every function of the reference app has the default 128 MB.
      expect(r.gbSeconds, r.layout).toBeCloseTo((r.billedMs / 1000) * (128 / 1024), 9);
      expect(r.billedMs, r.layout).toBeGreaterThanOrEqual(r.invocations);
      expect(r.billedMs, r.layout).toBeGreaterThanOrEqual(r.totalInitMs);
      expect(r.cost.requests, r.layout).toBeCloseTo((REQUESTS / 1e6) * DEFAULT_PRICES.requestsPerMillion, 15);
      expect(r.cost.compute, r.layout).toBeCloseTo(r.gbSeconds * DEFAULT_PRICES.gbSecond, 15);
      expect(r.cost.total, r.layout).toBeCloseTo(r.cost.requests + r.cost.compute, 15);
      // The estimate is rate × mean run time, with the rate over the time requests were sent.
      expect(r.estimate.ratePerSecond, r.layout).toBeCloseTo(REQUESTS, 9);
      expect(r.estimate.concurrency, r.layout).toBeCloseTo((r.estimate.ratePerSecond * r.estimate.meanDurationMs) / 1000, 9);
    }
    expect(report.recommendation.at(-1)).toMatch(/^Recommendation for this API and this traffic: (nano|micro|mono) — /);
  });

  it('prints a table in the terminal', () => {
    expect(table).toContain('Workload accounting: 3 requests over 0.3 s (constant 10/s)');
    expect(table).toMatch(/^\| functions\s+\|\s+1 \|$/m);
    expect(table).toMatch(/^\| requests ok \/ sent\s+\|\s+3 \/ 3 \|$/m);
    expect(table).toContain('Prices: AWS Lambda on-demand');
  });

  it('writes a self-contained HTML report that renders in Chromium', async () => {
    const page = readFileSync(html, 'utf8');
    expect(page).not.toMatch(/<script|<link|src="http/);
    const browser = await chromium.launchPersistentContext(profile.path, {
      executablePath: '/usr/bin/chromium', headless: true, viewport: { width: 1280, height: 900 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const tab = browser.pages()[0] ?? (await browser.newPage());
      const errors: Error[] = [];
      tab.on('pageerror', (error) => errors.push(error));
      await tab.goto(`file://${html}`);
      expect(await tab.locator('figure svg').count()).toBe(4);
      expect(await tab.locator('figure polyline').count()).toBe(9); // 3 layouts × 3 line charts
      expect(await tab.locator('tbody tr').count()).toBeGreaterThan(15);
      expect(await tab.locator('.tile h3').allTextContents()).toEqual(['nano', 'micro', 'mono']);
      const box = await tab.locator('figure svg').first().boundingBox();
      expect(box!.width).toBeGreaterThan(300);
      mkdirSync(artifacts, { recursive: true });
      await tab.screenshot({ path: resolve(artifacts, 'compare.png'), fullPage: true });
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  });

  it('refuses misuse with a usage error', async () => {
    expect((await cli('compare', '--layouts', 'nano,pico')).stderr).toContain('--layouts must be distinct names from nano, micro, mono (got "nano,pico")');
    expect((await cli('compare', '--workload', join(dir.path, 'missing.json'))).stderr).toContain('no such file');
  });
});
