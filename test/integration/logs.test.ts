import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHost, type Host } from '../../runtime/index.js';
import type { InvocationLogEntry } from '../../runtime/observe/index.js';
import { MAX_FOLLOWERS } from '../../runtime/observe/logs-endpoint.js';
import { tempDir } from '../support/temp-dir.js';
import { cliInProcess } from '../support/cli.js';

const handlers = resolve(import.meta.dirname, '../fixtures/handlers');
const CLI = resolve(import.meta.dirname, '../../dist/runtime/cli/main.js');
const state = tempDir();
const hostLines: Array<Record<string, unknown>> = [];
let host: Host;
let url: string;

beforeAll(async () => {
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) hostLines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  host = await createHost({
    rootDir: handlers,
    logger: { level: 'debug', destination },
    config: {
      stateDir: state.path,
      functions: {
        echo: { handler: './echo.mjs' },
        throws: { handler: './faults.mjs#throws' },
        // Retried at once: a test waits for the retry, not for Lambda's minute.
        flaky: { handler: './flaky.mjs', async: { retryDelaysMs: [10] } },
      },
    },
  });
  ({ url } = await host.listen({ port: 0 }));
});

afterAll(async () => {
  await host?.close();
  state.remove();
});

const cli = cliInProcess;

/** Reads a text/event-stream body event by event. */
function events(body: ReadableStream<Uint8Array>) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  return {
    /** The next block (comments included), or undefined at the end of the stream. */
    async next(): Promise<string | undefined> {
      for (;;) {
        const end = buffered.indexOf('\n\n');
        if (end >= 0) {
          const block = buffered.slice(0, end);
          buffered = buffered.slice(end + 2);
          return block;
        }
        const { value, done } = await reader.read();
        if (done) return undefined;
        buffered += decoder.decode(value, { stream: true });
      }
    },
    cancel: () => reader.cancel(),
  };
}

