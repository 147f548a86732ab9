import { existsSync, readdirSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AbortedError, TooManyRequestsError, createHost, type Host } from '../../runtime/index.js';
import { Gate } from '../support/gate.js';
import { tempDir } from '../support/temp-dir.js';

const handlers = resolve(import.meta.dirname, '../fixtures/handlers');
const state = tempDir();
const gate = new Gate();
let host: Host;

const json = (payload: string | undefined) => JSON.parse(payload!) as Record<string, unknown>;

beforeAll(async () => {
  await gate.open();
  process.env.HOST_ONLY_SECRET = 'must-not-leak';
  host = await createHost({
    rootDir: handlers,
    config: {
      stateDir: state.path,
      spareEnvironments: 1,
      functions: {
        echo: { handler: './echo.mjs' },
        echo2: { handler: './echo.mjs', memoryMB: 256 },
        lambdaStyle: { handler: 'legacy.handler' },
        throws: { handler: './faults.mjs#throws' },
        rejects: { handler: './faults.mjs#rejects' },
        exits: { handler: './faults.mjs#exits' },
        floatingRejection: { handler: './faults.mjs#floatingRejection' },
        rejectsAfterAnswer: { handler: './faults.mjs#rejectsAfterAnswer' },
        throwsInTickAfterAnswer: { handler: './faults.mjs#throwsInTickAfterAnswer' },
        logsInTickAfterAnswer: { handler: './faults.mjs#logsInTickAfterAnswer' },
        hearsRejections: { handler: './hears-rejections.mjs' },
        rejectsLater: { handler: './answer-paths.mjs#rejectsLater' },
        entersDomain: { handler: './answer-paths.mjs#entersDomain' },
        replacesEmit: { handler: './answer-paths.mjs#replacesEmit' },
        backgroundThrow: { handler: './faults.mjs#backgroundThrow' },
        hostileRejection: { handler: './faults.mjs#hostileRejection' },
        backgroundThrowString: { handler: './faults.mjs#backgroundThrowString' },
        listensUncaught: { handler: './listens-uncaught.mjs' },
        listensUncaughtInit: { handler: './listens-uncaught-init.mjs', environment: { MARK_FILE: join(state.path, 'handler-ran') } },
        backgroundThrowUndefined: { handler: './faults.mjs#backgroundThrowUndefined' },
        spins: { handler: './faults.mjs#spins', timeoutMs: 300 },
        hogs: { handler: './faults.mjs#hogs', timeoutMs: 30_000 },
        // Filling 200 MB takes seconds on a loaded 2-core machine: the test is about memory, not time.
        buffers: { handler: './faults.mjs#buffers', memoryMB: 128, timeoutMs: 30_000 },
        slowInit: { handler: './slow-init.mjs', timeoutMs: 500 },
        chatty: { handler: './faults.mjs#chatty' },
        removesTmp: { handler: './faults.mjs#removesTmp' },
        returnsFunction: { handler: './faults.mjs#returnsFunction' },
        huge: { handler: './faults.mjs#huge' },
        notJson: { handler: './faults.mjs#notJson' },
        fillsTmp: { handler: './faults.mjs#fillsTmp' },
        callback: { handler: './faults.mjs#callback' },
        callbackError: { handler: './faults.mjs#callbackError' },
        initCrash: { handler: './init-crash.mjs' },
        initMissingRequire: { handler: './init-missing-require.cjs' },
        initMissingImport: { handler: './init-missing-import.mjs' },
        initBadJson: { handler: './init-bad-json.mjs' },
        notAFunction: { handler: 'not-a-function.handler' },
        nestedMissing: { handler: 'not-a-function.nested.fn' },
        cjs: { handler: './legacy.cjs' },
        typed: { handler: './typed.ts' },
        tmp: { handler: './tmp.mjs' },
        keepalive: { handler: './keepalive.mjs' },
        envA: { handler: './env.mjs', environment: { ONLY_A: 'a' } },
        envB: { handler: './env.mjs', environment: { ONLY_B: 'b' } },
        gated: { handler: './gated.mjs', reservedConcurrency: 1, timeoutMs: 10_000 },
        gatedFree: { handler: './gated.mjs', timeoutMs: 10_000 },
        provisioned: { handler: './echo.mjs', provisionedConcurrency: 2 },
        provisionedEnv: { handler: './env.mjs', provisionedConcurrency: 1 },
        strict: { handler: './echo.mjs', inputSchema: { type: 'object', required: ['name'] } },
        marksInfo: { handler: './marks-info.mjs' },
        unnamedSubclass: { handler: './error-shapes.mjs#unnamedSubclass' },
        withFields: { handler: './error-shapes.mjs#withFields' },
        throwsString: { handler: './error-shapes.mjs#throwsString' },
        throwsObject: { handler: './error-shapes.mjs#throwsObject' },
        callbackString: { handler: './error-shapes.mjs#callbackString' },
        throwsUndefined: { handler: './error-shapes.mjs#throwsUndefined' },
        rejectsNull: { handler: './error-shapes.mjs#rejectsNull' },
        throwsDuck: { handler: './error-shapes.mjs#throwsDuck' },
        callbackZero: { handler: './error-shapes.mjs#callbackZero' },
        callbackEmpty: { handler: './error-shapes.mjs#callbackEmpty' },
        sleepsPastTimeout: { handler: './slow.mjs', timeoutMs: 200 },
      },
    },
  });
});

