import { connect, type Socket } from 'node:net';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpServer, readBody, sendJson } from '../../runtime/http/index.js';
import { REFUSED_BODY_DRAIN_BYTES } from '../../runtime/http/send.js';
import { createHost, type Host } from '../../runtime/index.js';
import { tempDir } from '../support/temp-dir.js';

/**
 * What the HTTP server does with clients that send too slowly, declare too
 * much, or wait for 100 Continue: raw sockets, so the test controls every
 * byte and sees exactly what comes back and when the server hangs up.
 */

const handlers = resolve(import.meta.dirname, '../fixtures/handlers');
const sockets = new Set<Socket>();

afterAll(() => {
  for (const socket of sockets) socket.destroy();
});

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** A raw connection: everything the server sent so far, and a promise of its hanging up. */
interface Raw {
  socket: Socket;
  received: () => string;
  /** Resolves with everything received once the server closed the connection. */
  closed: Promise<string>;
  /** Resolves once what was received satisfies `done`. */
  until: (done: (received: string) => boolean) => Promise<string>;
}

async function open(port: number): Promise<Raw> {
  const socket = connect(port, '127.0.0.1');
  sockets.add(socket);
  let received = '';
  const waiters: Array<{ done: (received: string) => boolean; resolve: (received: string) => void }> = [];
  socket.on('data', (chunk: Buffer) => {
    received += chunk.toString('latin1');
    for (const waiter of [...waiters]) {
      if (!waiter.done(received)) continue;
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve(received);
    }
  });
  // A reset after the answer is still a hang-up; 'close' follows either way.
  socket.on('error', () => {});
  const closed = new Promise<string>((done) => socket.once('close', () => done(received)));
  await new Promise<void>((done) => socket.once('connect', () => done()));
  return {
    socket,
    received: () => received,
    closed,
    until: (done) => (done(received) ? Promise.resolve(received) : new Promise((resolve) => waiters.push({ done, resolve }))),
  };
}

/** The first complete response in `text` (after any 100 Continue), or undefined while incomplete. */
function answerIn(text: string): Answer | undefined {
  const rest = text.startsWith('HTTP/1.1 100 Continue\r\n\r\n') ? text.slice('HTTP/1.1 100 Continue\r\n\r\n'.length) : text;
  const end = rest.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const [statusLine, ...lines] = rest.slice(0, end).split('\r\n');
  const headers = Object.fromEntries(lines.map((line) => {
    const colon = line.indexOf(':');
    return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()];
  }));
  const body = rest.slice(end + 4);
  if (body.length < Number(headers['content-length'] ?? 0)) return undefined;
  return { status: Number(statusLine!.split(' ')[1]), headers, body };
}

const complete = (text: string): boolean => answerIn(text) !== undefined;

