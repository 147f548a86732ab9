import { resolve } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHost, type Host } from '../../runtime/index.js';
import { tempDir } from '../support/temp-dir.js';
import app from '../../neolith.config.js';

/** GraphiQL as a browser gets it: the page the host renders and gzips once must load and talk to the endpoint. */
const root = resolve(import.meta.dirname, '../..');
const state = tempDir('neolith-graphiql-');
const profile = tempDir('neolith-chromium-');
let host: Host;
let url: string;
let browser: BrowserContext;

beforeAll(async () => {
  host = await createHost({
    config: { tables: app.tables, buckets: app.buckets, topics: app.topics, jobs: { dir: 'resolvers', layout: 'mono' } },
    rootDir: root,
    logger: { level: 'silent' },
    overrides: { stateDir: state.path },
  });
  ({ url } = await host.listen({ port: 0 }));
  browser = await chromium.launchPersistentContext(profile.path, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

afterAll(async () => {
  await browser?.close();
  await host?.close();
  state.remove();
  profile.remove();
});

describe('GraphiQL in a browser', () => {
  it('loads offline from the host, compressed, and introspects the schema through the gateway', async () => {
    const page = browser.pages()[0] ?? (await browser.newPage());
    const errors: Error[] = [];
    page.on('pageerror', (error) => errors.push(error));
    const introspected = page.waitForResponse((r) => r.url() === `${url}/graphql` && r.request().method() === 'POST');
    // Nothing outside the host is reachable here, so a page that needed a CDN would not load.
    const answer = await page.goto(`${url}/graphql`);
    expect(answer?.status()).toBe(200);
    expect((await answer!.allHeaders())['content-encoding']).toBe('gzip');
    const response = await introspected;
    expect(response.status()).toBe(200);
    const body = await response.json() as { data?: { __schema?: { queryType?: { name: string } } } };
    expect(body.data?.__schema?.queryType?.name).toBe('Query');
    await page.waitForSelector('.graphiql-container');
    expect(await page.title()).toBe('neolith');
    expect(errors).toEqual([]);
  }, 60_000);
});
