/**
 * Handlers whose answer depends on the event loop, called as Lambda's Node.js
 * runtime calls them: a callback answer waits for the loop to empty unless
 * `callbackWaitsForEmptyEventLoop` is false; `context.done`, `succeed` and
 * `fail` answer at once; the first answer wins; a handler that never answers
 * ends when nothing is left to run (null, or `Runtime.NodeJsExit` when async).
 */
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHost, type Host, type InvokeResult } from '../../runtime/index.js';
import { tempDir } from '../support/temp-dir.js';

const handlers = resolve(import.meta.dirname, '../fixtures/handlers');
const state = tempDir();
let host: Host;

const fn = (name: string, timeoutMs = 10_000) => ({ handler: `./event-loop.mjs#${name}`, timeoutMs });
const logOf = (result: InvokeResult) => Buffer.from(result.logResult!, 'base64').toString('utf8');
const call = (name: string, event: unknown = {}) => host.invoke(name, event, { logType: 'Tail' });

beforeAll(async () => {
  host = await createHost({
    rootDir: handlers,
    config: {
      stateDir: state.path,
      functions: {
        callbackWaits: fn('callbackWaits'),
        callbackNoWait: fn('callbackNoWait'),
        flagSetAfterCallback: fn('flagSetAfterCallback'),
        openHandleWaits: fn('openHandleWaits', 300),
        openHandleNoWait: fn('openHandleWaits', 300),
        callbackErrorNow: fn('callbackErrorNow', 300),
        forgetsCallback: fn('forgetsCallback'),
        syncReturn: fn('syncReturn'),
        asyncNeverSettles: fn('asyncNeverSettles'),
        plainNeverSettles: fn('plainNeverSettles'),
        succeeds: fn('succeeds'),
        succeedsLeavingWork: fn('succeedsLeavingWork'),
        fails: fn('fails'),
        failsEmpty: fn('failsEmpty'),
        done: fn('done'),
        doneError: fn('doneError'),
        firstAnswerWins: fn('firstAnswerWins'),
        callbackBeforePromise: fn('callbackBeforePromise'),
        callbackThenPut: { handler: './host-call.mjs#callbackThenPut', timeoutMs: 10_000 },
        callbackAfterFailedPost: { handler: './host-call.mjs#callbackAfterFailedPost', timeoutMs: 2000 },
      },
      tables: { notes: { partitionKey: 'id' } },
      buckets: { files: {} },
    },
  });
});

afterAll(async () => {
  await host?.close();
  state.remove();
});

describe('callback answers and the event loop', () => {
  it('a callback answer waits for the event loop to empty: the timer it left runs within the invocation', async () => {
    const result = await call('callbackWaits');
    expect(result.functionError).toBeUndefined();
    expect(JSON.parse(result.payload!)).toEqual({ answered: true, waits: true });
    expect(logOf(result)).toContain('timer after the callback ran');
  });

  it('with callbackWaitsForEmptyEventLoop = false it answers at once; the timer stays frozen with the environment', async () => {
    const result = await call('callbackNoWait');
    expect(JSON.parse(result.payload!)).toEqual({ answered: true, waits: false });
    expect(logOf(result)).not.toContain('timer after the callback ran');
  });

  it('reads the flag when the callback is called, not after', async () => {
    const result = await call('flagSetAfterCallback');
    expect(JSON.parse(result.payload!)).toBe('answered');
    expect(logOf(result)).toContain('timer after the callback ran');
  });

  it('a handle left open holds a waiting answer until the timeout; without the flag it answers', async () => {
    const held = await call('openHandleWaits');
    expect(held.error).toMatchObject({ errorType: 'Sandbox.Timedout' });
    const free = await call('openHandleNoWait', { noWait: true });
    expect(free.functionError).toBeUndefined();
    expect(JSON.parse(free.payload!)).toBe('answered');
  });

  it('an error through the callback fails at once, whatever is left open', async () => {
    const result = await call('callbackErrorNow');
    expect(result.error).toMatchObject({ errorType: 'RangeError', errorMessage: 'at once' });
  });

  it('a host call in flight holds the loop open: the answer comes after its reply', async () => {
    const result = await call('callbackThenPut', { id: 'cb-1' });
    expect(JSON.parse(result.payload!)).toBe('answered');
    expect(logOf(result)).toContain('put done');
    expect((await host.sources.tables.get('notes', { id: 'cb-1' }))?.item).toEqual({ id: 'cb-1', text: 'after the callback' });
  });

  it('a host call that cannot be posted fails alone and holds nothing open', async () => {
    const result = await call('callbackAfterFailedPost');
    expect(result.functionError).toBeUndefined();
    expect(JSON.parse(result.payload!)).toMatch(/^put failed: /);
  });

  it('the callback answer is not overtaken by the async handler\'s own result', async () => {
    expect(JSON.parse((await call('callbackBeforePromise')).payload!)).toBe('from callback');
  });
});

