import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { ConfigError, TooManyRequestsError, createHost, type Host } from '../../runtime/index.js';
import { Gate } from '../support/gate.js';
import { tempDir } from '../support/temp-dir.js';

const jobsApp = resolve(import.meta.dirname, '../fixtures/jobs-app');
const handlers = resolve(import.meta.dirname, '../fixtures/handlers');
const dirs: Array<{ remove: () => void }> = [];
const hosts: Host[] = [];

async function start(options: Parameters<typeof createHost>[0]): Promise<Host> {
  const host = await createHost(options);
  hosts.push(host);
  return host;
}

function state(): string {
  const dir = tempDir();
  dirs.push(dir);
  return dir.path;
}

afterAll(async () => {
  await Promise.all(hosts.map((h) => h.close()));
  for (const dir of dirs) dir.remove();
});

describe('layouts', () => {
  it.each(['nano', 'micro', 'mono'] as const)('%s: the same job answers the same through its job address', async (layout) => {
    const host = await start({ config: join(jobsApp, 'neolith.config.json'), overrides: { layout, stateDir: state() } });
    const expected = { nano: 'posts-getPost', micro: 'posts', mono: 'app' }[layout];
    for (const address of ['posts/getPost', 'posts-getPost']) {
      const result = await host.invoke(address, { arguments: { id: '7' } });
      expect(JSON.parse(result.payload!)).toEqual({ id: '7', title: 'Post 7', servedBy: expected });
      expect(result.functionName).toBe(expected);
    }
    expect(JSON.parse((await host.invoke('users/getUser', { arguments: { id: 'u2' } })).payload!)).toEqual({ id: 'u2', name: 'Grace' });
    // The function holding posts/getPost takes its larger settings.
    expect(host.registry.get(expected)!.spec).toMatchObject({ memoryMB: 256, timeoutMs: 5000 });
  });

  it('micro and mono share warm environments between jobs of one function', async () => {
    const host = await start({ config: join(jobsApp, 'neolith.config.json'), overrides: { layout: 'mono', stateDir: state() } });
    const first = await host.invoke('users/getUser', { arguments: { id: 'u1' } });
    const second = await host.invoke('posts/getPost', { arguments: { id: '1' } });
    expect(first.initDurationMs).toBeDefined();
    expect(second.initDurationMs).toBeUndefined();
    expect(host.registry.get('app')!.pool.stats().created).toBe(1);
    // A function of several jobs called without one: Runtime.HandlerNotFound, with the runtime's log line.
    const unnamed = await host.invoke('app', { arguments: {} }, { logType: 'Tail' });
    expect(unnamed.error).toMatchObject({ errorType: 'Runtime.HandlerNotFound', errorMessage: expect.stringContaining('job (none named) is not in function app') });
    expect(Buffer.from(unnamed.logResult!, 'base64').toString('utf8'))
      .toMatch(new RegExp(`\\t${unnamed.requestId}\\tERROR\\tInvoke Error \\t\\{"errorType":"Runtime.HandlerNotFound","errorMessage":"job \\(none named\\) is not in function app`));
    // Each log entry names its job, so job-level read permissions can apply to it.
    expect(host.log.get(first.requestId)).toMatchObject({ functionName: 'app', job: 'users/getUser' });
    expect(host.log.get(second.requestId)).toMatchObject({ functionName: 'app', job: 'posts/getPost' });
  });

  it('a batch call runs a per-item job once per item inside one environment call', async () => {
    const host = await start({ config: join(jobsApp, 'neolith.config.json'), overrides: { layout: 'micro', stateDir: state() } });
    const runs: string[] = [];
    host.invoker.onOutcome((o) => runs.push(o.requestId));
    const result = await host.invoke('users/getUser', [{ arguments: { id: 'u1' } }, { arguments: { id: 'u2' } }, { arguments: { id: 'zz' } }], { batch: true });
    expect(JSON.parse(result.payload!)).toEqual([{ id: 'u1', name: 'Ada' }, { id: 'u2', name: 'Grace' }, null]);
    expect(runs).toHaveLength(1);
  });

  it('runs the items of a per-item batch side by side, so the batch takes one item\'s time, not their sum', async () => {
    const host = await start({ rootDir: handlers, config: { stateDir: state(), functions: { barrier: { handler: './barrier.mjs', timeoutMs: 2000 } } } });
    const items = [1, 2, 3].map((n) => ({ n, of: 3 }));
    const result = await host.invoke('barrier', items, { batch: true });
    expect(result.error).toBeUndefined();
    expect(JSON.parse(result.payload!)).toEqual([1, 2, 3]);
  });

  it('refuses createHost options it does not know, naming them, before touching any state', async () => {
    const misplaced = state();
    const error = await createHost({ stateDir: misplaced, rootDir: handlers } as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([expect.stringMatching(/^createHost options has no "stateDir" \(it takes config, rootDir, overrides, watch, metrics, logger; config settings such as stateDir go in `config`/)]);
    expect(await createHost(null as never).catch((e: unknown) => e)).toBeInstanceOf(ConfigError);
  });

  it('reports at start an async destination that is not a function of this layout or a topic of the config', async () => {
    const error = await createHost({
      rootDir: handlers,
      config: {
        stateDir: state(),
        topics: { alerts: {} },
        functions: {
          a: { handler: './echo.mjs', async: { onFailure: 'nope' } },
          b: { handler: './echo.mjs', async: { onSuccess: 'topic:t1' } },
          c: { handler: './echo.mjs', async: { onSuccess: 'topic:alerts', onFailure: 'a' } },
        },
      },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      'functions.a.async.onFailure must be "dlq", "topic:<name>" or a function of this layout (got "nope")',
      'functions.b.async.onSuccess must name a topic of this config\'s topics section (got "topic:t1")',
    ]);
  });

  it('warns at start of a function TZ it cannot apply (threads share the host\'s time zone), not of UTC', async () => {
    const lines: string[] = [];
    const host = await createHost({
      rootDir: handlers,
      config: {
        stateDir: state(),
        functions: { tokyo: { handler: './echo.mjs', environment: { TZ: 'Asia/Tokyo' } }, utc: { handler: './echo.mjs', environment: { TZ: ':UTC' } } },
      },
      logger: { level: 'warn', destination: { write: (line: string) => void lines.push(line) } },
    });
    await host.close();
    const warnings = lines.map((l) => JSON.parse(l) as { level: number; msg: string; function?: string }).filter((l) => l.level === 40);
    expect(warnings.map((w) => w.function)).toEqual(['tokyo']);
    expect(warnings[0]!.msg).toContain('functions.tokyo.environment.TZ is "Asia/Tokyo", but environments are threads of the host');
  });

  it('reports at start a job module without a handler export', async () => {
    const dir = state();
    cpSync(jobsApp, dir, { recursive: true });
    writeFileSync(join(dir, 'resolvers/users/broken.ts'), 'export const handle = async () => 1;\n');
    const error = await createHost({ config: join(dir, 'neolith.config.json'), overrides: { stateDir: join(dir, 's') } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([expect.stringMatching(/^function users must build: \S*resolvers\/users\/broken\.ts must export "handler"$/)]);
  });

  it('reports at start a plain handler module that does not export the handler', async () => {
    const error = await createHost({
      rootDir: handlers,
      config: { stateDir: state(), functions: { a: { handler: './echo.mjs#nothere' }, b: { handler: './legacy.cjs#nothere' }, c: { handler: './typed.ts#nothere' } } },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect([...(error as ConfigError).problems].sort()).toEqual([
      expect.stringMatching(/^functions\.a\.handler must name an exported function: .*echo\.mjs does not export "nothere" \(exports: handler\)$/),
      expect.stringMatching(/^functions\.b\.handler must name an exported function: .*legacy\.cjs does not export "nothere" \(exports: handler\)$/),
      expect.stringMatching(/^functions\.c\.handler must name an exported function: .*typed\.ts does not export "nothere" \(exports: handler\)$/),
    ]);
  });
});

describe('host-wide limits and idle recycling', () => {
  it('throttles over the host-wide concurrency limit with ConcurrentInvocationLimitExceeded', async () => {
    const gate = await new Gate().open();
    try {
      const host = await start({ rootDir: handlers, config: { stateDir: state(), concurrencyLimit: 1, functions: { a: { handler: './gated.mjs' }, b: { handler: './echo.mjs' } } } });
      const running = host.invoke('a', { gate: gate.url });
      await gate.arrived(1);
      await expect(host.invoke('b', {})).rejects.toMatchObject({ reason: 'ConcurrentInvocationLimitExceeded' });
      await expect(host.invoke('b', {})).rejects.toBeInstanceOf(TooManyRequestsError);
      gate.release();
      await running;
      expect((await host.invoke('b', {})).statusCode).toBe(200);
    } finally {
      await gate.close();
    }
  });

  it('recycles environments idle longer than idleTimeoutMs, keeping provisioned ones', async () => {
    const host = await start({ rootDir: handlers, config: { stateDir: state(), idleTimeoutMs: 100, functions: { a: { handler: './echo.mjs' }, p: { handler: './echo.mjs', provisionedConcurrency: 1 } } } });
    await host.invoke('a', {});
    await host.invoke('p', {});
    expect(host.registry.get('a')!.pool.stats().environments).toBe(1);
    await vi.waitFor(() => expect(host.registry.get('a')!.pool.stats().environments).toBe(0), { timeout: 3000 });
    expect(host.registry.get('p')!.pool.stats().environments).toBe(1);
    const again = await host.invoke('a', {});
    expect(again.initDurationMs).toBeDefined();
  });
});

describe('--watch', () => {
  it('recycles only the functions whose files changed; the rest stay warm', async () => {
    const dir = state();
    cpSync(jobsApp, dir, { recursive: true });
    const logged: string[] = [];
    const host = await start({
      config: join(dir, 'neolith.config.json'), overrides: { layout: 'micro', stateDir: join(dir, 's') }, watch: true,
      logger: { level: 'info', destination: { write: (line: string) => void logged.push(line) } },
    });
    await host.invoke('users/getUser', { arguments: { id: 'u1' } });
    await host.invoke('posts/getPost', { arguments: { id: '1' } });
    const rebuilt = host.watcher!.nextRebuild();
    const file = join(dir, 'resolvers/posts/getPost.ts');
    writeFileSync(file, readFileSync(file, 'utf8').replace('`Post ${', '`Edited ${'));
    expect(await rebuilt).toEqual(['posts']);
    // Said at the default level, so a user sees the edit was taken.
    expect(logged.map((line) => JSON.parse(line) as { level: number; msg: string; functions?: string[] }))
      .toContainEqual(expect.objectContaining({ level: 30, msg: '--watch: reloaded posts (their environments start afresh)', functions: ['posts'] }));
    const post = await host.invoke('posts/getPost', { arguments: { id: '1' } });
    expect(JSON.parse(post.payload!).title).toBe('Edited 1');
    expect(post.initDurationMs).toBeDefined();
    const user = await host.invoke('users/getUser', { arguments: { id: 'u1' } });
    expect(user.initDurationMs).toBeUndefined();
    // The CLI moves to the task root once the host is built: edits are still seen, one after another.
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      for (const word of ['Again', 'Once more']) {
        const next = host.watcher!.nextRebuild();
        writeFileSync(file, readFileSync(file, 'utf8').replace(/`[A-Za-z ]+ \$\{/, `\`${word} \${`));
        expect(await next).toEqual(['posts']);
        expect(JSON.parse((await host.invoke('posts/getPost', { arguments: { id: '1' } })).payload!).title).toBe(`${word} 1`);
      }
    } finally {
      process.chdir(cwd);
    }
  });
});

describe('close', () => {
  it('lets a running invocation finish, refuses new ones, and is idempotent', async () => {
    const gate = await new Gate().open();
    try {
      const host = await createHost({ rootDir: handlers, config: { stateDir: state(), functions: { g: { handler: './gated.mjs' } } } });
      const running = host.invoke('g', { gate: gate.url });
      await gate.arrived(1);
      const closing = host.close();
      await expect(host.invoke('g', { gate: gate.url })).rejects.toMatchObject({ code: 'ServiceException' });
      gate.release('finished');
      expect(JSON.parse((await running).payload!).released).toBe('finished');
      await closing;
      await host.close();
      expect(host.registry.get('g')!.pool.stats().environments).toBe(0);
    } finally {
      await gate.close();
    }
  });
});