describe('clients that send too slowly (requestTimeoutMs 500)', () => {
  const REQUEST_TIMEOUT_MS = 500;
  let server: HttpServer;
  let port: number;
  let releaseHeld: () => void = () => {};
  const held = new Promise<void>((done) => { releaseHeld = done; });
  const BIG_BYTES = 64 * 1024 * 1024;
  /** Told when a /big response closes (written, or cut). */
  let bigClosed: () => void = () => {};
  const nextBigClose = (): Promise<number> => new Promise((done) => {
    bigClosed = () => done(Date.now());
  });
  const warnings: string[] = [];
  const onWarning = (warning: Error): void => void warnings.push(warning.message);

  beforeAll(async () => {
    process.on('warning', onWarning);
    server = new HttpServer({ port: 0, requestTimeoutMs: REQUEST_TIMEOUT_MS });
    server.use(async ({ res, url }) => {
      if (url.pathname !== '/big') return false;
      // More than the loopback socket's buffers take: a client that reads nothing leaves most of it unsent.
      res.on('close', () => bigClosed());
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': BIG_BYTES }).end(Buffer.alloc(BIG_BYTES, 0x61));
      return true;
    });
    server.use(async ({ req, res, url }) => {
      if (url.pathname !== '/echo' && url.pathname !== '/held') return false;
      const body = await readBody(req, 1_000_000);
      // A long-running handler: it answers when the test says so, long after its request arrived.
      if (url.pathname === '/held') await held;
      sendJson(res, 200, { got: body.toString('utf8') });
      return true;
    });
    ({ port } = await server.listen());
  });

  afterAll(async () => {
    releaseHeld();
    await server?.close(0);
    // Warnings are emitted on a later tick.
    await new Promise((done) => setImmediate(done));
    process.off('warning', onWarning);
    // A request cut while its handler read the body is the client's doing: nothing to warn the operator about.
    expect(warnings.filter((w) => w.includes('unexpected error serving a request'))).toEqual([]);
  });

  /** Sends `start`, then waits for the server to hang up; returns its answer and how long that took. */
  async function heldFor(start: (socket: Socket) => void): Promise<{ answer: Answer | undefined; ms: number }> {
    const began = Date.now();
    const conn = await open(port);
    start(conn.socket);
    const received = await conn.closed;
    return { answer: answerIn(received), ms: Date.now() - began };
  }

  function expectTimedOut({ answer, ms }: { answer: Answer | undefined; ms: number }): void {
    expect(answer?.status).toBe(408);
    expect(answer?.headers['x-amzn-errortype']).toBe('RequestTimeoutException');
    expect(answer?.headers['connection']).toBe('close');
    expect(answer?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(answer!.body)).toEqual({
      Type: 'User',
      message: `Request not received in time: the request's head must arrive within ${REQUEST_TIMEOUT_MS} ms and all of it within ${REQUEST_TIMEOUT_MS} ms`,
    });
    expect(ms).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS);
    // node's defaults held these for 60 s to 330 s.
    expect(ms).toBeLessThan(5_000);
  }

  it('answers 408 to a body that never finishes, while its handler waits for it', async () => {
    expectTimedOut(await heldFor((s) => s.write('POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\n{"a":')));
  });

  it('answers 408 to a head that never finishes', async () => {
    expectTimedOut(await heldFor((s) => s.write('POST /echo HTTP/1.1\r\nHost: loc')));
  });

  it('answers 408 to a connection that sends nothing', async () => {
    expectTimedOut(await heldFor(() => {}));
  });

  it('answers 408 to a body that keeps coming a byte at a time: the limit is on the whole request, not on pauses', async () => {
    let drip: NodeJS.Timeout | undefined;
    try {
      expectTimedOut(await heldFor((s) => {
        s.write('POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1000\r\n\r\n');
        drip = setInterval(() => s.write('a'), 20);
      }));
    } finally {
      clearInterval(drip);
    }
  });

  it('does not cut a handler that runs past the timeout once its request arrived', async () => {
    const long = await open(port);
    long.socket.write('POST /held HTTP/1.1\r\nHost: localhost\r\nContent-Length: 9\r\n\r\n{"n":42}\n');
    // A request sent after it times out: by its 408, node's check has passed the first request's deadline too.
    const late = await heldFor((s) => s.write('POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\n{'));
    expect(late.answer?.status).toBe(408);
    expect(long.received()).toBe('');
    releaseHeld();
    const answer = answerIn(await long.until(complete))!;
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ got: '{"n":42}\n' });
    expect(answer.headers['connection']).toBe('keep-alive');
  });

  /** Resumes a paused socket and counts what it reads to its end. */
  function countToEnd(socket: Socket): Promise<number> {
    let got = 0;
    socket.on('data', (chunk: Buffer) => { got += chunk.length; });
    socket.resume();
    return new Promise((done) => socket.once('end', () => done(got)));
  }

  async function paused(): Promise<Socket> {
    const socket = connect(port, '127.0.0.1');
    sockets.add(socket);
    socket.on('error', () => {});
    await new Promise<void>((done) => socket.once('connect', () => done()));
    socket.pause();
    return socket;
  }

  it('cuts a client that stops reading its response, and lets one that reads slowly finish', async () => {
    const request = 'GET /big HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n';
    // Reads nothing: the server's writes stop once the socket buffers are full.
    const stalled = await paused();
    const cut = nextBigClose();
    const began = Date.now();
    stalled.write(request);
    const gaveUpAt = await cut;
    expect(gaveUpAt - began).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS);
    expect(gaveUpAt - began).toBeLessThan(5_000);
    // What the kernel buffers held still arrives (at most tens of MB here); the rest was dropped.
    expect(await countToEnd(stalled)).toBeLessThan(BIG_BYTES);

    // Stops reading for 150 ms after every 8 MB: longer than the timeout in all, never stalled for it.
    const slow = await paused();
    let got = 0;
    let nextPause = 8 * 1024 * 1024;
    const ended = new Promise<void>((done) => slow.once('end', () => done()));
    slow.on('data', (chunk: Buffer) => {
      got += chunk.length;
      if (got < nextPause) return;
      nextPause += 8 * 1024 * 1024;
      slow.pause();
      setTimeout(() => slow.resume(), 150);
    });
    const started = Date.now();
    slow.write(request);
    slow.resume();
    await ended;
    expect(got).toBeGreaterThan(BIG_BYTES);
    expect(Date.now() - started).toBeGreaterThan(REQUEST_TIMEOUT_MS);
  });

  it('answers a prompt request as usual', async () => {
    const conn = await open(port);
    conn.socket.write('POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\n\r\n{}');
    const answer = answerIn(await conn.until(complete))!;
    expect([answer.status, answer.body, answer.headers['connection']]).toEqual([200, '{"got":"{}"}', 'keep-alive']);
  });
});

