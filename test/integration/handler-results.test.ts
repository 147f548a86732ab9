// What a handler returns or throws that JSON or Error text does not take kindly to, through a real
// host's Invoke API on a real port: the answer Lambda's Node runtime gives (its `toRapidResponse`
// and JSON.stringify), the one environment surviving each, and the host staying up.
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHost, type Host } from '../../runtime/index.js';
import { tempDir } from '../support/temp-dir.js';

const handlers = resolve(import.meta.dirname, '../fixtures/handlers');
const state = tempDir();
let host: Host;
let url: string;

const MB6 = 6 * 1024 * 1024;

interface Answer {
  status: number;
  functionError: string | null;
  body: string;
  log: string;
}

/** POSTs `event` to Invoke (RequestResponse, log tail asked for). */
async function invoke(event: Record<string, unknown>): Promise<Answer> {
  const response = await fetch(`${url}/2015-03-31/functions/results/invocations`, {
    method: 'POST', body: JSON.stringify(event), headers: { 'X-Amz-Log-Type': 'Tail' },
  });
  const log = response.headers.get('x-amz-log-result');
  return {
    status: response.status,
    functionError: response.headers.get('x-amz-function-error'),
    body: await response.text(),
    log: log === null ? '' : Buffer.from(log, 'base64').toString('utf8'),
  };
}

let fineCalls = 0;
/** The same function answers a plain call, from the one environment it has had all along. */
async function stillAnswers(): Promise<void> {
  const n = ++fineCalls;
  const after = await invoke({ kind: 'fine', n });
  expect(after).toMatchObject({ status: 200, functionError: null });
  expect(JSON.parse(after.body)).toEqual({ fine: true, n });
  expect(host.registry.get('results')!.pool.stats()).toMatchObject({ environments: 1, created: 1, busy: 0 });
}

/** The "Invoke Error" line Lambda's runtime logs for a failure, parsed; undefined when there is none. */
function invokeErrorLine(log: string): unknown {
  const line = /\tERROR\tInvoke Error \t(.*)$/m.exec(log);
  return line ? JSON.parse(line[1]!) : undefined;
}

beforeAll(async () => {
  host = await createHost({
    rootDir: handlers,
    logger: { level: 'silent' },
    config: { stateDir: state.path, functions: { results: { handler: './results.mjs', timeoutMs: 10_000 } } },
  });
  ({ url } = await host.listen({ port: 0 }));
});

afterAll(async () => {
  await host?.close();
  state.remove();
});

describe('a result JSON.stringify throws for is a Runtime.MarshalError function error', () => {
  // The host's documented type (README) with the stringify error's own message and stack. (Lambda's runtime
  // itself says errorType "Runtime.JSONStringifyError", "Error" before v3, and "Unable to stringify response body".)
  it.each([
    ['a BigInt', { kind: 'bigint' }, 'Do not know how to serialize a BigInt', 'TypeError: Do not know how to serialize a BigInt'],
    ['an object whose toJSON throws', { kind: 'toJsonThrows' }, 'toJSON refused', 'RangeError: toJSON refused'],
    ['an object with a getter that throws', { kind: 'getterThrows' }, 'getter refused', 'Error: getter refused'],
    ['a 200,000-deep nested array', { kind: 'deep', depth: 200_000 }, 'Maximum call stack size exceeded', 'RangeError: Maximum call stack size exceeded'],
    ['a 200,000-deep nested object', { kind: 'deep', depth: 200_000, objects: true }, 'Maximum call stack size exceeded', 'RangeError: Maximum call stack size exceeded'],
  ])('%s', async (_, event, errorMessage, firstTraceLine) => {
    const answer = await invoke(event);
    expect(answer.status).toBe(200);
    expect(answer.functionError).toBe('Unhandled');
    const error = JSON.parse(answer.body) as { errorType: string; errorMessage: string; trace: string[] };
    expect(Object.keys(error)).toEqual(['errorType', 'errorMessage', 'trace']);
    expect(error).toMatchObject({ errorType: 'Runtime.MarshalError', errorMessage });
    expect(error.trace[0]).toBe(firstTraceLine);
    await stillAnswers();
  });

  // Lambda's Node runtime posts a result it cannot stringify through its failure path, which logs
  // "Invoke Error" first (aws-lambda-nodejs-runtime-interface-client: CallbackContext postError).
  it('logs an "Invoke Error" line for it, as the runtime does for every failure', async () => {
    const answer = await invoke({ kind: 'bigint' });
    expect(answer.functionError).toBe('Unhandled');
    expect(invokeErrorLine(answer.log)).toMatchObject({ errorType: 'TypeError', errorMessage: 'Do not know how to serialize a BigInt' });
  });
});