describe('GET /logs', () => {
  it('lists a function’s recent invocation logs, oldest first, in Lambda’s format', async () => {
    const first = await host.invoke('echo', { n: 1 });
    const second = await host.invoke('echo', { n: 2 });
    const response = await fetch(`${url}/logs?function=echo`);
    expect(response.status).toBe(200);
    const { entries } = (await response.json()) as { entries: InvocationLogEntry[] };
    expect(entries.map((e) => e.requestId)).toEqual([first.requestId, second.requestId]);
    expect(entries[0]).toMatchObject({ functionName: 'echo', time: expect.any(Number) });
    expect(entries[0]!.text).toMatch(new RegExp(`^START RequestId: ${first.requestId} Version: \\$LATEST\n.*\tINFO\techo \\{"n":1\\}\nEND RequestId: ${first.requestId}\nREPORT RequestId: ${first.requestId}\tDuration: [\\d.]+ ms\tBilled Duration: \\d+ ms\tMemory Size: 128 MB\tMax Memory Used: \\d+ MB\tInit Duration: [\\d.]+ ms\t\n$`));
    expect(entries[1]!.text).not.toContain('Init Duration');
    const limited = (await (await fetch(`${url}/logs?function=echo&limit=1`)).json()) as { entries: InvocationLogEntry[] };
    expect(limited.entries.map((e) => e.requestId)).toEqual([second.requestId]);
  });

  it('finds one invocation by request id, as JSON or as text', async () => {
    const run = await host.invoke('throws', {});
    const { entries } = (await (await fetch(`${url}/logs?requestId=${run.requestId}`)).json()) as { entries: InvocationLogEntry[] };
    expect(entries).toHaveLength(1);
    expect(entries[0]!.functionName).toBe('throws');
    const text = await fetch(`${url}/logs?requestId=${run.requestId}&format=text`);
    expect(text.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await text.text()).toBe(entries[0]!.text);
  });

  it('answers a function by any name the host knows it by (ARN)', async () => {
    const response = await fetch(`${url}/logs?function=${encodeURIComponent('arn:aws:lambda:us-east-1:000000000000:function:echo')}`);
    expect(response.status).toBe(200);
    expect(((await response.json()) as { entries: unknown[] }).entries.length).toBeGreaterThan(0);
  });

  it('refuses unknown names and bad parameters with Lambda’s error shape', async () => {
    const unknown = await fetch(`${url}/logs?function=nope`);
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('x-amzn-errortype')).toBe('ResourceNotFoundException');
    const missing = await fetch(`${url}/logs?requestId=no-such-request`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { message: string }).message).toContain('No log for request no-such-request');
    const otherFunction = await fetch(`${url}/logs?function=throws&requestId=${(await host.invoke('echo', {})).requestId}`);
    expect(otherFunction.status).toBe(404);
    for (const [query, message] of [
      ['', 'give function=NAME or requestId=ID'],
      ['function=echo&limit=5000', 'limit must be an integer from 0 to 1000 (got "5000")'],
      ['function=echo&format=xml', 'format must be json or text (got "xml")'],
      ['function=echo&follow=maybe', 'follow must be true or false (got "maybe")'],
      ['requestId=x&follow=true', 'follow cannot be combined with requestId'],
    ]) {
      const response = await fetch(`${url}/logs?${query}`);
      expect(response.status, query).toBe(400);
      expect(response.headers.get('x-amzn-errortype')).toBe('InvalidParameterValueException');
      expect(((await response.json()) as { message: string }).message).toContain(message);
    }
  });

  it('is matched by /dead-letters and /invocations: a name no function can have is a 400, an ARN resolves, a removed function\'s name still lists', async () => {
    for (const path of ['/dead-letters', '/invocations']) {
      const response = await fetch(`${url}${path}?function=${'x'.repeat(5000)}`);
      expect(response.status, path).toBe(400);
      expect(response.headers.get('x-amzn-errortype')).toMatch(/ValidationException|InvalidParameterValueException/);
      // Records outlive a function removed from the config: its plain name lists them (none here).
      const removed = await fetch(`${url}${path}?function=nope`);
      expect(removed.status, path).toBe(200);
      expect(Object.values((await removed.json()) as Record<string, unknown[]>)[0]).toEqual([]);
      const unknownArn = await fetch(`${url}${path}?function=${encodeURIComponent(host.registry.resolve('echo').fn.arn.replace(/echo$/, 'nope'))}`);
      expect(unknownArn.status, path).toBe(404);
      expect(unknownArn.headers.get('x-amzn-errortype')).toBe('ResourceNotFoundException');
      const fine = await fetch(`${url}${path}?function=echo`);
      expect(fine.status, path).toBe(200);
      const byArn = await fetch(`${url}${path}?function=${encodeURIComponent(host.registry.resolve('echo').fn.arn)}`);
      expect(byArn.status, path).toBe(200);
    }
  });

  it('follows new entries as server-sent events, with the recent ones first', async () => {
    const before = await host.invoke('echo', { n: 'before' });
    const response = await fetch(`${url}/logs?function=echo&follow=true&limit=1`);
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const stream = events(response.body!);
    expect(await stream.next()).toBe(': following');
    expect(await stream.next()).toContain(`id: ${before.requestId}`);
    await host.invoke('throws', {}); // another function: not on this stream
    const after = await host.invoke('echo', { n: 'after' });
    const block = (await stream.next())!;
    expect(block.split('\n').slice(0, 2)).toEqual(['event: log', `id: ${after.requestId}`]);
    const entry = JSON.parse(block.split('\n')[2]!.slice('data: '.length)) as InvocationLogEntry;
    expect(entry.text).toContain('echo {"n":"after"}');
    await stream.cancel();
  });

  it('takes at most MAX_FOLLOWERS followers at once (429 past them), and one more once one leaves', async () => {
    const open = await Promise.all(Array.from({ length: MAX_FOLLOWERS }, async () => {
      const response = await fetch(`${url}/logs?follow=true&limit=0`);
      expect(response.status).toBe(200);
      const stream = events(response.body!);
      expect(await stream.next()).toBe(': following');
      return stream;
    }));
    const refused = await fetch(`${url}/logs?follow=true&limit=0`);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('x-amzn-errortype')).toBe('TooManyRequestsException');
    expect(await refused.text()).toContain(`at most ${MAX_FOLLOWERS} log followers at once`);
    // Every follower gets the same entry (its frame is built once for all).
    const run = await host.invoke('echo', { n: 'shared' });
    const blocks = await Promise.all(open.slice(0, 3).map((stream) => stream.next()));
    for (const block of blocks) expect(block).toContain(`id: ${run.requestId}`);
    await open.pop()!.cancel();
    // The server sees the hang-up as the socket closes: wait for the slot rather than sleep.
    let again: Response;
    for (;;) {
      again = await fetch(`${url}/logs?follow=true&limit=0`);
      if (again.status === 200) break;
      await again.text();
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    await again.body!.cancel();
    await Promise.all(open.map((stream) => stream.cancel()));
  });
});

