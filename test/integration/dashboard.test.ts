import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { chromium, type BrowserContext, type Dialog, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHost, type Host } from '../../runtime/index.js';
import type { DashboardState } from '../../runtime/dashboard/index.js';
import { Gate } from '../support/gate.js';
import { tempDir } from '../support/temp-dir.js';

const handlers = resolve(import.meta.dirname, '../fixtures/handlers');
const artifacts = resolve(import.meta.dirname, '../../test-artifacts');
const state = tempDir();
const profile = tempDir('neolith-chromium-');
const gate = new Gate();
let host: Host;
let url: string;
let browser: BrowserContext;
let page: Page;
const pageErrors: Error[] = [];

beforeAll(async () => {
  await gate.open();
  host = await createHost({
    rootDir: handlers,
    logger: { level: 'silent' },
    config: {
      stateDir: state.path,
      functions: {
        echo: { handler: './echo.mjs', memoryMB: 256, timeoutMs: 5000 },
        throws: { handler: './faults.mjs#throws' },
        gated: { handler: './gated.mjs', reservedConcurrency: 4 },
        hostile: { handler: './hostile-log.mjs' },
      },
    },
  });
  ({ url } = await host.listen({ port: 0 }));
  browser = await chromium.launchPersistentContext(profile.path, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 900 },
  });
  page = browser.pages()[0] ?? (await browser.newPage());
  page.on('pageerror', (error) => pageErrors.push(error));
});

afterAll(async () => {
  gate.release('closing');
  await browser?.close();
  await host?.close();
  await gate.close();
  state.remove();
  profile.remove();
});

const cell = (fn: string, field: string) => `[data-function="${fn}"] [data-field="${field}"]`;