afterAll(async () => {
  delete process.env.HOST_ONLY_SECRET;
  await host?.close();
  await gate.close();
  state.remove();
});

describe('warm environments', () => {
  it('runs init once and reuses the environment while warm', async () => {
    const first = await host.invoke('echo', { n: 1 });
    const second = await host.invoke('echo', { n: 2 });
    expect(first.statusCode).toBe(200);
    expect(first.initDurationMs).toBeGreaterThan(0);
    expect(second.initDurationMs).toBeUndefined();
    const a = json(first.payload);
    const b = json(second.payload);
    expect(a.event).toEqual({ n: 1 });
    expect(b.invocations).toBe((a.invocations as number) + 1);
    expect(b.initializedAt).toBe(a.initializedAt);
    expect(host.registry.get('echo')!.pool.stats()).toMatchObject({ environments: 1, idle: 1, created: 1 });
  });

  it('gives the handler a Lambda context', async () => {
    const result = await host.invoke('echo2', {}, { clientContext: { client: { app: 'x' } }, identity: { cognitoIdentityId: 'id-1' } });
    const body = json(result.payload);
    expect(body).toMatchObject({
      requestId: result.requestId, functionName: 'echo2', memoryLimitInMB: '256',
      clientContext: { client: { app: 'x' } }, identity: { cognitoIdentityId: 'id-1' },
    });
    expect(body.remaining).toBeGreaterThan(2000);
    expect(body.remaining).toBeLessThanOrEqual(3000);
  });

  it('runs a handler named as Lambda names it ("module.export", as in a SAM template)', async () => {
    const result = await host.invoke('lambdaStyle', { value: 3 });
    expect(result.functionError).toBeUndefined();
    expect(result.payload).toBe((await host.invoke('cjs', { value: 3 })).payload);
  });

  it('runs callback-style, CommonJS and TypeScript handlers unchanged', async () => {
    expect(json((await host.invoke('callback', { value: 7 })).payload)).toEqual({ viaCallback: 7 });
    const failed = await host.invoke('callbackError', {});
    expect(failed.error).toMatchObject({ errorType: 'RangeError', errorMessage: 'from callback' });
    expect(json((await host.invoke('cjs', { x: 1 })).payload)).toEqual({ cjs: true, got: { x: 1 } });
    expect(JSON.parse((await host.invoke('typed', { name: 'Ada' })).payload!)).toBe('hello Ada');
  });

  it('keeps provisioned environments initialised ahead of any call', async () => {
    expect(host.registry.get('provisioned')!.pool.stats()).toMatchObject({ environments: 2, idle: 2 });
    const result = await host.invoke('provisioned', {});
    expect(result.initDurationMs).toBeUndefined();
  });

  it('replaces a provisioned environment lost beside a cold one whose call timed out in init, round after round', async () => {
    // Lambda's scale-out: the second call starts a cold environment at once, and both time out.
    const scaling = await createHost({
      rootDir: handlers, logger: { level: 'silent' },
      config: { stateDir: join(state.path, 'scaling'), scaleOut: 'lambda', functions: { p: { handler: './sleepy.mjs', provisionedConcurrency: 1, timeoutMs: 300 } } },
    });
    try {
      const pool = scaling.registry.get('p')!.pool;
      expect(pool.stats()).toMatchObject({ environments: 1, idle: 1 });
      for (let round = 0; round < 3; round++) {
        const results = await Promise.all([scaling.invoke('p', { ms: 1000 }), scaling.invoke('p', { ms: 1000 })]);
        expect(results.map((r) => r.error?.errorType)).toEqual(['Sandbox.Timedout', 'Sandbox.Timedout']);
        await vi.waitFor(() => expect(pool.stats()).toMatchObject({ environments: 1, idle: 1 }), { timeout: 5_000, interval: 20 });
      }
    } finally {
      await scaling.close();
    }
  });
});