describe('a result JSON has no text for, or writes only part of, answers as JSON.stringify does', () => {
  it.each([
    ['undefined', 'returnsUndefined', 'null'],
    ['a function', 'returnsFunction', 'null'],
    ['a Symbol', 'returnsSymbol', 'null'],
    ['a Map', 'returnsMap', '{}'],
    ['a Set', 'returnsSet', '{}'],
    // Function and symbol fields dropped, null in an array.
    ['functions, symbols and a Map inside an object', 'nested', '{"list":[null,null],"map":{}}'],
  ])('%s → %s', async (_, kind, body) => {
    const answer = await invoke({ kind });
    expect(answer).toMatchObject({ status: 200, functionError: null, body });
    expect(invokeErrorLine(answer.log)).toBeUndefined();
    await stillAnswers();
  });
});

describe('the 6 MB sync response limit counts UTF-8 bytes of the JSON', () => {
  const tooLarge = {
    errorType: 'Function.ResponseSizeTooLarge',
    errorMessage: `Response payload size exceeded maximum allowed payload size (${MB6} bytes).`,
    trace: [],
  };

  it.each([
    ['exactly 6 MB of one-byte characters', 'x', MB6],
    ['exactly 6 MB of two-byte characters', 'é', MB6],
  ])('%s is answered whole', async (_, char, bytes) => {
    const answer = await invoke({ kind: 'sized', char, bytes });
    expect(answer).toMatchObject({ status: 200, functionError: null });
    expect(Buffer.byteLength(answer.body)).toBe(bytes);
    expect(answer.body).toBe(JSON.stringify(char.repeat((bytes - 2) / Buffer.byteLength(char))));
  });

  it.each([
    ['one byte over, in one-byte characters', 'x', MB6 + 1],
    // Under 6 M characters (3,145,730), over 6 MB: the limit is on bytes.
    ['two bytes over, in two-byte characters', 'é', MB6 + 2],
  ])('%s fails with Function.ResponseSizeTooLarge, environment kept', async (_, char, bytes) => {
    const answer = await invoke({ kind: 'sized', char, bytes });
    expect(answer).toMatchObject({ status: 200, functionError: 'Unhandled' });
    expect(JSON.parse(answer.body)).toEqual(tooLarge);
    await stillAnswers();
  });
});

describe('a thrown non-Error is reported as the runtime’s toRapidResponse reports it', () => {
  const handled = 'callback called with Error argument, but there was a problem while retrieving one or more of its message, name, and stack';
  it.each([
    ['a string', 'throwsString', { errorType: 'string', errorMessage: 'just a string', trace: [] }],
    ['a number', 'throwsNumber', { errorType: 'number', errorMessage: '42', trace: [] }],
    ['an object with a cyclic reference', 'throwsCyclic', { errorType: 'object', errorMessage: '[object Object]', trace: [] }],
    // Shaped like an Error, so reported as one; the cycle is not in name, message or stack.
    ['an Error-shaped object with a cyclic reference', 'throwsCyclicDuck', { errorType: 'LoopError', errorMessage: 'goes round', trace: ['LoopError: goes round', '    at loop'] }],
    ['an Error whose message getter throws', 'messageGetterThrows', { errorType: 'handled', errorMessage: handled, trace: [] }],
    ['an object String() cannot convert', 'throwsBareObject', { errorType: 'handled', errorMessage: handled, trace: [] }],
  ])('%s', async (_, kind, error) => {
    const answer = await invoke({ kind });
    expect(answer).toMatchObject({ status: 200, functionError: 'Unhandled' });
    expect(JSON.parse(answer.body)).toEqual(error);
    // Its "Invoke Error" line is written, as JSON, whatever the value (a cycle falls back to the payload's shape).
    expect(invokeErrorLine(answer.log)).toMatchObject({ errorType: expect.any(String), errorMessage: expect.any(String) });
    await stillAnswers();
  });
});

describe('after all of it', () => {
  it('the host is up, nothing is running, and the one environment is still the first', async () => {
    await stillAnswers();
    expect(host.governor.running('results')).toBe(0);
    const health = await fetch(`${url}/2015-03-31/functions/results/invocations`, { method: 'POST', body: '{"kind":"fine"}' });
    expect(health.status).toBe(200);
  });
});