describe('the Lambda API: bodies over the limit, Expect: 100-continue, X-Amz-Client-Context', () => {
  const state = tempDir();
  let host: Host;
  let port: number;
  let runs = 0;
  const INVOKE = 'POST /2015-03-31/functions/echo/invocations HTTP/1.1\r\nHost: localhost\r\n';
  /** Lambda's default synchronous payload limit, 6 MB. */
  const LIMIT = 6_291_456;

  beforeAll(async () => {
    host = await createHost({
      rootDir: handlers,
      logger: { level: 'silent' },
      config: { stateDir: state.path, spareEnvironments: 0, functions: { echo: { handler: './echo.mjs' } } },
    });
    host.invoker.onOutcome(() => runs++);
    port = Number(new URL((await host.listen({ port: 0 })).url).port);
  });

  afterAll(async () => {
    await host?.close();
    state.remove();
  });

  it('answers a declared body over the limit 413 with Connection: close, and closes instead of reading it', async () => {
    const before = runs;
    const conn = await open(port);
    // Declares 10 GB, sends 64 KB of it and would go on: the server must not wait for (or read) the rest.
    conn.socket.write(`${INVOKE}Content-Length: 10000000000\r\n\r\n`);
    conn.socket.write(Buffer.alloc(64 * 1024, 0x20));
    const answer = answerIn(await conn.until(complete))!;
    expect(answer.status).toBe(413);
    expect(answer.headers['x-amzn-errortype']).toBe('RequestTooLargeException');
    expect(answer.headers['connection']).toBe('close');
    expect(JSON.parse(answer.body).message).toBe(`Request must be smaller than ${LIMIT} bytes for the InvokeFunction operation (got at least 10000000000)`);
    await conn.closed;
    expect(runs).toBe(before);
  });

  it('answers a body that grows over the limit 413, reading the rest so the client hears it, and keeps the connection', async () => {
    const conn = await open(port);
    // Chunked: no length to judge up front, so the server reads up to the limit, then refuses.
    conn.socket.write(`${INVOKE}Transfer-Encoding: chunked\r\n\r\n`);
    const chunk = Buffer.alloc(1024 * 1024, 0x20);
    for (let i = 0; i < 7; i++) conn.socket.write(Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]));
    conn.socket.write('0\r\n\r\n');
    const answer = answerIn(await conn.until(complete))!;
    expect([answer.status, answer.headers['connection']]).toEqual([413, 'keep-alive']);
    // The whole body was read: the next request on the connection is answered.
    conn.socket.write(`GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n`);
    expect(await conn.until((r) => (r.match(/HTTP\/1\.1 /g) ?? []).length === 2)).toMatch(/HTTP\/1\.1 200 OK/);
    conn.socket.destroy();
  });

  it('cuts a chunked body that goes on past the drop budget after its 413', async () => {
    const conn = await open(port);
    conn.socket.write(`${INVOKE}Transfer-Encoding: chunked\r\n\r\n`);
    const chunk = Buffer.alloc(1024 * 1024, 0x20);
    const framed = Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]);
    // LIMIT + REFUSED_BODY_DRAIN_BYTES and more, never finished: the server must hang up, not read on.
    for (let i = 0; i < Math.ceil((LIMIT + REFUSED_BODY_DRAIN_BYTES) / chunk.length) + 4 && !conn.socket.destroyed; i++) {
      if (!conn.socket.write(framed)) await new Promise((resolve) => conn.socket.once('drain', resolve).once('close', resolve));
    }
    const answer = answerIn(await conn.closed)!;
    expect(answer.status).toBe(413);
  });

  it('lets fetch, which uploads before it reads, hear the 413 of a body just over the limit', async () => {
    const response = await fetch(`http://127.0.0.1:${port}/2015-03-31/functions/echo/invocations`, { method: 'POST', body: 'x'.repeat(LIMIT + 1024 * 1024) });
    expect([response.status, response.headers.get('x-amzn-errortype')]).toEqual([413, 'RequestTooLargeException']);
    await response.arrayBuffer();
  });

  it('answers Expect: 100-continue with a declared body over the limit 413 at once, without 100 Continue', async () => {
    const conn = await open(port);
    conn.socket.write(`${INVOKE}Expect: 100-continue\r\nContent-Length: ${LIMIT + 1}\r\n\r\n`);
    expect((await conn.until((r) => r.includes('\r\n\r\n'))).split('\r\n')[0]).toBe('HTTP/1.1 413 Payload Too Large');
    const answer = answerIn(await conn.closed)!;
    expect([answer.headers['x-amzn-errortype'], answer.headers['connection']]).toEqual(['RequestTooLargeException', 'close']);
  });

  it('answers Expect: 100-continue for an unknown function 404 at once, without 100 Continue', async () => {
    const conn = await open(port);
    conn.socket.write(`POST /2015-03-31/functions/nope/invocations HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\nContent-Length: 1000\r\n\r\n`);
    expect((await conn.until((r) => r.includes('\r\n\r\n'))).split('\r\n')[0]).toBe('HTTP/1.1 404 Not Found');
    const answer = answerIn(await conn.closed)!;
    expect([answer.headers['x-amzn-errortype'], answer.headers['connection']]).toEqual(['ResourceNotFoundException', 'close']);
  });

  it('sends 100 Continue to an acceptable request, then invokes with the body that follows', async () => {
    const conn = await open(port);
    const body = '{"hello":"continue"}';
    conn.socket.write(`${INVOKE}Expect: 100-continue\r\nContent-Length: ${body.length}\r\n\r\n`);
    expect(await conn.until((r) => r.length >= 25)).toBe('HTTP/1.1 100 Continue\r\n\r\n');
    conn.socket.write(body);
    const answer = answerIn(await conn.until(complete))!;
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body).event).toEqual({ hello: 'continue' });
    expect(answer.headers['connection']).toBe('keep-alive');
  });

  it.each([
    ['an array', Buffer.from('[1]').toString('base64')],
    ['null', Buffer.from('null').toString('base64')],
    ['a string', Buffer.from('"x"').toString('base64')],
    ['an object after text that is not base64', `${Buffer.from('{}').toString('base64')}!!!!`],
    ['an object with half its padding', Buffer.from('{"a":1}').toString('base64').replace(/=$/, '')],
    ['an object in base64url', Buffer.from('{"a":"??>"}').toString('base64url')],
  ])('refuses X-Amz-Client-Context that is %s: it must be the base64 of a JSON object', async (_, header) => {
    const before = runs;
    const res = await fetch(`http://127.0.0.1:${port}/2015-03-31/functions/echo/invocations`, {
      method: 'POST', body: '{}', headers: { 'X-Amz-Client-Context': header },
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('x-amzn-errortype')).toBe('InvalidRequestContentException');
    expect(((await res.json()) as { message: string }).message).toBe('Client context must be a valid Base64-encoded JSON object.');
    expect(runs).toBe(before);
  });
});