describe('faults fail only their invocation', () => {
  it.each([
    ['throws', 'ValidationError', 'bad input'],
    ['rejects', 'TypeError', 'nope'],
    ['callbackError', 'RangeError', 'from callback'],
  ])('%s → errorType %s, environment kept', async (name, errorType, errorMessage) => {
    const result = await host.invoke(name, {});
    expect(result.statusCode).toBe(200);
    expect(result.functionError).toBe('Unhandled');
    expect(result.error).toMatchObject({ errorType, errorMessage });
    expect(result.error!.trace[0]).toContain(errorMessage);
    expect(JSON.parse(result.payload!)).toEqual(result.error);
  });

  // Lambda's Node runtime takes errorType from error.name, and from typeof for anything thrown that is not an Error.
  it.each([
    ['unnamedSubclass', 'Error', 'boom'],
    ['withFields', 'Error', 'no such key'],
    ['throwsString', 'string', 'just a string'],
    ['throwsObject', 'object', '[object Object]'],
    ['callbackString', 'string', 'from callback'],
    // No value at all is the runtime's "handled"; any other callback value, even 0 or '', is an error.
    ['throwsUndefined', 'string', 'handled'],
    ['rejectsNull', 'string', 'handled'],
    ['callbackZero', 'number', '0'],
    ['callbackEmpty', 'string', ''],
    // An object shaped like an Error is reported as one.
    ['throwsDuck', 'DuckError', 'quacks like an Error'],
  ])('%s → errorType %s, errorMessage %s, as Lambda’s Node runtime reports it', async (name, errorType, errorMessage) => {
    const result = await host.invoke(name, {});
    expect(result.functionError).toBe('Unhandled');
    expect(result.error).toMatchObject({ errorType, errorMessage });
    expect(JSON.parse(result.payload!)).toEqual(result.error);
    if (errorType === 'Error' || errorType === 'DuckError') expect(result.error!.trace[0]).toBe(`${errorType}: ${errorMessage}`);
    else expect(result.error!.trace).toEqual([]);
  });

  it('an unhandled rejection fails with Runtime.UnhandledPromiseRejection, logs the runtime\'s line and recycles the environment', async () => {
    const result = await host.invoke('floatingRejection', {}, { logType: 'Tail' });
    expect(result.functionError).toBe('Unhandled');
    expect(result.error).toMatchObject({ errorType: 'Runtime.UnhandledPromiseRejection', errorMessage: 'Error: floating' });
    expect(result.error!.trace[0]).toBe('Runtime.UnhandledPromiseRejection: Error: floating');
    expect(Buffer.from(result.logResult!, 'base64').toString('utf8')).toMatch(new RegExp(
      `\\t${result.requestId}\\tERROR\\tUnhandled Promise Rejection \\t\\{"errorType":"Runtime.UnhandledPromiseRejection","errorMessage":"Error: floating",.*"reason":\\{"errorType":"Error","errorMessage":"floating"`,
    ));
    await vi.waitFor(() => expect(host.registry.get('floatingRejection')!.pool.stats().environments).toBe(0));
    // The next call starts cold and fails the same way: nothing of the dead thread is left.
    expect((await host.invoke('floatingRejection', {})).initDurationMs).toBeDefined();
  });

  it.each([
    ['rejectsAfterAnswer', 'Runtime.UnhandledPromiseRejection', 'Error: audit failed for'],
    ['throwsInTickAfterAnswer', 'Error', 'tick failed for'],
  ])('%s: what a handler leaves failing as it answers fails its own invocation, never the next caller\'s', async (name, errorType, words) => {
    for (let i = 0; i < 3; i++) {
      const result = await host.invoke(name, {});
      expect(result.error).toMatchObject({ errorType, errorMessage: `${words} ${result.requestId}` });
    }
  });

  it('a rejection background work makes some promise jobs after the answer fails its own invocation too', async () => {
    for (let i = 0; i < 3; i++) {
      const result = await host.invoke('rejectsLater', {});
      expect(result.error).toMatchObject({ errorType: 'Runtime.UnhandledPromiseRejection', errorMessage: `Error: late failure of ${result.requestId}` });
    }
  });

  it.each([['entersDomain', '"entered"'], ['replacesEmit', '"replaced"']])('%s: answers however the handler\'s code uses domains or process.emit', async (name, payload) => {
    for (let i = 0; i < 3; i++) {
      const result = await host.invoke(name, {});
      expect(result.error).toBeUndefined();
      expect(result.payload).toBe(payload);
    }
  });

  it('a listener of the handler\'s code for unhandled rejections hears none of the runtime\'s own', async () => {
    for (let i = 0; i < 3; i++) expect(JSON.parse((await host.invoke('hearsRejections', {})).payload!)).toEqual({ heard: 0 });
  });

  it('a nextTick callback a handler leaves logs into its own invocation\'s log', async () => {
    for (let i = 0; i < 3; i++) {
      const result = await host.invoke('logsInTickAfterAnswer', {}, { logType: 'Tail' });
      const tail = Buffer.from(result.logResult!, 'base64').toString('utf8');
      expect(tail).toContain(`tick of ${result.requestId}`);
      expect(tail.match(/tick of /g)).toHaveLength(1);
    }
  });

  it('a rejection whose reason\'s toString throws fails with that error, as the runtime\'s own listener does', async () => {
    const result = await host.invoke('hostileRejection', {}, { logType: 'Tail' });
    expect(result.error).toMatchObject({ errorType: 'Error', errorMessage: 'no text for you' });
    expect(Buffer.from(result.logResult!, 'base64').toString('utf8')).toContain('\tERROR\tUncaught Exception \t{"errorType":"Error","errorMessage":"no text for you"');
  });

  it('a non-Error thrown by background work is reported by its type and text', async () => {
    const result = await host.invoke('backgroundThrowString', {});
    expect(result.error).toEqual({ errorType: 'string', errorMessage: 'boom', trace: [] });
  });

  it('an exception thrown by background work fails with its own type and logs Uncaught Exception', async () => {
    const result = await host.invoke('backgroundThrow', {}, { logType: 'Tail' });
    expect(result.error).toMatchObject({ errorType: 'RangeError', errorMessage: 'in background' });
    expect(Buffer.from(result.logResult!, 'base64').toString('utf8'))
      .toMatch(new RegExp(`\\t${result.requestId}\\tERROR\\tUncaught Exception \\t\\{"errorType":"RangeError","errorMessage":"in background"`));
  });

  it('an uncaught exception fails the invocation and ends the environment even when the handler\'s code listens for it', async () => {
    const result = await host.invoke('listensUncaught', { throwLater: true }, { logType: 'Tail' });
    expect(result.error).toMatchObject({ errorType: 'RangeError', errorMessage: 'in background' });
    const tail = Buffer.from(result.logResult!, 'base64').toString('utf8');
    // The module's own listener ran, and the runtime's line is written once.
    expect(tail).toContain('library saw: in background');
    expect(tail.match(/\tERROR\tUncaught Exception /g)).toHaveLength(1);
    await vi.waitFor(() => expect(host.registry.get('listensUncaught')!.pool.stats().environments).toBe(0));
    const next = await host.invoke('listensUncaught', {});
    expect(next.initDurationMs).toBeDefined();
    expect(next.payload).toBe('"fine"');
  });

  it('an answer that comes after an uncaught exception does not take its output: the log keeps it', async () => {
    const result = await host.invoke('listensUncaught', { throwThenAnswer: true }, { logType: 'Tail' });
    expect(result.error).toMatchObject({ errorType: 'Error', errorMessage: 'background boom' });
    const tail = Buffer.from(result.logResult!, 'base64').toString('utf8');
    expect(tail).toMatch(/\tINFO\tbefore\n/);
    expect(tail).toContain('\tERROR\tUncaught Exception \t{"errorType":"Error","errorMessage":"background boom"');
  });

  it('a handler does not run once an uncaught exception from its init is ending the environment', async () => {
    const result = await host.invoke('listensUncaughtInit', {}, { logType: 'Tail' });
    expect(result.error).toMatchObject({ errorType: 'Error', errorMessage: 'init-time background failure' });
    expect(existsSync(join(state.path, 'handler-ran'))).toBe(false);
    expect(Buffer.from(result.logResult!, 'base64').toString('utf8')).toContain('\tERROR\tUncaught Exception ');
  });

  it('a NaN thrown in the background, with the handler listening, fails at once rather than at the timeout', async () => {
    const result = await host.invoke('listensUncaught', { throwNaN: true });
    expect(result.error).toEqual({ errorType: 'number', errorMessage: 'NaN', trace: [] });
  });

  it('an unhandled rejection fails at once, unheard by the handler\'s own uncaughtException listener (as the runtime exits first)', async () => {
    const result = await host.invoke('listensUncaught', { rejectLater: true }, { logType: 'Tail' });
    expect(result.error).toMatchObject({ errorType: 'Runtime.UnhandledPromiseRejection', errorMessage: 'Error: rejected in background' });
    const tail = Buffer.from(result.logResult!, 'base64').toString('utf8');
    expect(tail).toContain('\tERROR\tUnhandled Promise Rejection ');
    expect(tail).not.toContain('library saw');
  });

  it('logs the runtime\'s Uncaught Exception line for background work that throws undefined', async () => {
    const result = await host.invoke('backgroundThrowUndefined', {}, { logType: 'Tail' });
    expect(result.functionError).toBe('Unhandled');
    expect(Buffer.from(result.logResult!, 'base64').toString('utf8')).toContain(`\t${result.requestId}\tERROR\tUncaught Exception `);
  });

  it('process.exit fails with Runtime.ExitError and recycles the environment', async () => {
    const result = await host.invoke('exits', {});
    expect(result.error).toMatchObject({ errorType: 'Runtime.ExitError' });
    expect(result.error!.errorMessage).toBe(`RequestId: ${result.requestId} Error: Runtime exited with error: exit status 3`);
    await vi.waitFor(() => expect(host.registry.get('exits')!.pool.stats().environments).toBe(0));
  });

  it('a synchronous busy loop times out, the thread is terminated, and the function still works after', async () => {
    const started = performance.now();
    const result = await host.invoke('spins', {}, { logType: 'Tail' });
    expect(performance.now() - started).toBeLessThan(2000);
    // The memory it last reported (at its start), not the function's whole memory size.
    const used = Number(/Max Memory Used: (\d+) MB/.exec(Buffer.from(result.logResult!, 'base64').toString('utf8'))![1]);
    expect(used).toBeGreaterThan(0);
    expect(used).toBeLessThan(128);
    expect(result.error).toEqual({ errorType: 'Sandbox.Timedout', errorMessage: `RequestId: ${result.requestId} Error: Task timed out after 0.30 seconds`, trace: [] });
    // A cold run: init's own time is reported though the handler never answered.
    expect(result.initDurationMs).toBeGreaterThan(0);
    await vi.waitFor(() => expect(host.registry.get('spins')!.pool.stats().environments).toBe(0));
    expect(host.registry.get('spins')!.pool.stats().created).toBe(1);
  });

  it('a heap overrun past memoryMB fails with Runtime.OutOfMemory', async () => {
    const result = await host.invoke('hogs', {});
    expect(result.error?.errorType).toBe('Runtime.OutOfMemory');
    expect(result.error?.errorMessage).toContain(result.requestId);
  });

  it('memory outside the heap (Buffers) past memoryMB fails with Runtime.OutOfMemory and recycles the environment', async () => {
    const small = await host.invoke('buffers', { mb: 16 });
    expect(small.error).toBeUndefined();
    const over = await host.invoke('buffers', { mb: 200 });
    expect(over.error).toMatchObject({ errorType: 'Runtime.OutOfMemory', errorMessage: expect.stringContaining('of 128 MB') });
    expect(JSON.parse(over.payload!)).toMatchObject({ errorType: 'Runtime.OutOfMemory' });
    // A fresh environment: what the last one kept is gone.
    expect(JSON.parse((await host.invoke('buffers', { mb: 1 })).payload!)).toBe(1);
  });

  it('a cold start gives the handler its whole timeout after init, as Lambda does (init longer than the timeout)', async () => {
    const result = await host.invoke('slowInit', {});
    expect(result.error).toBeUndefined();
    expect(result.initDurationMs).toBeGreaterThanOrEqual(550);
    expect(JSON.parse(result.payload!).remainingMs).toBeGreaterThan(300);
  });

  it('a handler that removes its own /tmp still gets its answer through, and the next call has a /tmp again', async () => {
    const first = await host.invoke('removesTmp', {});
    expect(first.error).toBeUndefined();
    expect(JSON.parse(first.payload!)).toEqual({ done: true });
    expect((await host.invoke('removesTmp', {})).error).toBeUndefined();
  });

  it('keeps the last part of a huge output (one invocation\'s log is bounded)', async () => {
    const result = await host.invoke('chatty', {});
    const text = host.log.get(result.requestId)!.text;
    expect(text.length).toBeLessThan(1.1 * 1024 * 1024);
    expect(text).toMatch(/\[neolith: \d+ earlier characters of output dropped\]/);
    expect(text).toContain('the last line');
  });

  it('answers null for a result JSON has no text for (a function), as Lambda does', async () => {
    const result = await host.invoke('returnsFunction', {});
    expect(result.error).toBeUndefined();
    expect(result.payload).toBe('null');
  });

  it('a crash during init fails the invocation that triggered it, and init runs again next time', async () => {
    const first = await host.invoke('initCrash', {}, { logType: 'Tail' });
    expect(first.error).toMatchObject({ errorType: 'Error', errorMessage: 'init failed: missing SECRET' });
    // The runtime's line for a failed init: outside any request, so its id reads "undefined".
    expect(Buffer.from(first.logResult!, 'base64').toString('utf8'))
      .toMatch(/\tundefined\tERROR\tUncaught Exception \t\{"errorType":"Error","errorMessage":"init failed: missing SECRET","stack":\["Error: init failed: missing SECRET",/);
    expect(first.initDurationMs).toBeGreaterThanOrEqual(0);
    const second = await host.invoke('initCrash', {});
    expect(second.error?.errorMessage).toBe('init failed: missing SECRET');
    expect(host.registry.get('initCrash')!.pool.stats().created).toBe(2);
  });

  // As the runtime's loader words them: wrapped as String(error), or (an ES module's missing import) as thrown.
  it.each([
    ['initMissingRequire', 'Runtime.ImportModuleError', /^Error: Cannot find module 'no-such-package-for-neolith-tests'/],
    ['initBadJson', 'Runtime.UserCodeSyntaxError', /^SyntaxError: .*JSON/],
    ['initMissingImport', 'Error', /^Cannot find package 'no-such-package-for-neolith-tests' imported from /],
  ])('a module that does not load (%s) fails with %s', async (name, errorType, message) => {
    const result = await host.invoke(name, {}, { logType: 'Tail' });
    expect(result.functionError).toBe('Unhandled');
    expect(result.error!.errorType).toBe(errorType);
    expect(result.error!.errorMessage).toMatch(message);
    // The stack's own head ("Error [ERR_MODULE_NOT_FOUND]: …" for Node's coded errors); a syntax
    // error keeps the original's stack, which says where it broke.
    expect(result.error!.trace[0]!.startsWith(errorType === 'Runtime.UserCodeSyntaxError' ? 'SyntaxError' : errorType)).toBe(true);
    expect(result.error!.trace[0]).toContain(result.error!.errorMessage.split('\n')[0]);
    expect(Buffer.from(result.logResult!, 'base64').toString('utf8')).toContain(`\tundefined\tERROR\tUncaught Exception \t{"errorType":"${errorType}"`);
  });

  it('a handler that is not there, or not a function, fails as the runtime words it, naming the handler string', async () => {
    expect((await host.invoke('notAFunction', {})).error).toMatchObject({
      errorType: 'Runtime.HandlerNotFound', errorMessage: 'not-a-function.handler is not a function',
    });
    expect((await host.invoke('nestedMissing', {})).error).toMatchObject({
      errorType: 'Runtime.HandlerNotFound', errorMessage: 'not-a-function.nested.fn is undefined or not exported',
    });
  });

  it('a response over 6 MB fails with Function.ResponseSizeTooLarge', async () => {
    const result = await host.invoke('huge', { bytes: 7 * 1024 * 1024 });
    expect(result.error).toMatchObject({ errorType: 'Function.ResponseSizeTooLarge' });
    const fine = await host.invoke('huge', { bytes: 1024 });
    expect(fine.functionError).toBeUndefined();
    expect(JSON.parse(fine.payload!)).toHaveLength(1024);
  });

  it('a result that cannot be serialised fails with Runtime.MarshalError', async () => {
    const result = await host.invoke('notJson', {});
    expect(result.error?.errorType).toBe('Runtime.MarshalError');
  });

  it('the host and other functions stay up through all of it', async () => {
    const result = await host.invoke('echo', { still: 'alive' });
    expect(json(result.payload).event).toEqual({ still: 'alive' });
  });
});

describe('freezing between invocations', () => {
  it('thaws a long-idle environment before its handler runs: no dead keep-alive socket is reused', async () => {
    // The server drops idle connections after 5 s (past fetch's own 4 s keep-alive), the environment sleeps past that:
    // run at once on wake, the handler would POST on the dead pooled socket ("fetch failed"). ~7 s, the price of fetch's defaults.
    const server = createServer((_req, res) => res.end('pong'));
    server.keepAliveTimeout = 5_000;
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    try {
      await host.invoke('keepalive', { url });
      const first = await host.invoke('keepalive', { url });
      await new Promise((done) => setTimeout(done, 6_500));
      const second = await host.invoke('keepalive', { url }, { logType: 'Tail' });
      expect(second.error).toBeUndefined();
      expect(json(second.payload)).toEqual({ text: 'pong', calls: (json(first.payload).calls as number) + 1 });
      // The timer the first call left ran on thaw, before the second began: logged under the first's id, not "undefined".
      expect(Buffer.from(second.logResult!, 'base64').toString('utf8')).toContain(`\t${first.requestId}\tINFO\tleft behind by ${first.requestId}\n`);
    } finally {
      server.closeAllConnections();
      await new Promise((done) => server.close(done));
    }
  });
});

describe('/tmp and environment variables', () => {
  it('keeps /tmp across warm invocations, in a folder of the environment’s own', async () => {
    const first = json((await host.invoke('tmp', { mark: 1 })).payload);
    const second = json((await host.invoke('tmp', { mark: 2 })).payload);
    expect(first.before).toBeNull();
    expect(second.before).toBe('1');
    expect(second.tmpdir).toBe(first.tmpdir);
    expect(String(first.tmpdir).startsWith(join(state.path, 'tmp'))).toBe(true);
  });

  it('gives concurrent environments separate /tmp folders, removed when they go', async () => {
    const gateFree = [
      host.invoke('gatedFree', { gate: gate.url }),
      host.invoke('gatedFree', { gate: gate.url }),
    ];
    await gate.arrived(2);
    const envs = host.registry.get('gatedFree')!.pool.environments();
    expect(envs).toHaveLength(2);
    gate.release();
    await Promise.all(gateFree);
    const dirs = readdirSync(join(state.path, 'tmp'));
    for (const env of envs) expect(dirs).toContain(env.id);
    await host.registry.get('gatedFree')!.pool.close();
    for (const env of envs) expect(existsSync(join(state.path, 'tmp', env.id))).toBe(false);
  });

  it('fails an invocation that leaves more in /tmp than ephemeralStorageMB, and recycles', async () => {
    const result = await host.invoke('fillsTmp', { mb: 600 });
    expect(result.error?.errorType).toBe('Runtime.EphemeralStorageExceeded');
    await vi.waitFor(() => expect(host.registry.get('fillsTmp')!.pool.stats().environments).toBe(0));
    expect((await host.invoke('fillsTmp', { mb: 1 })).payload).toBe('"written"');
  });

  it('shows each function only its own environment variables and Lambda’s', async () => {
    const a = json((await host.invoke('envA', {})).payload);
    const b = json((await host.invoke('envB', {})).payload);
    expect(a.ONLY_A).toBe('a');
    expect(a.ONLY_B).toBeUndefined();
    expect(b.ONLY_B).toBe('b');
    expect(b.ONLY_A).toBeUndefined();
    expect(a.HOST_ONLY_SECRET).toBeUndefined();
    expect(a).toMatchObject({ AWS_LAMBDA_FUNCTION_NAME: 'envA', AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '128', AWS_REGION: 'us-east-1' });
    // _HANDLER as Lambda sets it, from the task root (tracing wrappers parse it), whichever form the config used.
    expect(a).toMatchObject({ _HANDLER: 'env.handler', LAMBDA_TASK_ROOT: handlers });
    expect(String(a.TMPDIR).startsWith(join(state.path, 'tmp'))).toBe(true);
    // Lambda's time zone variable, and its per-environment ones: the log stream and how it was started.
    expect(a).toMatchObject({ TZ: ':UTC', AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand' });
    expect(a.AWS_LAMBDA_LOG_STREAM_NAME).toMatch(/^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][\w-]+$/);
  });

  it('tells a provisioned environment it was started as one', async () => {
    const env = json((await host.invoke('provisionedEnv', {})).payload);
    expect(env.AWS_LAMBDA_INITIALIZATION_TYPE).toBe('provisioned-concurrency');
  });
});

describe('concurrency', () => {
  it('throttles a sync call over reserved concurrency at once, with Lambda’s reason', async () => {
    const running = host.invoke('gated', { gate: gate.url });
    await gate.arrived(1);
    const refused = host.invoke('gated', { gate: gate.url });
    await expect(refused).rejects.toBeInstanceOf(TooManyRequestsError);
    await expect(refused).rejects.toMatchObject({ code: 'TooManyRequestsException', reason: 'ReservedFunctionConcurrentInvocationLimitExceeded' });
    gate.release('done');
    expect(json((await running).payload).released).toBe('done');
    // The slot is free again.
    const again = host.invoke('gated', { gate: gate.url });
    await gate.arrived(1);
    gate.release();
    expect((await again).statusCode).toBe(200);
  });

  it('aborting a running invocation terminates its environment', async () => {
    const controller = new AbortController();
    const running = host.invoke('gatedFree', { gate: gate.url }, { signal: controller.signal });
    await gate.arrived(1);
    controller.abort();
    await expect(running).rejects.toBeInstanceOf(AbortedError);
    gate.release();
    await vi.waitFor(() => expect(host.registry.get('gatedFree')!.pool.stats().environments).toBe(0));
    expect(host.governor.running('gatedFree')).toBe(0);
  });
});

describe('DryRun and payload checks', () => {
  it('DryRun checks everything but runs nothing', async () => {
    const before = host.registry.get('strict')!.pool.stats().created;
    const ok = await host.invoke('strict', { name: 'x' }, { type: 'DryRun' });
    expect(ok.statusCode).toBe(204);
    expect(ok.payload).toBeUndefined();
    await expect(host.invoke('strict', { nom: 'x' }, { type: 'DryRun' })).rejects.toMatchObject({
      code: 'InvalidRequestContentException', message: expect.stringContaining("must have required property 'name'"),
    });
    await expect(host.invoke('nope', {}, { type: 'DryRun' })).rejects.toMatchObject({ code: 'ResourceNotFoundException' });
    expect(host.registry.get('strict')!.pool.stats().created).toBe(before);
  });

  it('refuses malformed and oversized payloads before running', async () => {
    await expect(host.invoke('echo', Buffer.from('{not json'))).rejects.toMatchObject({ code: 'InvalidRequestContentException' });
    await expect(host.invoke('echo', Buffer.alloc(6 * 1024 * 1024 + 1, 0x20))).rejects.toMatchObject({ code: 'RequestTooLargeException' });
    await expect(host.invoke('strict', { nom: 1 })).rejects.toMatchObject({ code: 'InvalidRequestContentException' });
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await expect(host.invoke('echo', cyclic)).rejects.toThrow(TypeError);
  });

  it('checks each event of a batch against the inputSchema', async () => {
    const ok = await host.invoke('strict', [{ name: 'a' }, { name: 'b' }], { batch: true });
    expect((JSON.parse(ok.payload!) as Array<{ event: unknown }>).map((r) => r.event)).toEqual([{ name: 'a' }, { name: 'b' }]);
    await expect(host.invoke('strict', [{ name: 'a' }, { nom: 'b' }], { batch: true })).rejects.toMatchObject({
      code: 'InvalidRequestContentException', message: expect.stringContaining("item 1: (root) must have required property 'name'"),
    });
  });

  it('gives every item of a batch the fields sent once for all (batchShared), validated and size-checked as each item', async () => {
    const shared = { identity: { sub: 'u1' }, info: { fieldName: 'author', selectionSetList: ['id'] } };
    const result = await host.invoke('strict', [{ name: 'a' }, { name: 'b' }], { batch: true, batchShared: shared });
    expect((JSON.parse(result.payload!) as Array<{ event: unknown }>).map((r) => r.event)).toEqual([{ name: 'a', ...shared }, { name: 'b', ...shared }]);
    // The schema's required name comes from the shared fields here: items are checked as the handler gets them.
    const named = await host.invoke('strict', [{ n: 1 }, { n: 2 }], { batch: true, batchShared: { name: 'shared' } });
    expect((JSON.parse(named.payload!) as Array<{ event: unknown }>).map((r) => r.event)).toEqual([{ n: 1, name: 'shared' }, { n: 2, name: 'shared' }]);
    // A handler run once per item gets each item's own copy, as separate invocations would.
    const marks = await host.invoke('marksInfo', [{}, {}, {}], { batch: true, batchShared: { info: { fieldName: 'x' } } });
    expect(JSON.parse(marks.payload!)).toEqual([1, 1, 1]);
    // 2.5 MB sent once is 7.5 MB in three items: over the 6 MB limit, as the handler would get it.
    await expect(host.invoke('echo', [{}, {}, {}], { batch: true, batchShared: { big: 'x'.repeat(2.5 * 1024 * 1024) } }))
      .rejects.toMatchObject({ code: 'RequestTooLargeException' });
    for (const [payload, options] of [
      [{ a: 1 }, { batchShared: { x: 1 } }],
      [[1, 2], { batch: true, batchShared: { x: 1 } }],
      [[{}], { batch: true, type: 'Event', batchShared: { x: 1 } }],
      [[{}], { batch: true, batchShared: [1] }],
    ] as const) {
      await expect(host.invoke('echo', payload, options as never)).rejects.toMatchObject({ code: 'InvalidParameterValueException' });
    }
  });

  it('treats an empty body as {} as Lambda does', async () => {
    expect(json((await host.invoke('echo', Buffer.alloc(0))).payload).event).toEqual({});
  });

  it('refuses names that are not Lambda function names, and unknown qualifiers', async () => {
    await expect(host.invoke('../../etc/passwd', {})).rejects.toMatchObject({ code: 'InvalidParameterValueException' });
    await expect(host.invoke('echo:v7', {})).rejects.toMatchObject({ code: 'ResourceNotFoundException' });
    expect((await host.invoke('echo:$LATEST', {})).statusCode).toBe(200);
    expect((await host.invoke('arn:aws:lambda:us-east-1:000000000000:function:echo', {})).statusCode).toBe(200);
  });
});

describe('logs', () => {
  it('writes START, the handler’s lines, END and REPORT, with Init Duration on a cold start only', async () => {
    host.registry.get('echo2')!.pool.recycle();
    const cold = await host.invoke('echo2', { log: 1 }, { logType: 'Tail' });
    const warm = await host.invoke('echo2', { log: 2 }, { logType: 'Tail' });
    const coldText = host.log.get(cold.requestId)!.text;
    const warmText = Buffer.from(warm.logResult!, 'base64').toString('utf8');
    expect(warmText).toBe(host.log.get(warm.requestId)!.text);
    expect(warmText).toMatch(new RegExp(
      `^START RequestId: ${warm.requestId} Version: \\$LATEST\\n` +
      `\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\t${warm.requestId}\\tINFO\\techo {"log":2}\\n` +
      `END RequestId: ${warm.requestId}\\n` +
      `REPORT RequestId: ${warm.requestId}\\tDuration: \\d+\\.\\d\\d ms\\tBilled Duration: \\d+ ms\\tMemory Size: 256 MB\\tMax Memory Used: \\d+ MB\\t\\n$`,
    ));
    expect(coldText).toMatch(/Init Duration: \d+\.\d\d ms/);
    expect(warmText).not.toMatch(/Init Duration/);
    expect(host.log.recent('echo2').map((e) => e.requestId)).toContain(warm.requestId);
  });

  const TIME = '\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z';

  it('logs a failed invocation’s error as Lambda’s runtime does: an "Invoke Error" line with the error as JSON', async () => {
    const failed = await host.invoke('withFields', {}, { logType: 'Tail' });
    const tail = Buffer.from(failed.logResult!, 'base64').toString('utf8');
    expect(tail).toBe(host.log.get(failed.requestId)!.text);
    const line = new RegExp(`^${TIME}\\t${failed.requestId}\\tERROR\\tInvoke Error \\t(\\{.*\\})$`, 'm').exec(tail);
    expect(line, tail).not.toBeNull();
    const logged = JSON.parse(line![1]!);
    expect(logged).toEqual({ errorType: 'Error', errorMessage: 'no such key', code: 'ENOKEY', key: 'k1', stack: expect.any(Array) });
    expect(logged.stack[0]).toBe('Error: no such key');
    // Before END, as the runtime writes it while the invocation is still open.
    expect(tail.indexOf('Invoke Error')).toBeLessThan(tail.indexOf(`END RequestId: ${failed.requestId}`));

    // A thrown non-Error is logged as the Error the runtime wraps it in (the payload keeps typeof).
    const text = (await host.invoke('throwsString', {}, { logType: 'Tail' })).logResult!;
    expect(Buffer.from(text, 'base64').toString('utf8')).toMatch(/\tERROR\tInvoke Error \t\{"errorType":"Error","errorMessage":"just a string","stack":\["Error: just a string",/);
    // A successful invocation has no such line.
    expect(Buffer.from((await host.invoke('echo', {}, { logType: 'Tail' })).logResult!, 'base64').toString('utf8')).not.toContain('Invoke Error');
  });

  it('keeps what a handler printed before it spun past its timeout or exited the process', async () => {
    for (const [name, line] of [['spins', 'spinning forever'], ['exits', 'exiting with 3']] as const) {
      const result = await host.invoke(name, {}, { logType: 'Tail' });
      expect(result.error, name).toBeDefined();
      const tail = Buffer.from(result.logResult!, 'base64').toString('utf8');
      expect(tail, name).toMatch(new RegExp(`^${TIME}\\t${result.requestId}\\tINFO\\t${line}$`, 'm'));
      expect(tail).toBe(host.log.get(result.requestId)!.text);
    }
  });

  it('logs a timed-out invocation with Lambda’s "Task timed out after N.NN seconds" line', async () => {
    const timedOut = await host.invoke('sleepsPastTimeout', { ms: 60_000, say: 'about to sleep' }, { logType: 'Tail' });
    expect(timedOut.error).toMatchObject({ errorType: 'Sandbox.Timedout' });
    const tail = Buffer.from(timedOut.logResult!, 'base64').toString('utf8');
    expect(tail).toBe(host.log.get(timedOut.requestId)!.text);
    expect(tail).toMatch(new RegExp(
      `^START RequestId: ${timedOut.requestId} Version: \\$LATEST\\n` +
      // What it printed before is kept, though the thread never sent it.
      `${TIME}\\t${timedOut.requestId}\\tINFO\\tabout to sleep\\n` +
      `${TIME} ${timedOut.requestId} Task timed out after 0\\.20 seconds\\n` +
      `END RequestId: ${timedOut.requestId}\\n` +
      `REPORT RequestId: ${timedOut.requestId}\\t`,
    ));
  });
});
