import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  InvalidParameterValueException, InvokeCommand, InvokeWithResponseStreamCommand, LambdaClient, RequestTooLargeException, ResourceNotFoundException,
  type InvokeWithResponseStreamCommandOutput, type InvokeWithResponseStreamCompleteEvent,
} from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHost, type Host, type InvocationOutcome } from '../../runtime/index.js';
import { Gate } from '../support/gate.js';
import { tempDir } from '../support/temp-dir.js';

// InvokeWithResponseStream through the real @aws-sdk/client-lambda against a real host on a free port.
const handlers = resolve(import.meta.dirname, '../fixtures/handlers');
const state = tempDir();
// Handlers of this file's own, next to the state: what a content type may not be.
const contentTypes = resolve(state.path, 'content-types.mjs');
const CONTENT_TYPE_HANDLERS = `
export const injects = awslambda.streamifyResponse(async (event, responseStream) => {
  responseStream.setContentType('text/plain\\r\\nX-Evil: 1');
  responseStream.write('hi');
  responseStream.end();
});
export const recovers = awslambda.streamifyResponse(async (event, responseStream) => {
  try {
    responseStream.setContentType('text/plain\\nX-Evil: 1');
  } catch (error) {
    responseStream.write(\`\${error.name}:\${error.code};\`);
  }
  responseStream.end('hi');
});
`;
const gate = new Gate();
let host: Host;
let url: string;
let lambda: LambdaClient;
const MB = 1024 * 1024;
const text = (bytes: Uint8Array | undefined) => Buffer.from(bytes ?? []).toString('utf8');

beforeAll(async () => {
  writeFileSync(contentTypes, CONTENT_TYPE_HANDLERS);
  await gate.open();
  host = await createHost({
    rootDir: handlers,
    logger: { level: 'silent' },
    config: {
      stateDir: state.path,
      functions: {
        chunks: { handler: './streaming.mjs#chunks' },
        gated: { handler: './streaming.mjs#gated', timeoutMs: 15_000 },
        failsMidStream: { handler: './streaming.mjs#failsMidStream' },
        hangsMidStream: { handler: './streaming.mjs#hangsMidStream', timeoutMs: 500 },
        httpResponse: { handler: './streaming.mjs#httpResponse' },
        logs: { handler: './streaming.mjs#logs' },
        big: { handler: './streaming.mjs#big', memoryMB: 512, timeoutMs: 15_000 },
        contentType: { handler: './streaming.mjs#contentType' },
        typedEmpty: { handler: './streaming.mjs#typedEmpty' },
        paced: { handler: './streaming.mjs#paced', timeoutMs: 30_000 },
        dryRunOnly: { handler: './streaming.mjs#logs' },
        echo: { handler: './echo.mjs' },
        throws: { handler: './faults.mjs#throws' },
        injectsContentType: { handler: `${contentTypes}#injects` },
        recoversContentType: { handler: `${contentTypes}#recovers` },
      },
    },
  });
  ({ url } = await host.listen({ port: 0 }));
  lambda = new LambdaClient({
    endpoint: url, region: 'us-east-1', maxAttempts: 1,
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
  });
});

afterAll(async () => {
  lambda?.destroy();
  gate.release('closing');
  await host?.close();
  await gate.close();
  state.remove();
});

interface Streamed {
  chunks: string[];
  bytes: Buffer;
  complete: InvokeWithResponseStreamCompleteEvent | undefined;
  /** Events after InvokeComplete (there must be none). */
  after: number;
}

/** Reads a whole event stream: the payload chunks in order, then the InvokeComplete event. */
async function drain(out: InvokeWithResponseStreamCommandOutput): Promise<Streamed> {
  const parts: Buffer[] = [];
  let complete: InvokeWithResponseStreamCompleteEvent | undefined;
  let after = 0;
  for await (const event of out.EventStream!) {
    if (complete) after++;
    if (event.PayloadChunk) parts.push(Buffer.from(event.PayloadChunk.Payload ?? []));
    if (event.InvokeComplete) complete = event.InvokeComplete;
  }
  return { chunks: parts.map((part) => part.toString('utf8')), bytes: Buffer.concat(parts), complete, after };
}

function stream(FunctionName: string, payload: unknown = {}, extra: Partial<ConstructorParameters<typeof InvokeWithResponseStreamCommand>[0]> = {}) {
  return lambda.send(new InvokeWithResponseStreamCommand({ FunctionName, Payload: JSON.stringify(payload), ...extra }));
}

