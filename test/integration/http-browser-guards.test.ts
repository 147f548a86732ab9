/**
 * What a web page can make a developer's browser do to a host on loopback:
 * DNS rebinding (the page's name re-pointed at 127.0.0.1) is refused by the
 * Host check on every route; cross-site writes to the host's own surfaces
 * (Lambda API, sources, records) are refused; reads, SDK and curl calls, and
 * the REST routes (which have CORS for browser apps) are not.
 */
import { request } from 'node:http';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHost, type Host } from '../../runtime/index.js';
import { tempDir } from '../support/temp-dir.js';

const handlers = resolve(import.meta.dirname, '../fixtures/handlers');

interface Answer { status: number; body: string }

/** A raw request: fetch may not set Host, and browsers' marks are set by hand here. */
function send(port: number, method: string, path: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  return new Promise((done, fail) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: { ...headers, ...(body !== undefined && { 'content-length': Buffer.byteLength(body) }) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => done({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', fail);
    req.end(body);
  });
}

describe('browser guards of a host on loopback', () => {
  const state = tempDir();
  let host: Host;
  let port = 0;
  let invoked = 0;

  beforeAll(async () => {
    host = await createHost({
      rootDir: handlers,
      config: {
        stateDir: state.path,
        functions: { echo: { handler: './echo.mjs' } },
        routes: { 'POST /echo': 'echo' },
        topics: { news: { subscriptions: [] } },
        allowedHosts: ['myapp.test', '.dev.example'],
      },
    });
    host.invoker.onOutcome(() => invoked++);
    port = (await host.listen({ port: 0 })).port;
  });
  afterAll(async () => {
    await host?.close();
    state.remove();
  });

  const invoke = '/2015-03-31/functions/echo/invocations';

  it('refuses a rebound name on every route, invoking nothing', async () => {
    const before = invoked;
    for (const [method, path] of [['POST', invoke], ['GET', '/healthz'], ['POST', '/api/echo'], ['POST', '/graphql'], ['GET', '/logs?function=echo'], ['GET', '/dashboard']]) {
      const answer = await send(port, method!, path!, { host: `rebind.evil.example:${port}`, 'content-type': 'application/json' }, method === 'POST' ? '{}' : undefined);
      expect({ path, status: answer.status }).toEqual({ path, status: 403 });
      expect(answer.body).toContain('is not allowed: this host listens on loopback');
    }
    expect(invoked).toBe(before);
  });

  it('answers loopback names and the names the config allows', async () => {
    for (const name of ['localhost', '127.0.0.1', '[::1]', 'myapp.test', 'api.dev.example']) {
      const answer = await send(port, 'POST', invoke, { host: `${name}:${port}` }, '{"n":1}');
      expect({ name, status: answer.status }).toEqual({ name, status: 200 });
    }
  });

  it('refuses writes from another site\'s page to the host\'s own surfaces, and runs nothing', async () => {
    const before = invoked;
    const marks: Array<Record<string, string>> = [
      { origin: 'https://evil.example' },
      { 'sec-fetch-site': 'cross-site' },
      { origin: 'null' },
      { origin: `http://localhost:${port + 1}`, 'sec-fetch-site': 'same-site' },
    ];
    for (const mark of marks) {
      for (const [path, body] of [[invoke, '{}'], ['/topics/news', '{"message":"hi"}'], ['/2015-03-31/functions/echo/policy', '{"StatementId":"x","Action":"lambda:InvokeFunction","Principal":"*"}']]) {
        const answer = await send(port, 'POST', path!, { host: `127.0.0.1:${port}`, 'content-type': 'text/plain', ...mark }, body);
        expect({ path, mark, status: answer.status }).toEqual({ path, mark, status: 403 });
        expect(answer.body).toContain('Cross-site requests may not change this host');
      }
    }
    expect(invoked).toBe(before);
    expect(host.api!.manager).toBeDefined();
    // Nothing was granted.
    const policy = await send(port, 'GET', '/2015-03-31/functions/echo/policy', { host: `127.0.0.1:${port}` });
    expect(policy.body).not.toContain('"x"');
  });

  it('takes the same writes from a page of this host, from SDKs and curl, and cross-site reads', async () => {
    const self = await send(port, 'POST', invoke, { host: `127.0.0.1:${port}`, origin: `http://127.0.0.1:${port}`, 'sec-fetch-site': 'same-origin' }, '{}');
    expect(self.status).toBe(200);
    const sdk = await send(port, 'POST', invoke, { host: `127.0.0.1:${port}`, 'content-type': 'application/json' }, '{}');
    expect(sdk.status).toBe(200);
    const read = await send(port, 'GET', '/logs?function=echo', { host: `127.0.0.1:${port}`, origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' });
    expect(read.status).toBe(200);
  });

  it('keeps the few log-follow slots for this host\'s own clients: another site\'s page may not take one', async () => {
    const answer = await send(port, 'GET', '/logs?follow=true&limit=0', { host: `127.0.0.1:${port}`, origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' });
    expect(answer.status).toBe(403);
  });

  it('leaves the REST routes to their CORS rules: a browser app of another origin may call them', async () => {
    const answer = await send(port, 'POST', '/api/echo', { host: `127.0.0.1:${port}`, origin: 'http://localhost:3000', 'sec-fetch-site': 'same-site', 'content-type': 'application/json' }, '{"a":1}');
    expect(answer.status).toBe(200);
  });
});

describe('browser guards of a host bound to every address, with auth', () => {
  const state = tempDir();
  let host: Host;
  let port = 0;
  beforeAll(async () => {
    host = await createHost({
      rootDir: handlers,
      config: {
        stateDir: state.path,
        functions: { echo: { handler: './echo.mjs' } },
        auth: { principals: { alice: { accessKeyId: 'AKIAALICE0000000000', secretAccessKey: 'alice-secret' } } },
      },
    });
    port = (await host.listen({ port: 0, host: '0.0.0.0' })).port;
  });
  afterAll(async () => {
    await host?.close();
    state.remove();
  });

  it('still refuses a rebound name from loopback, where unsigned callers are let in', async () => {
    // A page in the developer's own browser, its name re-pointed at 127.0.0.1: same-origin, unsigned.
    const rebound = await send(port, 'POST', '/2015-03-31/functions/echo/invocations', {
      host: `rebind.evil.example:${port}`, origin: `http://rebind.evil.example:${port}`, 'sec-fetch-site': 'same-origin',
    }, '{}');
    expect(rebound.status).toBe(403);
    const local = await send(port, 'POST', '/2015-03-31/functions/echo/invocations', { host: `localhost:${port}` }, '{}');
    expect(local.status).toBe(200);
  });
});
