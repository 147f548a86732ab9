import { resolve } from 'node:path';
import {
  GetFunctionCommand, InvokeCommand, LambdaClient, ListFunctionsCommand, ResourceNotFoundException,
  TooManyRequestsException, InvalidRequestContentException, InvalidParameterValueException,
} from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveProcess, type ServeProcess } from '../support/serve-process.js';
import { tempDir } from '../support/temp-dir.js';

const handlers = resolve(import.meta.dirname, '../fixtures/handlers');
const state = tempDir();
let server: ServeProcess;
let lambda: LambdaClient;
const text = (bytes: Uint8Array | undefined) => Buffer.from(bytes ?? []).toString('utf8');

beforeAll(async () => {
  server = await serveProcess(['--config', resolve(handlers, 'api.config.json'), '--state', state.path]);
  lambda = new LambdaClient({
    endpoint: server.url, region: 'us-east-1', maxAttempts: 1,
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
  });
});

afterAll(async () => {
  lambda?.destroy();
  expect(await server?.stop()).toBe(0);
  state.remove();
});

describe('the Invoke API through @aws-sdk/client-lambda', () => {
  it('invokes RequestResponse and returns the payload, version and request id', async () => {
    const out = await lambda.send(new InvokeCommand({ FunctionName: 'echo', Payload: JSON.stringify({ hello: 'world' }) }));
    expect(out.StatusCode).toBe(200);
    expect(out.FunctionError).toBeUndefined();
    expect(out.ExecutedVersion).toBe('$LATEST');
    const body = JSON.parse(text(out.Payload));
    expect(body.event).toEqual({ hello: 'world' });
    expect(body.requestId).toBe(out.$metadata.requestId);
  });

  it('passes the client context from X-Amz-Client-Context', async () => {
    const ClientContext = Buffer.from(JSON.stringify({ custom: { tenant: 't1' } })).toString('base64');
    const out = await lambda.send(new InvokeCommand({ FunctionName: 'echo', ClientContext }));
    expect(JSON.parse(text(out.Payload)).clientContext).toEqual({ custom: { tenant: 't1' } });
  });

  it('returns the log tail with LogType Tail', async () => {
    const out = await lambda.send(new InvokeCommand({ FunctionName: 'echo', Payload: '{"n":1}', LogType: 'Tail' }));
    const log = Buffer.from(out.LogResult!, 'base64').toString('utf8');
    expect(log).toContain(`START RequestId: ${out.$metadata.requestId}`);
    expect(log).toContain('echo {"n":1}');
    expect(log).toMatch(/REPORT RequestId: .*Duration: .*Billed Duration: .*Memory Size: 128 MB\tMax Memory Used: \d+ MB/);
  });

  it('reports a function error as FunctionError Unhandled with Lambda’s error payload', async () => {
    const out = await lambda.send(new InvokeCommand({ FunctionName: 'throws' }));
    expect(out.StatusCode).toBe(200);
    expect(out.FunctionError).toBe('Unhandled');
    expect(JSON.parse(text(out.Payload))).toMatchObject({ errorType: 'ValidationError', errorMessage: 'bad input', trace: expect.any(Array) });
  });

  it('logs a function error with LogType Tail as Lambda’s runtime does: an "Invoke Error" line with the error as JSON', async () => {
    const out = await lambda.send(new InvokeCommand({ FunctionName: 'throws', LogType: 'Tail' }));
    const log = Buffer.from(out.LogResult!, 'base64').toString('utf8');
    expect(log).toMatch(new RegExp(`\\n\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\t${out.$metadata.requestId}\\tERROR\\tInvoke Error \\t\\{"errorType":"ValidationError","errorMessage":"bad input","name":"ValidationError","stack":\\["ValidationError: bad input",`));
  });

  it('takes every FunctionName form Lambda takes: name, name:qualifier, partial ARN and ARN, with or without qualifier', async () => {
    for (const FunctionName of [
      'echo:$LATEST', '000000000000:function:echo', '000000000000:function:echo:$LATEST',
      'arn:aws:lambda:us-east-1:000000000000:function:echo', 'arn:aws:lambda:us-east-1:000000000000:function:echo:$LATEST',
    ]) {
      const out = await lambda.send(new InvokeCommand({ FunctionName, Payload: '{"form":1}' }));
      expect(out.StatusCode, FunctionName).toBe(200);
      expect(JSON.parse(text(out.Payload)).event, FunctionName).toEqual({ form: 1 });
    }
  });

  it('answers 404 for an ARN or partial ARN of another account or region: that function is not here', async () => {
    for (const [FunctionName, message] of [
      ['123456789012:function:echo', 'Function not found: arn:aws:lambda:us-east-1:123456789012:function:echo'],
      ['arn:aws:lambda:us-east-1:123456789012:function:echo:$LATEST', 'Function not found: arn:aws:lambda:us-east-1:123456789012:function:echo:$LATEST'],
      ['arn:aws:lambda:eu-west-1:000000000000:function:echo', "Functions from 'eu-west-1' are not reachable in this region ('us-east-1')"],
    ] as const) {
      const call = lambda.send(new InvokeCommand({ FunctionName }));
      await expect(call, FunctionName).rejects.toBeInstanceOf(ResourceNotFoundException);
      await expect(call, FunctionName).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 }, message });
    }
  });

  it('refuses a FunctionName with extra segments with 400, instead of reading a part of it', async () => {
    for (const FunctionName of ['echo:$LATEST:x', '000000000000:function:echo:$LATEST:x', 'arn:aws:lambda:us-east-1:000000000000:function:echo:$LATEST:x', 'echo::$LATEST']) {
      const call = lambda.send(new InvokeCommand({ FunctionName }));
      await expect(call, FunctionName).rejects.toBeInstanceOf(InvalidParameterValueException);
      await expect(call, FunctionName).rejects.toMatchObject({ $metadata: { httpStatusCode: 400 } });
    }
  });

  it('takes a Qualifier that agrees with the name’s as if given once, and refuses one that does not with Lambda’s 400', async () => {
    for (const FunctionName of ['echo:$LATEST', 'arn:aws:lambda:us-east-1:000000000000:function:echo:$LATEST', '000000000000:function:echo']) {
      const out = await lambda.send(new InvokeCommand({ FunctionName, Qualifier: '$LATEST', Payload: '{}' }));
      expect(out.StatusCode, FunctionName).toBe(200);
    }
    for (const [FunctionName, Qualifier] of [['echo:$LATEST', '7'], ['arn:aws:lambda:us-east-1:000000000000:function:echo:7', '$LATEST'], ['nope:1', '2']]) {
      const call = lambda.send(new InvokeCommand({ FunctionName, Qualifier }));
      await expect(call, FunctionName).rejects.toBeInstanceOf(InvalidParameterValueException);
      await expect(call, FunctionName).rejects.toMatchObject({
        $metadata: { httpStatusCode: 400 }, message: 'The derived qualifier from the function name does not match the specified qualifier.',
      });
    }
    // The same rule for the other operations that take a Qualifier.
    await expect(lambda.send(new GetFunctionCommand({ FunctionName: 'echo:$LATEST', Qualifier: '7' }))).rejects.toBeInstanceOf(InvalidParameterValueException);
    expect((await lambda.send(new GetFunctionCommand({ FunctionName: 'echo:$LATEST', Qualifier: '$LATEST' }))).Configuration?.FunctionName).toBe('echo');
  });

  it('runs a TypeScript handler', async () => {
    const out = await lambda.send(new InvokeCommand({ FunctionName: 'typed', Payload: '{"name":"sdk"}' }));
    expect(JSON.parse(text(out.Payload))).toBe('hello sdk');
  });

  it('DryRun answers 204 and runs nothing; a bad payload gets the error it would have had', async () => {
    const out = await lambda.send(new InvokeCommand({ FunctionName: 'strict', InvocationType: 'DryRun', Payload: '{"name":"x"}' }));
    expect(out.StatusCode).toBe(204);
    await expect(lambda.send(new InvokeCommand({ FunctionName: 'strict', InvocationType: 'DryRun', Payload: '{}' })))
      .rejects.toBeInstanceOf(InvalidRequestContentException);
  });

  it('maps errors to Lambda’s exceptions', async () => {
    const missing = lambda.send(new InvokeCommand({ FunctionName: 'nope' }));
    await expect(missing).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(missing).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 }, message: 'Function not found: arn:aws:lambda:us-east-1:000000000000:function:nope' });
    const throttled = lambda.send(new InvokeCommand({ FunctionName: 'disabled' }));
    await expect(throttled).rejects.toBeInstanceOf(TooManyRequestsException);
    await expect(throttled).rejects.toMatchObject({ $metadata: { httpStatusCode: 429 }, Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded' });
    await expect(lambda.send(new InvokeCommand({ FunctionName: 'echo', Payload: '{oops' }))).rejects.toBeInstanceOf(InvalidRequestContentException);
  });

  it('lists and describes functions', async () => {
    const list = await lambda.send(new ListFunctionsCommand({}));
    expect(list.Functions!.map((f) => f.FunctionName).sort()).toEqual(['disabled', 'echo', 'strict', 'throws', 'typed']);
    const page = await lambda.send(new ListFunctionsCommand({ MaxItems: 2 }));
    expect(page.Functions).toHaveLength(2);
    const rest = await lambda.send(new ListFunctionsCommand({ Marker: page.NextMarker }));
    expect(rest.Functions).toHaveLength(3);
    const fn = await lambda.send(new GetFunctionCommand({ FunctionName: 'disabled' }));
    expect(fn.Configuration).toMatchObject({ FunctionName: 'disabled', Runtime: 'nodejs20.x', MemorySize: 128, Timeout: 3, FunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:disabled' });
    expect(fn.Concurrency?.ReservedConcurrentExecutions).toBe(0);
    await expect(lambda.send(new GetFunctionCommand({ FunctionName: 'nope' }))).rejects.toBeInstanceOf(ResourceNotFoundException);
  });
});