function nextOutcome(functionName: string): Promise<InvocationOutcome> {
  return new Promise((done) => host.invoker.onOutcome((o) => o.functionName === functionName && done(o)));
}

/** `promise`, or a failure naming `what` after `ms` (instead of hanging until the test times out). */
function within<T>(promise: Promise<T>, what: string, ms = 5_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

describe('InvokeWithResponseStream through @aws-sdk/client-lambda', () => {
  it('streams a streaming handler’s writes as PayloadChunk events, in order, then InvokeComplete', async () => {
    const out = await stream('chunks', { chunks: ['alpha;', 'beta;', 'gamma;', { bytes: [0, 255, 1] }] });
    expect(out.StatusCode).toBe(200);
    expect(out.ExecutedVersion).toBe('$LATEST');
    // The stream's own content type (the runtime's default when the handler sets none).
    expect(out.ResponseStreamContentType).toBe('application/octet-stream');
    expect(out.$metadata.requestId).toMatch(/^[0-9a-f-]{36}$/);
    const got = await drain(out);
    expect(got.chunks.slice(0, 3)).toEqual(['alpha;', 'beta;', 'gamma;']);
    expect([...got.bytes.subarray(-3)]).toEqual([0, 255, 1]);
    expect(got.complete).toEqual({});
    expect(got.after).toBe(0);
  });

  it('delivers the first chunk while the handler is still running', async () => {
    const finished = nextOutcome('gated');
    const out = await within(stream('gated', { gate: gate.url }), 'the response headers before the handler finished');
    const events = out.EventStream![Symbol.asyncIterator]();
    const first = await within(events.next(), 'the first chunk before the handler finished');
    expect(text(first.value?.PayloadChunk?.Payload)).toBe('first chunk;');
    // The handler is still held at the gate: nothing has finished yet.
    await gate.arrived(1);
    expect(gate.held).toEqual([out.$metadata.requestId]);
    gate.release('go on');
    const second = await events.next();
    expect(text(second.value?.PayloadChunk?.Payload)).toBe('released: go on');
    const last = await events.next();
    expect(last.value?.InvokeComplete).toEqual({});
    expect((await events.next()).done).toBe(true);
    const outcome = await finished;
    expect(outcome.requestId).toBe(out.$metadata.requestId);
    expect(outcome.error).toBeUndefined();
  });

  it('keeps the chunks sent before a handler error, then reports the error in InvokeComplete', async () => {
    const outcome = nextOutcome('failsMidStream');
    const got = await drain(await stream('failsMidStream', {}, { LogType: 'Tail' }));
    expect(got.chunks).toEqual(['partial output;']);
    expect(got.complete).toMatchObject({ ErrorCode: 'ValidationError', ErrorDetails: 'broke mid-stream' });
    // Logged as Lambda's runtime logs a failed invocation.
    expect(Buffer.from(got.complete!.LogResult!, 'base64').toString('utf8')).toContain('Invoke Error');
    expect((await outcome).error).toMatchObject({ errorType: 'ValidationError' });
  });

  it('keeps the chunks sent before a timeout, then reports Sandbox.Timedout', async () => {
    const got = await drain(await stream('hangsMidStream'));
    expect(got.chunks).toEqual(['before the timeout;']);
    expect(got.complete?.ErrorCode).toBe('Sandbox.Timedout');
    expect(got.complete?.ErrorDetails).toMatch(/Task timed out after 0\.50 seconds/);
    // The timed-out environment is replaced: the function answers again.
    const again = await drain(await stream('hangsMidStream'));
    expect(again.chunks).toEqual(['before the timeout;']);
  });

  it('answers a non-streaming handler’s JSON payload as one PayloadChunk', async () => {
    const got = await drain(await stream('echo', { hello: 'stream' }));
    expect(got.chunks).toHaveLength(1);
    expect(JSON.parse(got.chunks[0]!).event).toEqual({ hello: 'stream' });
    expect(got.complete).toEqual({});
  });

  it('reports a non-streaming handler’s error in InvokeComplete, with no chunk', async () => {
    const got = await drain(await stream('throws'));
    expect(got.chunks).toEqual([]);
    expect(got.complete).toMatchObject({ ErrorCode: 'ValidationError', ErrorDetails: 'bad input' });
  });

  it('writes what HttpResponseStream.from puts first: the JSON prelude and 8 NUL bytes, then the body', async () => {
    const got = await drain(await stream('httpResponse'));
    const prelude = JSON.stringify({ statusCode: 201, headers: { 'content-type': 'text/html', 'x-custom': 'yes' }, cookies: ['a=1'] });
    expect(got.bytes.equals(Buffer.concat([Buffer.from(prelude), Buffer.alloc(8), Buffer.from('<h1>streamed</h1><p>done</p>')]))).toBe(true);
  });

  it('writes objects as JSON and refuses setContentType after the first write, as Lambda’s runtime does', async () => {
    const out = await stream('contentType');
    // What the handler set before its first write reaches the caller.
    expect(out.ResponseStreamContentType).toBe('text/plain');
    const got = await drain(out);
    expect(got.bytes.toString('utf8')).toBe('{"an":"object"};Runtime.InvalidStreamingOperation: Cannot set content-type, too late.');
  });

  it('names an empty response by the content type its handler set', async () => {
    const out = await stream('typedEmpty');
    expect(out.ResponseStreamContentType).toBe('text/html');
    const got = await drain(out);
    expect(got.chunks).toEqual([]);
    expect(got.complete).toEqual({});
  });

  it('refuses a content type with CR/LF at setContentType: the handler gets a TypeError, the invocation fails visibly', async () => {
    const out = await stream('injectsContentType');
    expect(out.StatusCode).toBe(200);
    expect(out.ResponseStreamContentType).toBe('application/octet-stream');
    expect(out.$metadata.httpStatusCode).toBe(200);
    const got = await drain(out);
    // Nothing was written, and InvokeComplete says why: never a success with the output gone.
    expect(got.chunks).toEqual([]);
    expect(got.complete).toMatchObject({ ErrorCode: 'TypeError', ErrorDetails: expect.stringContaining('Invalid content type') });
  });

  it('keeps the default content type and every byte when a handler catches that TypeError', async () => {
    const out = await stream('recoversContentType');
    expect(out.ResponseStreamContentType).toBe('application/octet-stream');
    const got = await drain(out);
    expect(got.bytes.toString('utf8')).toBe('TypeError:ERR_INVALID_CHAR;hi');
    expect(got.complete).toEqual({});
  });

  it('never reports success when the stream’s consumer fails: the invocation rejects with ServiceException', async () => {
    // The first chunk is taken, the second fails: the rest is not sent (a gap would corrupt the stream).
    const outcomes: Array<{ requestId: string; error?: { errorType: string } }> = [];
    host.invoker.onOutcome((o) => outcomes.push(o));
    const taken: string[] = [];
    const call = host.invoker.invokeWithResponseStream('chunks', { chunks: ['one;', 'two;', 'three;'] }, (bytes, release) => {
      if (taken.length === 1) throw new Error('the consumer broke');
      taken.push(Buffer.from(bytes).toString('utf8'));
      release();
    });
    await expect(call).rejects.toMatchObject({
      name: 'ServiceException', code: 'ServiceException', message: expect.stringContaining('the consumer broke'), cause: expect.any(Error),
    });
    expect(taken).toEqual(['one;']);
    // Counted as failed, not as a success (metrics and records read these outcomes).
    expect(outcomes.at(-1)?.error).toMatchObject({ errorType: 'ServiceException' });
    // A non-streaming handler's one chunk goes through the same check.
    await expect(host.invoker.invokeWithResponseStream('echo', {}, () => {
      throw new Error('no');
    })).rejects.toMatchObject({ code: 'ServiceException' });
    expect(outcomes.at(-1)?.error).toMatchObject({ errorType: 'ServiceException' });
    // The function is fine: the next call streams in full.
    expect((await drain(await stream('chunks', { chunks: ['a;', 'b;'] }))).chunks).toEqual(['a;', 'b;']);
  });

  it('returns the log tail in InvokeComplete with LogType Tail', async () => {
    const out = await stream('logs', { say: 'hi' }, { LogType: 'Tail' });
    const got = await drain(out);
    expect(got.chunks).toEqual(['logged']);
    const log = Buffer.from(got.complete!.LogResult!, 'base64').toString('utf8');
    expect(log).toContain(`START RequestId: ${out.$metadata.requestId}`);
    expect(log).toContain('streaming handler says hi');
    expect(log).toContain(`END RequestId: ${out.$metadata.requestId}`);
    expect(log).toMatch(/REPORT RequestId: .*Duration: .*Billed Duration: .*Memory Size: 128 MB\tMax Memory Used: \d+ MB/);
    // And the host's invocation log has it too, as for Invoke.
    expect(host.log.get(out.$metadata.requestId!)?.text).toContain('streaming handler says hi');
  });

  it('fails a response past 20 MB with Function.ResponseSizeTooLarge, after streaming up to the limit', async () => {
    const got = await drain(await stream('big', { mb: 21 }));
    expect(got.bytes.length).toBeGreaterThan(19 * MB);
    expect(got.bytes.length).toBeLessThanOrEqual(20 * MB);
    expect(got.complete?.ErrorCode).toBe('Function.ResponseSizeTooLarge');
    expect(got.complete?.ErrorDetails).toContain(`${20 * MB} bytes`);
    // Under the limit it all arrives.
    const small = await drain(await stream('big', { mb: 3 }));
    expect(small.bytes.length).toBe(3 * MB);
    expect(small.complete).toEqual({});
  });

  it('answers DryRun with 204 and no events, without running the function', async () => {
    const out = await stream('dryRunOnly', {}, { InvocationType: 'DryRun' });
    expect(out.StatusCode).toBe(204);
    expect((await drain(out)).chunks).toEqual([]);
    // Nothing else invokes it: no environment was ever made for it, now or in the background.
    expect(host.registry.get('dryRunOnly')!.pool.stats().created).toBe(0);
  });

  it('refuses InvocationType Event with 400 InvalidParameterValueException', async () => {
    const call = lambda.send(new InvokeWithResponseStreamCommand({ FunctionName: 'chunks', InvocationType: 'Event' as 'DryRun' }));
    await expect(call).rejects.toBeInstanceOf(InvalidParameterValueException);
    await expect(call).rejects.toMatchObject({ $metadata: { httpStatusCode: 400 } });
  });

  it('answers 404 ResourceNotFoundException for an unknown function', async () => {
    const call = stream('nope');
    await expect(call).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(call).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
  });

  it('answers 413 RequestTooLargeException for a payload over the sync limit', async () => {
    const call = lambda.send(new InvokeWithResponseStreamCommand({ FunctionName: 'chunks', Payload: JSON.stringify({ pad: 'x'.repeat(6 * MB) }) }));
    await expect(call).rejects.toBeInstanceOf(RequestTooLargeException);
    await expect(call).rejects.toMatchObject({ $metadata: { httpStatusCode: 413 } });
  });
});

describe('a streaming handler through plain Invoke', () => {
  it('returns what it wrote, buffered, as the payload bytes', async () => {
    const out = await lambda.send(new InvokeCommand({ FunctionName: 'chunks', Payload: JSON.stringify({ chunks: ['a;', 'b;', { bytes: [0, 200, 255] }] }) }));
    expect(out.StatusCode).toBe(200);
    expect(out.FunctionError).toBeUndefined();
    expect([...(out.Payload ?? [])]).toEqual([...Buffer.from('a;b;'), 0, 200, 255]);
  });

  it('fails past the sync response limit with Function.ResponseSizeTooLarge', async () => {
    const out = await lambda.send(new InvokeCommand({ FunctionName: 'big', Payload: JSON.stringify({ mb: 7 }) }));
    expect(out.FunctionError).toBe('Unhandled');
    expect(JSON.parse(text(out.Payload))).toMatchObject({ errorType: 'Function.ResponseSizeTooLarge' });
  });

  it('reports a failure mid-stream as Invoke does: FunctionError Unhandled with the error payload', async () => {
    const out = await lambda.send(new InvokeCommand({ FunctionName: 'failsMidStream' }));
    expect(out.FunctionError).toBe('Unhandled');
    expect(JSON.parse(text(out.Payload))).toMatchObject({ errorType: 'ValidationError', errorMessage: 'broke mid-stream' });
  });
});

describe('a client that reads slowly', () => {
  it('paces the handler: write() returns false until the client has taken the bytes, so the host holds little', async () => {
    const done = nextOutcome('paced');
    let finished = false;
    void done.then(() => (finished = true));
    const { request } = await import('node:http');
    const target = new URL(url);
    const response = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
      const req = request({ host: target.hostname, port: target.port, method: 'POST', path: '/2021-11-15/functions/paced/response-streaming-invocations', agent: false }, resolve);
      req.on('error', reject);
      req.end(JSON.stringify({ gate: gate.url }));
    });
    response.pause(); // reads nothing for now
    try {
      // The handler was told to wait for 'drain' while the client had read nothing.
      await within(gate.arrived(1), 'the handler waiting for drain');
      expect(finished).toBe(false);
      gate.release();
      let bytes = 0;
      response.on('data', (chunk: Buffer) => (bytes += chunk.length));
      response.resume(); // paused explicitly: a 'data' listener alone does not restart it
      await within(new Promise((resolve) => response.on('end', resolve)), 'the end of the response', 15_000);
      await within(done, 'the outcome');
      // 16 MB of payload arrived, framed (each 64 KB chunk in its own frame, plus InvokeComplete).
      expect(bytes).toBeGreaterThan(16 * MB);
    } finally {
      response.destroy();
    }
  });
});

