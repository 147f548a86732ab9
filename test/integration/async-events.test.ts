import { resolve } from 'node:path';
import { InvokeCommand, LambdaClient, RequestTooLargeException, ResourceNotFoundException } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHost, type Host } from '../../runtime/index.js';
import { Gate } from '../support/gate.js';
import { tempDir } from '../support/temp-dir.js';

const handlers = resolve(import.meta.dirname, '../fixtures/handlers');
const state = tempDir();
const gate = new Gate();
let host: Host;
let url: string;
let lambda: LambdaClient;

beforeAll(async () => {
  await gate.open();
  host = await createHost({
    rootDir: handlers,
    config: {
      stateDir: state.path,
      functions: {
        echo: { handler: './echo.mjs' },
        flaky: { handler: './flaky.mjs', async: { retryDelaysMs: [10, 10], onSuccess: 'echo' } },
        doomed: { handler: './faults.mjs#throws', async: { maxRetries: 1, retryDelaysMs: [10] } },
        once: { handler: './faults.mjs#throws', async: { maxRetries: 0, onFailure: 'echo' } },
        disabled: { handler: './echo.mjs', reservedConcurrency: 0 },
        gated: { handler: './gated.mjs', reservedConcurrency: 1, timeoutMs: 10_000 },
        strict: { handler: './echo.mjs', inputSchema: { type: 'object', required: ['name'] } },
      },
    },
  });
  ({ url } = await host.listen({ port: 0 }));
  lambda = new LambdaClient({ endpoint: url, region: 'us-east-1', maxAttempts: 1, credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
});

afterAll(async () => {
  lambda?.destroy();
  await host?.close();
  await gate.close();
  state.remove();
});

describe('Event invocations', () => {
  it('answers 202 with a request id once the event is stored, then runs it', async () => {
    const out = await lambda.send(new InvokeCommand({ FunctionName: 'echo', InvocationType: 'Event', Payload: '{"async":1}' }));
    expect(out.StatusCode).toBe(202);
    const id = out.$metadata.requestId!;
    // Stored before the 202: the record exists now.
    expect(await host.invocations.get(id)).toMatchObject({ id, functionName: 'echo' });
    const done = await host.invocations.waitForFinal(id);
    expect(done).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
    expect(JSON.parse(done.result!)).toMatchObject({ event: { async: 1 }, requestId: id });
    // The record's tail is the log as Lambda writes it, not the handler's output alone.
    expect(done.logTail).toMatch(new RegExp(`^START RequestId: ${id} Version: \\$LATEST\n[\\s\\S]*echo \\{"async":1\\}[\\s\\S]*\nEND RequestId: ${id}\nREPORT RequestId: ${id}\tDuration: `));
  });

  it('a wait that found the record final leaves nothing behind: aborting its signal later rejects nothing', async () => {
    const accepted = await host.invoke('echo', { late: 1 }, { type: 'Event' });
    await host.invocations.waitForFinal(accepted.requestId);
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on('unhandledRejection', onUnhandled);
    try {
      // The HTTP API's `?wait=` passes a timeout signal that fires long after the answer went out.
      const controller = new AbortController();
      expect((await host.invocations.waitForFinal(accepted.requestId, controller.signal)).status).toBe('SUCCEEDED');
      controller.abort(new Error('the wait timed out after the answer'));
      // Rejections nobody handles are reported once the microtasks and this turn's immediates have run.
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('retries a failing event with the same request id, then routes success to onSuccess', async () => {
    const destinations: string[] = [];
    const stop = host.invocations.watch((r) => {
      if (r.functionName === 'echo' && r.status === 'SUCCEEDED') destinations.push(r.result!);
    });
    const accepted = await host.invoke('flaky', { failTimes: 2 }, { type: 'Event' });
    const done = await host.invocations.waitForFinal(accepted.requestId);
    expect(done).toMatchObject({ status: 'SUCCEEDED', attempts: 3 });
    expect(JSON.parse(done.result!)).toEqual({ attempt: 3, requestId: accepted.requestId });
    const log = host.log.get(accepted.requestId)!.text;
    expect(log.match(new RegExp(`START RequestId: ${accepted.requestId}`, 'g'))).toHaveLength(3);
    // The onSuccess destination (echo) receives Lambda's destination record.
    const echoed = await waitFor(() => destinations.map((d) => JSON.parse(d).event).find((e) => e.requestContext?.requestId === accepted.requestId));
    stop();
    expect(echoed).toMatchObject({
      version: '1.0',
      requestContext: { requestId: accepted.requestId, condition: 'Success', approximateInvokeCount: 3, functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:flaky:$LATEST' },
      requestPayload: { failTimes: 2 },
      responseContext: { statusCode: 200, executedVersion: '$LATEST' },
      responsePayload: { attempt: 3, requestId: accepted.requestId },
    });
  });

  it('sends an event whose retries run out to the dead-letter store; redrive runs it again', async () => {
    const accepted = await host.invoke('doomed', { n: 1 }, { type: 'Event' });
    const done = await host.invocations.waitForFinal(accepted.requestId);
    expect(done).toMatchObject({ status: 'FAILED', attempts: 2, error: { errorType: 'ValidationError', errorMessage: 'bad input' } });
    // Both attempts' logs, as one retried request's log holds them.
    expect(done.logTail?.match(new RegExp(`^REPORT RequestId: ${accepted.requestId}\t`, 'gm'))).toHaveLength(2);
    const letter = await waitFor(async () => (await host.invocations.deadLetters.list({ functionName: 'doomed' })).find((d) => d.event.requestId === accepted.requestId));
    expect(letter).toMatchObject({ condition: 'RetriesExhausted', attempts: 2, event: { payload: '{"n":1}' } });
    expect(JSON.parse(letter.destinationRecord!)).toMatchObject({
      requestContext: { condition: 'RetriesExhausted', approximateInvokeCount: 2 },
      requestPayload: { n: 1 },
      responseContext: { functionError: 'Unhandled' },
      responsePayload: { errorType: 'ValidationError', errorMessage: 'bad input' },
    });
    // Stored once: the letter's event and error are not repeated inside its stored record.
    const stored = await host.backend.getDeadLetter(letter.id);
    expect(stored?.destinationRecord).not.toContain('bad input');
    expect(JSON.parse(stored!.destinationRecord!)).not.toHaveProperty('requestPayload');
    const viaHttp = await (await fetch(`${url}/dead-letters/${letter.id}`)).json();
    expect(viaHttp).toMatchObject({ id: letter.id, condition: 'RetriesExhausted' });
    const redriven = await (await fetch(`${url}/dead-letters/${letter.id}/redrive`, { method: 'POST' })).json() as { id: string };
    expect(await host.invocations.deadLetters.get(letter.id)).toBeUndefined();
    // The letter is gone: redrive, show and delete all answer 404 with the same words.
    for (const [path, method] of [['/redrive', 'POST'], ['', 'GET'], ['', 'DELETE']] as const) {
      const gone = await fetch(`${url}/dead-letters/${letter.id}${path}`, { method });
      expect(gone.status).toBe(404);
      expect(await gone.json()).toMatchObject({ message: `Dead letter not found: ${letter.id}` });
    }
    expect((await host.invocations.waitForFinal(redriven.id)).status).toBe('FAILED');
  });

  it('routes a failure to an onFailure function with the destination record', async () => {
    const accepted = await host.invoke('once', { n: 2 }, { type: 'Event' });
    expect((await host.invocations.waitForFinal(accepted.requestId)).attempts).toBe(1);
    const record = await waitFor(async () => (await host.invocations.list({ functionName: 'echo', status: 'SUCCEEDED' }))
      .map((r) => JSON.parse(r.result!).event).find((e) => e.requestContext?.requestId === accepted.requestId));
    expect(record.requestContext.condition).toBe('RetriesExhausted');
  });

  it('routes a failure whose record would pass the 1 MB event limit without its payloads, as Lambda drops them, rather than not at all', async () => {
    // An event just under 1 MB is accepted; its record (the event as requestPayload, the context, the error) is past 1 MB.
    const accepted = await host.invoke('once', { blob: 'x'.repeat(1_048_500) }, { type: 'Event' });
    expect((await host.invocations.waitForFinal(accepted.requestId)).status).toBe('FAILED');
    const record = await waitFor(async () => (await host.invocations.list({ functionName: 'echo', status: 'SUCCEEDED' }))
      .map((r) => JSON.parse(r.result!).event).find((e) => e.requestContext?.requestId === accepted.requestId));
    expect(record).toMatchObject({ requestContext: { condition: 'RetriesExhausted', approximateInvokeCount: 1 }, responseContext: { functionError: 'Unhandled' } });
    expect(record).not.toHaveProperty('requestPayload');
    expect(record).not.toHaveProperty('responsePayload');
  });

  it('sends events of a function reserved at 0 straight to the failure destination', async () => {
    const accepted = await host.invoke('disabled', {}, { type: 'Event' });
    const done = await host.invocations.waitForFinal(accepted.requestId);
    expect(done).toMatchObject({ status: 'FAILED', error: { errorType: 'TooManyRequestsException' } });
    expect(host.registry.get('disabled')!.pool.stats().created).toBe(0);
  });

  it('keeps an event queued while its function is at its concurrency limit, then runs it', async () => {
    const sync = host.invoke('gated', { gate: gate.url });
    await gate.arrived(1);
    const accepted = await host.invoke('gated', { gate: gate.url }, { type: 'Event' });
    expect((await host.invocations.get(accepted.requestId))!.status).toBe('QUEUED');
    gate.release('first');
    await sync;
    await gate.arrived(1);
    expect(gate.held).toEqual([accepted.requestId]);
    gate.release('second');
    const done = await host.invocations.waitForFinal(accepted.requestId);
    expect(done).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
    expect(JSON.parse(done.result!).released).toBe('second');
  });

  it('refuses bad events before the 202 with Lambda’s errors, storing nothing', async () => {
    const before = (await host.invocations.list({ limit: 1000 })).length;
    await expect(lambda.send(new InvokeCommand({ FunctionName: 'nope', InvocationType: 'Event' }))).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(lambda.send(new InvokeCommand({ FunctionName: 'echo', InvocationType: 'Event', Payload: `"${'x'.repeat(1024 * 1024)}"` })))
      .rejects.toBeInstanceOf(RequestTooLargeException);
    const bad = await fetch(`${url}/2015-03-31/functions/echo/invocations`, { method: 'POST', body: 'nope', headers: { 'X-Amz-Invocation-Type': 'Event' } });
    expect(bad.status).toBe(400);
    await expect(host.invoke('strict', {}, { type: 'Event' })).rejects.toMatchObject({ code: 'InvalidRequestContentException' });
    expect((await host.invocations.list({ limit: 1000 })).length).toBe(before);
  });

  it('takes a caller\'s request id only in a form every backend and the /invocations route can key by', async () => {
    for (const requestId of ['a:b', 'x'.repeat(129), '', 'sp ace', 'ü', 'a/b']) {
      await expect(host.invoke('echo', {}, { type: 'Event', requestId })).rejects.toMatchObject({ code: 'InvalidParameterValueException', message: expect.stringContaining('requestId must be') });
      await expect(host.invocations.deadLetters.redrive('whatever', { requestId })).rejects.toMatchObject({ code: 'InvalidParameterValueException' });
    }
    const chosen = `mine_${Date.now()}-1`;
    expect((await host.invoke('echo', { chosen: true }, { type: 'Event', requestId: chosen })).requestId).toBe(chosen);
    expect(await host.invocations.waitForFinal(chosen)).toMatchObject({ status: 'SUCCEEDED' });
  });

  it('reads a page of large records over HTTP only up to its size budget, and says so', async () => {
    // 20 results of ~900 KB: 18 MB, past the 16 MB a page reads; the newest come whole, the rest are left out.
    const blob = 'b'.repeat(900_000);
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push((await host.invoke('echo', { blob, i }, { type: 'Event' })).requestId);
    for (const id of ids) expect((await host.invocations.waitForFinal(id)).status).toBe('SUCCEEDED');
    const response = await fetch(`${url}/invocations?function=echo&limit=1000`);
    const text = await response.text();
    const page = JSON.parse(text) as { invocations: Array<{ id: string; result: string }>; truncated?: boolean; leftOut: string[]; message?: string };
    expect(response.status).toBe(200);
    expect(page).toMatchObject({ truncated: true, message: expect.stringMatching(/left out of this page: read each by id/) });
    const large = page.invocations.filter((r) => ids.includes(r.id));
    expect(large.length).toBeGreaterThan(10);
    // Every record is either on the page or named as left out (and readable by id).
    expect([...large.map((r) => r.id), ...page.leftOut.filter((id) => ids.includes(id))].sort()).toEqual([...ids].sort());
    expect((await (await fetch(`${url}/invocations/${page.leftOut[0]}`)).json())).toMatchObject({ status: 'SUCCEEDED' });
    for (const record of large) expect(JSON.parse(record.result)).toMatchObject({ event: { blob } });
    expect(text.length).toBeLessThan(17 * 1024 * 1024);
    // A smaller page that fits is whole.
    expect(await (await fetch(`${url}/invocations?function=echo&limit=3`)).json()).not.toHaveProperty('truncated');
  });

  it('serves records over HTTP, waiting for the final state with ?wait=', async () => {
    const accepted = await host.invoke('echo', { http: true }, { type: 'Event' });
    const record = await (await fetch(`${url}/invocations/${accepted.requestId}?wait=10`)).json() as { status: string };
    expect(record.status).toBe('SUCCEEDED');
    const list = await (await fetch(`${url}/invocations?function=echo&limit=5`)).json() as { invocations: unknown[] };
    expect(list.invocations.length).toBeGreaterThan(0);
    expect((await fetch(`${url}/invocations/nope`)).status).toBe(404);
    expect((await fetch(`${url}/invocations?status=WEIRD`)).status).toBe(400);
    expect((await fetch(`${url}/invocations/${accepted.requestId}?wait=999`)).status).toBe(400);
    // Plain digits only: what Number() would also take is refused, not read as 0 or 10.
    for (const wait of ['', '%20', '1e1', '0x1', '-0']) expect((await fetch(`${url}/invocations/${accepted.requestId}?wait=${wait}`)).status, wait).toBe(400);
    expect((await fetch(`${url}/invocations/${accepted.requestId}?wait=0.5`)).status).toBe(200);
  });
});

/** Resolves with the first truthy value `probe` gives, re-probing on each record change. */
async function waitFor<T>(probe: () => T | undefined | Promise<T | undefined>): Promise<T> {
  let stop: (() => void) | undefined;
  try {
    return await new Promise<T>((resolve, reject) => {
      const check = () => Promise.resolve(probe()).then((v) => v && resolve(v), reject);
      stop = host.invocations.watch(() => void check());
      void check();
    });
  } finally {
    stop?.();
  }
}