describe('dashboard over HTTP', () => {
  it('serves the page at /dashboard, and at / only to a browser', async () => {
    const page = await fetch(`${url}/dashboard`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await page.text()).toContain('<title>neolith dashboard</title>');
    const root = await fetch(`${url}/`, { headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
    expect(root.status).toBe(200);
    expect(await root.text()).toContain('<title>neolith dashboard</title>');
    expect((await fetch(`${url}/`, { headers: { accept: 'application/json' } })).status).toBe(404);
    expect((await fetch(`${url}/dashboard`, { method: 'POST' })).status).toBe(405);
  });

  it('has a script that parses (it lives in a template string, where escapes are easy to get wrong)', async () => {
    const html = await (await fetch(`${url}/dashboard`)).text();
    const script = /<script>([\s\S]*)<\/script>/.exec(html)![1]!;
    expect(() => new Function(script)).not.toThrow();
  });

  it('serves its data at /dashboard/state: functions with config, totals, queue, recent runs with log tails', async () => {
    const run = await host.invoke('throws', {});
    const state = (await (await fetch(`${url}/dashboard/state`)).json()) as DashboardState;
    expect(state.graphqlPath).toBe('/graphql');
    expect(state.queue).toEqual({ queued: 0, running: 0, oldestQueuedAgeMs: 0, deadLetters: 0 });
    expect(state.functions.map((f) => f.name)).toEqual(['echo', 'throws', 'gated', 'hostile']);
    expect(state.functions[0]!.config).toEqual({ kind: 'handler', jobs: [], memoryMB: 256, timeoutMs: 5000, provisionedConcurrency: 0 });
    expect(state.recent[0]).toMatchObject({ requestId: run.requestId, functionName: 'throws', errorType: 'ValidationError' });
    // The failure's own line, as Lambda's runtime writes it, between START and END.
    expect(state.recent[0]!.logTail).toMatch(/^START RequestId: .*\n.*\tERROR\tInvoke Error \t\{"errorType":"ValidationError".*\nEND RequestId: .*\nREPORT RequestId: /);
  });
});

describe('dashboard in Chromium', () => {
  it('loads, shows the functions, updates after an invocation, and is kept as a screenshot', async () => {
    await page.goto(`${url}/`);
    await page.waitForSelector(cell('echo', 'invocations'), { timeout: 5000 });
    expect(pageErrors).toEqual([]);
    expect(await page.textContent(cell('echo', 'invocations'))).toBe('0');
    expect(await page.textContent('[data-function="echo"] .config')).toBe('256 MB · 5 s timeout');
    expect(await page.getAttribute('#graphiql', 'href')).toBe('/graphql');

    const run = await host.invoke('echo', { from: 'the browser test' });
    await page.waitForFunction((selector) => document.querySelector(selector)?.textContent === '1', cell('echo', 'invocations'));
    expect(await page.textContent(cell('echo', 'coldStarts'))).toBe('1');
    const row = page.locator(`[data-request-id="${run.requestId}"]`);
    await row.waitFor();
    expect(await row.locator('pre').textContent()).toContain('echo {"from":"the browser test"}');

    // Some traffic for the picture: warm runs, one held run (a busy environment), an error.
    for (let i = 0; i < 5; i++) await host.invoke('echo', { i });
    const held = host.invoke('gated', { gate: gate.url });
    await gate.arrived(1);
    await page.waitForFunction((selector) => document.querySelector(selector)?.textContent === '6', cell('echo', 'invocations'));
    await page.waitForSelector('[data-function="gated"] .env.busy');
    await page.locator(`[data-request-id="${run.requestId}"] summary`).click();
    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: resolve(artifacts, 'dashboard.png'), fullPage: true });
    gate.release();
    await held;
    await page.waitForSelector('[data-function="gated"] .env.idle');
    expect(pageErrors).toEqual([]);
  });
});

describe('dashboard in Chromium, with hostile text from a function', () => {
  // Each printed by its own invocation: a row's log tail is the last 2 KB.
  const lines = {
    script: '<script>window.__pwned = "script"; alert("script")</script>',
    img: `<img src=x onerror="window.__pwned = 'img'; document.title = 'pwned'; alert('img')">`,
    svg: `<svg onload="alert('svg')"><a href="javascript:alert('a')">click</a></svg>`,
    // Tries to close the <pre> and the row it sits in, then open an element of its own.
    breakout: `</pre></details></td></tr><tr><td><iframe src="javascript:alert('iframe')"></iframe>`,
    control: 'ansi \x1b[31mred\x1b[0m \x1b]0;pwned\x07 \x1b[2J, nul \x00, del \x7f',
    surrogates: 'lone \ud800 high, lone \udc00 low, a pair \ud83d\ude00',
    long: `${'L'.repeat(100 * 1024)}<b>end</b>`,
  };
  const errorName = `<img src=x onerror="window.__pwned = 'errorType'; alert('errorType')">`;

  it('shows log lines and an error type as text, never as markup: no element, title, script or dialog from them', async () => {
    const dialogs: string[] = [];
    const onDialog = (dialog: Dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    };
    page.on('dialog', onDialog);
    try {
      const printed: Array<{ id: string; text: string }> = [];
      for (const text of Object.values(lines)) {
        const run = await host.invoke('hostile', { lines: [text] });
        expect(run.error).toBeUndefined();
        printed.push({ id: run.requestId, text });
      }
      const failed = await host.invoke('hostile', { errorName });
      expect(failed.error?.errorType).toBe(errorName);

      // The data the page draws from carries each line as it was printed (the long one's last 2 KB).
      const state = (await (await fetch(`${url}/dashboard/state`)).json()) as DashboardState;
      for (const { id, text } of printed) {
        const tail = state.recent.find((r) => r.requestId === id)!.logTail;
        expect(tail).toContain(text === lines.long ? text.slice(-1500) : `\tINFO\t${text}\n`);
      }
      expect(state.recent.find((r) => r.requestId === failed.requestId)!.errorType).toBe(errorName);

      await page.goto(`${url}/dashboard`);
      for (const { id } of [...printed, { id: failed.requestId }]) await page.waitForSelector(`[data-request-id="${id}"]`, { state: 'attached', timeout: 5000 });
      // Compared inside the page: lone surrogates and control characters cross as JSON escapes, both ways.
      const seen = JSON.parse(await page.evaluate(({ expectedJson, failedId }) => {
        const expected = JSON.parse(expectedJson) as Array<{ id: string; text: string }>;
        const rowOf = (id: string) => document.querySelector(`[data-request-id="${id}"]`)!;
        return JSON.stringify({
          title: document.title,
          pwned: (window as { __pwned?: unknown }).__pwned ?? null,
          scripts: document.scripts.length,
          injected: document.querySelectorAll('img, iframe, a:not(#graphiql), b, svg:not(#spark), object, embed').length,
          onAttributes: [...document.querySelectorAll('*')].flatMap((el) => [...el.attributes].filter((a) => a.name.startsWith('on')).map((a) => `${el.tagName} ${a.name}`)),
          rows: expected.map(({ id, text }) => {
            const pre = rowOf(id).querySelector('pre')!;
            return {
              preIsText: pre.children.length === 0,
              preHasLine: (pre.textContent ?? '').includes(text.length > 2000 ? text.slice(-1500) : text),
              preLength: (pre.textContent ?? '').length,
              summaryElements: [...rowOf(id).querySelectorAll('summary *')].map((el) => el.tagName),
            };
          }),
          errorBadge: rowOf(failedId).querySelector('.badge.err')?.textContent ?? null,
          errorBadgeIsText: rowOf(failedId).querySelector('.badge.err')?.children.length === 0,
        });
      }, { expectedJson: JSON.stringify(printed), failedId: failed.requestId })) as {
        title: string; pwned: unknown; scripts: number; injected: number; onAttributes: string[]; errorBadge: string | null; errorBadgeIsText: boolean;
        rows: Array<{ preIsText: boolean; preHasLine: boolean; preLength: number; summaryElements: string[] }>;
      };

      expect(seen).toMatchObject({ title: 'neolith dashboard', pwned: null, scripts: 1, injected: 0, onAttributes: [], errorBadge: errorName, errorBadgeIsText: true });
      seen.rows.forEach((row, i) => {
        const name = Object.keys(lines)[i];
        expect(row, name).toMatchObject({ preIsText: true, preHasLine: true, summaryElements: ['SPAN'] });
        // The 100 KB line is cut to the tail's 2 KB (and a leading "…"), not drawn whole.
        expect(row.preLength, name).toBeLessThanOrEqual(2049);
      });
      // The last printed line is what the row's summary shows, as text.
      expect(await page.locator(`[data-request-id="${printed[0]!.id}"] summary`).textContent()).toContain(lines.script);
      expect(dialogs).toEqual([]);
      expect(pageErrors).toEqual([]);
    } finally {
      page.off('dialog', onDialog);
    }
  });
});