describe('malformed, oversized and hostile requests (raw fetch)', () => {
  const invokeUrl = (name: string) => `${server.url}/2015-03-31/functions/${name}/invocations`;
  const errorOf = async (response: Response) => ({ status: response.status, type: response.headers.get('x-amzn-errortype'), body: await response.json() as { message: string } });

  it('refuses a body that is not JSON with 400 InvalidRequestContentException', async () => {
    const r = await errorOf(await fetch(invokeUrl('echo'), { method: 'POST', body: '<xml/>' }));
    expect(r).toMatchObject({ status: 400, type: 'InvalidRequestContentException' });
    expect(r.body.message).toMatch(/^Could not parse request body into json/);
  });

  it('refuses a body over 6 MB with 413 RequestTooLargeException', async () => {
    const r = await errorOf(await fetch(invokeUrl('echo'), { method: 'POST', body: `"${'x'.repeat(6 * 1024 * 1024)}"` }));
    expect(r).toMatchObject({ status: 413, type: 'RequestTooLargeException' });
  });

  it('refuses unknown invocation and log types, and a bad client context', async () => {
    const bad = async (headers: Record<string, string>) => errorOf(await fetch(invokeUrl('echo'), { method: 'POST', body: '{}', headers }));
    expect(await bad({ 'X-Amz-Invocation-Type': 'Sometimes' })).toMatchObject({ status: 400, type: 'InvalidParameterValueException' });
    expect(await bad({ 'X-Amz-Log-Type': 'All' })).toMatchObject({ status: 400, type: 'InvalidParameterValueException' });
    expect(await bad({ 'X-Amz-Client-Context': Buffer.from('not json').toString('base64') })).toMatchObject({ status: 400, type: 'InvalidRequestContentException' });
    expect(await bad({ 'X-Amz-Client-Context': Buffer.from(JSON.stringify({ a: 'x'.repeat(4000) })).toString('base64') })).toMatchObject({ status: 400, type: 'InvalidParameterValueException' });
  });

  it('limits X-Amz-Client-Context to 3,583 bytes of base64 text, as sent (not as decoded)', async () => {
    const send = (value: string) => fetch(invokeUrl('echo'), { method: 'POST', body: '{}', headers: { 'X-Amz-Client-Context': value } });
    // 2,687 bytes of JSON: 3,583 characters of base64 unpadded, 3,584 padded.
    const json = JSON.stringify({ custom: { pad: 'x'.repeat(2687 - 21) } });
    expect(Buffer.byteLength(json)).toBe(2687);
    const padded = Buffer.from(json).toString('base64');
    const unpadded = padded.replace(/=+$/, '');
    expect([unpadded.length, padded.length]).toEqual([3583, 3584]);
    const ok = await send(unpadded);
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { clientContext: unknown }).clientContext).toEqual(JSON.parse(json));
    const over = await errorOf(await send(padded));
    expect(over).toMatchObject({ status: 400, type: 'InvalidParameterValueException' });
    expect(over.body.message).toBe('Client context must be at most 3583 bytes of base64-encoded data (got 3584)');
  });

  it('refuses path traversal and junk in function names, and unknown qualifiers', async () => {
    for (const name of ['..%2F..%2Fetc%2Fpasswd', '%00', 'a%20b', '%E0%A4%A']) {
      const r = await errorOf(await fetch(invokeUrl(name), { method: 'POST', body: '{}' }));
      expect(r.status, name).toBe(400);
      expect(r.type, name).toBe('InvalidParameterValueException');
    }
    expect((await errorOf(await fetch(`${invokeUrl('echo')}?Qualifier=7`, { method: 'POST', body: '{}' }))).status).toBe(404);
  });

  it('answers unknown routes and methods with 404, huge headers with 431, and stays up', async () => {
    expect((await errorOf(await fetch(`${server.url}/nope`))).type).toBe('UnknownOperationException');
    expect((await fetch(invokeUrl('echo'), { method: 'DELETE' })).status).toBe(404);
    expect((await fetch(invokeUrl('echo'), { method: 'POST', body: '{}', headers: { 'x-big': 'y'.repeat(20_000) } })).status).toBe(431);
    const health = await fetch(`${server.url}/healthz`);
    expect(await health.json()).toEqual({ status: 'ok' });
  });

  it('accepts Event with 202 and a request id whose record is readable', async () => {
    const response = await fetch(invokeUrl('echo'), { method: 'POST', body: '{"e":1}', headers: { 'X-Amz-Invocation-Type': 'Event' } });
    expect(response.status).toBe(202);
    const id = response.headers.get('x-amzn-requestid');
    const record = await (await fetch(`${server.url}/invocations/${id}?wait=10`)).json() as { status: string };
    expect(record.status).toBe('SUCCEEDED');
  });
});
