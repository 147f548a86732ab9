import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../runtime/errors/index.js';
import { resolveConfig } from '../../../runtime/config/index.js';

const fixtures = resolve(import.meta.dirname, '../../fixtures');
const jobsApp = join(fixtures, 'jobs-app');
const empty = mkdtempSync(join(tmpdir(), 'neolith-config-'));
afterAll(() => rmSync(empty, { recursive: true, force: true }));

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems as string[];
  }
  throw new Error('expected a ConfigError');
}

describe('resolveConfig', () => {
  it('fills defaults and resolves paths against the root', () => {
    const config = resolveConfig({}, empty);
    expect(config).toMatchObject({
      functions: [], layout: 'none', concurrencyLimit: 1000, port: 4000, host: '127.0.0.1', backend: 'sqlite',
      stateDir: join(empty, '.neolith'), payloadLimits: { syncRequestBytes: 6291456, asyncEventBytes: 1048576 },
    });
  });

  it('resolves a plain handler with Lambda defaults', () => {
    const config = resolveConfig({ functions: { echo: { handler: './handlers/echo.mjs' } } }, fixtures);
    expect(config.functions).toEqual([expect.objectContaining({
      name: 'echo', kind: 'handler', modulePath: join(fixtures, 'handlers/echo.mjs'), exportName: 'handler',
      memoryMB: 128, timeoutMs: 3000, ephemeralStorageMB: 512, provisionedConcurrency: 0,
      async: { maxRetries: 2, maxEventAgeSeconds: 21600, retryDelaysMs: [60000, 120000], onFailure: 'dlq' },
    })]);
  });

  it('marks a function whose config sets async (it has an EventInvokeConfig from the start)', () => {
    const config = resolveConfig({ functions: { a: { handler: './handlers/echo.mjs', async: { maxRetries: 0 } }, b: { handler: './handlers/echo.mjs' } } }, fixtures);
    expect(config.functions.find((f) => f.name === 'a')).toMatchObject({ asyncConfigured: true, async: { maxRetries: 0 } });
    expect(config.functions.find((f) => f.name === 'b')).not.toHaveProperty('asyncConfigured');
  });

  it('resolves a handler written as Lambda writes it (SAM\'s "module.export")', () => {
    const config = resolveConfig({ functions: { echo: { handler: 'handlers/echo.handler' } } }, fixtures);
    expect(config.functions[0]).toMatchObject({ modulePath: join(fixtures, 'handlers/echo.mjs'), exportName: 'handler', lambdaHandler: 'handlers/echo.handler' });
  });

  it('reports a handler file that does not exist, and a wrong extension', () => {
    expect(problemsOf(() => resolveConfig({ functions: { a: { handler: './nope.mjs' } } }, fixtures))).toEqual([
      'functions.a.handler must point at an existing module file ("path/module.mjs#export", or Lambda\'s "path/module.export") (got "./nope.mjs")',
    ]);
    expect(problemsOf(() => resolveConfig({ functions: { a: { handler: './jobs-app/neolith.config.json' } } }, fixtures))).toEqual([
      'functions.a.handler must name a .mjs, .cjs, .js or .ts module (got "./jobs-app/neolith.config.json")',
    ]);
  });

  it.each([
    ['nano', ['posts-getPost', 'users-getUser', 'users-listUsers']],
    ['micro', ['posts', 'users']],
    ['mono', ['app']],
  ] as const)('layout %s packages the jobs into %j', (layout, names) => {
    const config = resolveConfig({ jobs: { layout } }, jobsApp);
    expect(config.functions.map((f) => f.name).sort()).toEqual(names);
    expect(config.layout).toBe(layout);
    expect(Object.keys(config.jobToFunction).sort()).toEqual(['posts/getPost', 'users/getUser', 'users/listUsers']);
  });

  it('a command-line layout overrides the config', () => {
    const config = resolveConfig({ jobs: { layout: 'mono' } }, jobsApp, { layout: 'nano', port: 0 });
    expect(config.functions).toHaveLength(3);
    expect(config.port).toBe(0);
  });

  it('a function holding several jobs takes the most any of them needs', () => {
    const config = resolveConfig({
      jobs: { layout: 'mono', defaults: { memoryMB: 128 }, settings: { 'posts/getPost': { memoryMB: 512, timeoutMs: 9000 }, 'users/getUser': { reservedConcurrency: 2 }, 'users/listUsers': { reservedConcurrency: 3 } } },
    }, jobsApp);
    expect(config.functions[0]).toMatchObject({ name: 'app', memoryMB: 512, timeoutMs: 9000, reservedConcurrency: 5 });
  });

  it('refuses reserved concurrency that adds up to more than the host\'s concurrencyLimit', () => {
    const settings = { 'users/getUser': { reservedConcurrency: 2 }, 'users/listUsers': { reservedConcurrency: 3 } };
    expect(() => resolveConfig({ concurrencyLimit: 4, jobs: { layout: 'nano', settings } }, jobsApp)).toThrow(
      "concurrencyLimit must be at least the functions' reservedConcurrency together (5) (got 4)",
    );
    expect(resolveConfig({ concurrencyLimit: 5, jobs: { layout: 'nano', settings } }, jobsApp).concurrencyLimit).toBe(5);
  });

  it('checks provisioned against reserved concurrency again after merging defaults and jobs', () => {
    expect(() => resolveConfig({
      jobs: { layout: 'nano', defaults: { reservedConcurrency: 1 }, settings: { 'users/getUser': { provisionedConcurrency: 5 } } },
    }, jobsApp)).toThrow('functions.users-getUser.provisionedConcurrency must be at most its reservedConcurrency (1) (got 5)');
  });

  it('an explicit layout map places every job exactly once', () => {
    const config = resolveConfig({ jobs: { layout: { reads: ['users/*'], writes: ['posts/getPost'] } } }, jobsApp);
    expect(config.functions.map((f) => [f.name, Object.keys(f.jobs)])).toEqual([
      ['reads', ['users/getUser', 'users/listUsers']], ['writes', ['posts/getPost']],
    ]);
    expect(problemsOf(() => resolveConfig({ jobs: { layout: { a: ['users/*'], b: ['users/getUser', 'nope/x'] } } }, jobsApp))).toEqual([
      'jobs.layout.b must not claim a job already in function "a" (got "users/getUser")',
      'jobs.layout.b must name only existing jobs (got "nope/x")',
      'jobs.layout must place every job in a function (got "posts/getPost")',
    ]);
  });

  it('refuses a layout that would build a function name Lambda does not take, naming the jobs to rename', () => {
    const dir = mkdtempSync(join(empty, 'names-'));
    const long = `a${'x'.repeat(63)}`;
    for (const [folder, file] of [['my domain', 'getThing'], ['orders', long]] as const) {
      mkdirSync(join(dir, 'resolvers', folder), { recursive: true });
      writeFileSync(join(dir, 'resolvers', folder, `${file}.mjs`), 'export const handler = async () => 1;\n');
    }
    const rule = 'jobs.layout must build function names of 1–64 letters, digits, "-" or "_": rename the folder or file of';
    // In micro the folder alone makes the name; what names the job is not reported as naming nothing.
    const subscribed = { jobs: { layout: 'micro' as const }, topics: { t: { subscriptions: [{ function: 'my domain/getThing' }] } } };
    expect(problemsOf(() => resolveConfig(subscribed, dir))).toEqual([
      'jobs.layout must build function names of 1–64 letters, digits, "-" or "_": rename the folder of "my domain/getThing" (got "my domain")',
    ]);
    expect(problemsOf(() => resolveConfig({ jobs: { layout: 'nano' } }, dir))).toEqual([
      `${rule} "my domain/getThing" (got "my domain-getThing")`,
      `${rule} "orders/${long}" (got "orders-${long}")`,
    ]);
    expect(resolveConfig({ jobs: { layout: 'mono' } }, dir).functions.map((f) => f.name)).toEqual(['app']);
  });

  it('refuses a stream record too large to reach a function, base64 in a one-record event, under the sync payload limit', () => {
    // 6 MiB: (6,291,456 − 4,096 of event around the data) / 4 × 3.
    expect(problemsOf(() => resolveConfig({ streams: { big: { maxRecordBytes: 4_715_521 } } }, empty))).toEqual([
      'streams.big.maxRecordBytes must be at most 4715520, so that one record, base64 in its event, fits payloadLimits.syncRequestBytes (6291456) (got 4715521)',
    ]);
    expect(resolveConfig({ streams: { big: { maxRecordBytes: 4_715_520 } } }, empty).sources.streams.big!.maxRecordBytes).toBe(4_715_520);
    // The default record size (1 MiB) no longer fits a lowered invoke limit.
    expect(problemsOf(() => resolveConfig({ payloadLimits: { syncRequestBytes: 1_000_000 }, streams: { s: {} } }, empty))).toEqual([
      'streams.s.maxRecordBytes must be at most 746928, so that one record, base64 in its event, fits payloadLimits.syncRequestBytes (1000000) (got 1048576)',
    ]);
  });

  it('reports settings for jobs that do not exist and a missing jobs folder', () => {
    expect(problemsOf(() => resolveConfig({ jobs: { settings: { 'users/nope': {} } } }, jobsApp))).toEqual([
      'jobs.settings.users/nope must name an existing job (got "users/nope")',
    ]);
    expect(problemsOf(() => resolveConfig({ jobs: { dir: 'missing' } }, jobsApp))).toEqual([
      'jobs.dir must be an existing folder of <domain>/<job> modules (got "missing")',
    ]);
  });

  it('refuses a plain function that takes the name of a layout function or a job address', () => {
    const handler = '../handlers/echo.mjs';
    expect(problemsOf(() => resolveConfig({ jobs: { layout: 'micro' }, functions: { users: { handler } } }, jobsApp))).toEqual([
      'functions.users must not reuse the name of a function the micro layout builds from jobs (got "users")',
    ]);
    expect(problemsOf(() => resolveConfig({ jobs: { layout: 'micro' }, functions: { 'users-getUser': { handler } } }, jobsApp))).toEqual([
      'functions.users-getUser must not reuse the address of job "users/getUser" (got "users-getUser")',
    ]);
  });

  it('builds a function from a job folder named after one of Object\'s members (constructor, toString)', () => {
    const root = mkdtempSync(join(tmpdir(), 'neolith-proto-jobs-'));
    try {
      for (const folder of ['constructor', 'toString', 'users']) {
        mkdirSync(join(root, 'resolvers', folder), { recursive: true });
        writeFileSync(join(root, 'resolvers', folder, 'get.mjs'), 'export const handler = async () => 1;\n');
      }
      const resolved = resolveConfig({ jobs: { dir: 'resolvers', layout: 'micro' }, functions: {} }, root);
      expect(resolved.functions.map((f: { name: string }) => f.name).sort()).toEqual(['constructor', 'toString', 'users']);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