describe('a client that hangs up mid-stream', () => {
  it('leaves the host healthy: the invocation finishes and the warm environment serves the next call', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning.message);
    process.on('warning', onWarning);
    try {
      const first = nextOutcome('gated');
      const controller = new AbortController();
      const response = await fetch(`${url}/2021-11-15/functions/gated/response-streaming-invocations`, {
        method: 'POST', body: JSON.stringify({ gate: gate.url }), signal: controller.signal,
      });
      expect(response.headers.get('content-type')).toBe('application/octet-stream');
      const reader = response.body!.getReader();
      // The first frame carries the first chunk.
      expect(Buffer.from((await reader.read()).value!).toString('latin1')).toContain('first chunk;');
      await gate.arrived(1);
      controller.abort();
      await reader.read().catch(() => undefined);
      gate.release('after the hang-up');
      const finished = await first;
      expect(finished.error).toBeUndefined();

      const second = nextOutcome('gated');
      const again = stream('gated', { gate: gate.url });
      await gate.arrived(1);
      gate.release('warm');
      const got = await drain(await again);
      expect(got.chunks).toEqual(['first chunk;', 'released: warm']);
      const warm = await second;
      expect(warm.environmentId).toBe(finished.environmentId);
      expect(warm.initDurationMs).toBeUndefined();
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      expect(warnings.filter((w) => w.includes('neolith'))).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });
});