describe('neolith logs', () => {
  it('prints a function’s logs; --request-id one invocation; --json entries', async () => {
    const run = await host.invoke('echo', { cli: true });
    const all = await cli('logs', 'echo', '--url', url);
    expect(all.code).toBe(0);
    expect(all.stdout).toContain(`START RequestId: ${run.requestId}`);
    expect(all.stdout).toContain('echo {"cli":true}');
    const one = await cli('logs', 'echo', '--url', url, '--request-id', run.requestId);
    expect(one.stdout).toBe(host.log.get(run.requestId)!.text);
    const json = await cli('logs', 'echo', '--url', url, '--limit', '1', '--json');
    expect(JSON.parse(json.stdout)).toMatchObject({ requestId: run.requestId, functionName: 'echo' });
  });

  it('fails clearly for an unknown function (exit 1) and misuse (exit 2)', async () => {
    const unknown = await cli('logs', 'nope', '--url', url);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('neolith logs: ResourceNotFoundException (404): Function not found');
    expect((await cli('logs', '--url', url)).code).toBe(2);
    expect((await cli('logs', 'echo', '--follow', '--request-id', 'x', '--url', url)).stderr).toContain('--request-id and --follow do not go together');
    expect((await cli('logs', 'echo', '--limit=-1', '--url', url)).stderr).toContain('--limit must be an integer from 0 to 1000 (got "-1")');
  });

  it('--follow prints new invocations until interrupted, then exits 0', async () => {
    const child = spawn(process.execPath, [CLI, 'logs', 'echo', '--follow', '--url', url], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    let stdout = '';
    let stderr = '';
    const seen = (pattern: string, read: () => string) => new Promise<void>((done) => {
      const check = () => read().includes(pattern) && done();
      child.stdout.on('data', check);
      child.stderr.on('data', check);
      check();
    });
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    await seen('following echo', () => stderr);
    const run = await host.invoke('echo', { followed: 1 });
    await seen(`REPORT RequestId: ${run.requestId}`, () => stdout);
    expect(stdout).toContain('echo {"followed":1}');
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});

describe('the log of a retried Event invocation', () => {
  it('holds each attempt once, listed by the API and the CLI and followed live', async () => {
    const follow = await fetch(`${url}/logs?function=flaky&follow=true&limit=0`);
    const stream = events(follow.body!);
    try {
      expect(await stream.next()).toBe(': following');
      const { requestId } = await host.invoke('flaky', { failTimes: 1 }, { type: 'Event' });
      expect(await host.invocations.waitForFinal(requestId)).toMatchObject({ status: 'SUCCEEDED', attempts: 2 });
      /** How many times each attempt's START and its own output appear in a text. */
      const counts = (text: string) => ({
        starts: text.split('\n').filter((line) => line.startsWith(`START RequestId: ${requestId} `)).length,
        first: text.split(`attempt 1 of ${requestId}`).length - 1,
        second: text.split(`attempt 2 of ${requestId}`).length - 1,
      });
      const once = { starts: 2, first: 1, second: 1 };

      const { entries } = (await (await fetch(`${url}/logs?function=flaky`)).json()) as { entries: InvocationLogEntry[] };
      expect(entries.map((e) => e.requestId)).toEqual([requestId]);
      expect(counts(entries[0]!.text)).toEqual(once);
      expect(entries[0]!.text).toBe(host.log.get(requestId)!.text);
      const listed = await cli('logs', 'flaky', '--url', url);
      expect(listed.code).toBe(0);
      expect(counts(listed.stdout)).toEqual(once);
      expect(counts((await cli('logs', 'flaky', '--url', url, '--request-id', requestId)).stdout)).toEqual(once);

      // Both attempts were logged before the record went final: their events are on the stream.
      const followed: InvocationLogEntry[] = [];
      while (followed.length < 2) {
        const block = (await stream.next())!;
        if (!block.startsWith('event: log')) continue;
        followed.push(JSON.parse(block.split('\n').find((line) => line.startsWith('data: '))!.slice('data: '.length)) as InvocationLogEntry);
      }
      expect(followed.map((e) => e.requestId)).toEqual([requestId, requestId]);
      expect(counts(followed.map((e) => e.text).join(''))).toEqual(once);
    } finally {
      await stream.cancel();
    }
  });
});

describe('host logs', () => {
  it('are structured JSON lines apart from function output', () => {
    expect(hostLines).toContainEqual(expect.objectContaining({ name: 'neolith', level: 30, msg: 'host ready', functions: 3 }));
    expect(hostLines).toContainEqual(expect.objectContaining({ msg: 'listening', url }));
    expect(hostLines).toContainEqual(expect.objectContaining({ level: 20, msg: 'invocation', function: 'throws', errorType: 'ValidationError' }));
    expect(JSON.stringify(hostLines)).not.toContain('echo {');
  });

  it('closing the host ends open follow streams instead of waiting on them', async () => {
    const response = await fetch(`${url}/logs?follow=true`);
    const stream = events(response.body!);
    expect(await stream.next()).toBe(': following');
    await host.close();
    expect(await stream.next()).toBeUndefined();
    expect(hostLines.at(-1)).toMatchObject({ msg: 'host closed' });
  });
});

describe('host warnings', () => {
  it('warns at listen when GraphQL refuses anonymous callers but the Lambda API lets anyone invoke jobs', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    const dir = tempDir();
    const guarded = await createHost({
      rootDir: handlers,
      logger: { level: 'info', destination },
      config: {
        stateDir: dir.path, functions: { echo: { handler: './echo.mjs' } },
        graphql: { auth: { anonymous: false, jwt: { secret: 'a-test-secret-of-at-least-thirty-two-bytes!' } } },
      },
    });
    try {
      await guarded.listen({ port: 0 });
      expect(lines).toContainEqual(expect.objectContaining({ level: 40, msg: expect.stringContaining('Lambda Invoke API with any identity') }));
    } finally {
      await guarded.close();
      dir.remove();
    }
  });
});