describe('handlers that never answer', () => {
  // The next request can arrive while the last answer is being given: each must still end the same way, warm.
  it.each([
    ['forgetsCallback', 'null', undefined],
    ['syncReturn', 'null', undefined],
    ['plainNeverSettles', 'null', undefined],
    ['asyncNeverSettles', undefined, 'Runtime.NodeJsExit'],
    ['callbackWaits', '{"answered":true,"waits":true}', undefined],
  ])('%s answers the same on calls back to back, in the same environment', async (name, payload, errorType) => {
    for (let i = 0; i < 4; i++) {
      const result = await host.invoke(name, {});
      if (errorType) expect(result.error?.errorType, `call ${i}`).toBe(errorType);
      else expect(result.payload, `call ${i}`).toBe(payload);
      if (i > 0) expect(result.initDurationMs, `call ${i} is warm`).toBeUndefined();
    }
  });

  it('a callback handler that never calls back answers null once nothing is left to run', async () => {
    const result = await call('forgetsCallback');
    expect(result.functionError).toBeUndefined();
    expect(result.payload).toBe('null');
    expect(logOf(result)).toContain('no answer given');
  });

  it('a sync handler\'s return value is ignored, as in Lambda: it answers null', async () => {
    const result = await call('syncReturn');
    expect(result.functionError).toBeUndefined();
    expect(result.payload).toBe('null');
  });

  it('an async handler whose promise never settles fails with Runtime.NodeJsExit, not a timeout', async () => {
    const result = await call('asyncNeverSettles');
    expect(result.functionError).toBe('Unhandled');
    expect(result.error).toMatchObject({
      errorType: 'Runtime.NodeJsExit',
      errorMessage: expect.stringContaining('This is most commonly caused by a Promise that was never settled'),
    });
    expect(logOf(result)).toMatch(/\tERROR\tInvoke Error \t\{"errorType":"Runtime.NodeJsExit"/);
    // The environment is kept: the next call is warm.
    expect((await call('asyncNeverSettles')).initDurationMs).toBeUndefined();
  });

  it('a plain function returning a promise that never settles answers null (the runtime checks for AsyncFunction)', async () => {
    const result = await call('plainNeverSettles');
    expect(result.functionError).toBeUndefined();
    expect(result.payload).toBe('null');
  });
});

describe('context.done, succeed and fail', () => {
  it('succeed answers at once, without waiting for the loop', async () => {
    const result = await call('succeeds');
    expect(JSON.parse(result.payload!)).toEqual({ via: 'succeed' });
    expect(logOf(result)).not.toContain('timer after succeed ran');
  });

  it('work a synchronous answer left behind runs before the next invocation, however soon it comes', async () => {
    const first = await call('succeedsLeavingWork', { n: 1 });
    expect(logOf(first)).not.toContain('left behind by call 1 ran');
    const second = await call('succeedsLeavingWork', { n: 2 });
    expect(second.initDurationMs).toBeUndefined();
    expect(logOf(second)).toContain(`\t${first.requestId}\tINFO\tleft behind by call 1 ran`);
  });

  it('fail and done fail or answer as the callback would; fail() with nothing is "handled"', async () => {
    expect((await call('fails')).error).toMatchObject({ errorType: 'TypeError', errorMessage: 'via fail' });
    expect((await call('failsEmpty')).error).toEqual({ errorType: 'string', errorMessage: 'handled', trace: [] });
    expect((await call('done')).payload).toBe('5');
    expect((await call('doneError')).error).toEqual({ errorType: 'string', errorMessage: 'via done', trace: [] });
  });

  it('the first answer wins; later calls and the returned value are ignored', async () => {
    const result = await call('firstAnswerWins');
    expect(result.functionError).toBeUndefined();
    expect(JSON.parse(result.payload!)).toBe('first');
  });
});