describe('InvokeWithResponseStream with auth on', () => {
  let authState: ReturnType<typeof tempDir> | undefined;
  let authHost: Host;
  let alice: LambdaClient;
  let bob: LambdaClient;

  beforeAll(async () => {
    authHost = await createHost({
      rootDir: handlers,
      logger: { level: 'silent' },
      config: {
        stateDir: (authState = tempDir()).path,
        accountId: '111111111111',
        functions: { secret: { handler: './echo.mjs' } },
        auth: {
          anonymous: 'deny',
          principals: {
            alice: { accessKeyId: 'AKIAALICE00000000001', secretAccessKey: 'alice-secret' },
            bob: { accessKeyId: 'AKIABOB0000000000001', secretAccessKey: 'bob-secret' },
          },
          permissions: { secret: ['alice'] },
        },
      },
    });
    const { url: authUrl } = await authHost.listen({ port: 0 });
    const as = (accessKeyId: string, secretAccessKey: string) => new LambdaClient({
      endpoint: authUrl, region: 'us-east-1', maxAttempts: 1, credentials: { accessKeyId, secretAccessKey },
    });
    alice = as('AKIAALICE00000000001', 'alice-secret');
    bob = as('AKIABOB0000000000001', 'bob-secret');
  });

  afterAll(async () => {
    alice?.destroy();
    bob?.destroy();
    await authHost?.close();
    authState?.remove();
  });

  it('checks lambda:InvokeFunction as Invoke does, and passes the caller’s identity to the handler', async () => {
    const denied = bob.send(new InvokeWithResponseStreamCommand({ FunctionName: 'secret' }));
    await expect(denied).rejects.toMatchObject({ name: 'AccessDeniedException' });
    await expect(denied).rejects.toMatchObject({
      $metadata: { httpStatusCode: 403 },
      message: expect.stringContaining('is not authorized to perform: lambda:InvokeFunction on resource: arn:aws:lambda:us-east-1:111111111111:function:secret'),
    });
    const got = await drain(await alice.send(new InvokeWithResponseStreamCommand({ FunctionName: 'secret', Payload: '{"signed":true}' })));
    const body = JSON.parse(got.chunks.join(''));
    expect(body.event).toEqual({ signed: true });
    expect(body.identity).toMatchObject({ principal: 'alice', accountId: '111111111111' });
  });
});
