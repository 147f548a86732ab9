import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpStatusOf } from '../../../runtime/errors/index.js';
import { InvocationLog, LogsEndpoint } from '../../../runtime/observe/index.js';

const log = new InvocationLog();
const endpoint = new LogsEndpoint({ log, heartbeatMs: 60_000 });
/** The caller may read function `orders` except its job `orders/placeOrder`. */
const canRead = (functionName: string, job?: string): boolean => functionName === 'orders' && job !== 'orders/placeOrder';
let server: Server;
let base: string;

const record = (requestId: string, job?: string) =>
  log.record({ requestId, functionName: 'orders', handlerLogs: `${requestId} ran\n`, durationMs: 1, memoryMB: 128, maxMemoryMB: 20, ...(job && { job }) });

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    // As the HTTP server answers a route's typed error.
    Promise.resolve().then(() => endpoint.route({ req, res, url, canRead })).catch((error: unknown) => {
      res.writeHead(httpStatusOf(error));
      res.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  record('plain');
  record('read', 'orders/getOrder');
  record('hidden', 'orders/placeOrder');
});

afterAll(async () => {
  await endpoint.close();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** A follow stream, subscribed (its first comment read); `until` reads on until `done` holds of all read so far. */
async function follow(query: string) {
  const controller = new AbortController();
  const response = await fetch(`${base}/logs?${query}`, { signal: controller.signal });
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  const until = async (done: (text: string) => boolean): Promise<string> => {
    while (!done(text)) {
      const chunk = await reader.read();
      expect(chunk.done, 'the follow stream ended').toBe(false);
      text += decoder.decode(chunk.value, { stream: true });
    }
    return text;
  };
  await until((t) => t.includes(': following'));
  return { until, abort: () => controller.abort() };
}

describe('GET /logs with job-level read permissions', () => {
  it('lists a function\'s entries without those of a job the caller may not read, each naming its job', async () => {
    const response = await fetch(`${base}/logs?function=orders`);
    expect(response.status).toBe(200);
    const { entries } = await response.json() as { entries: Array<{ requestId: string; job?: string }> };
    expect(entries.map((e) => [e.requestId, e.job])).toEqual([['plain', undefined], ['read', 'orders/getOrder']]);
  });

  it('answers a hidden job\'s entry by request id as missing', async () => {
    expect((await fetch(`${base}/logs?requestId=hidden`)).status).toBe(404);
    expect((await fetch(`${base}/logs?requestId=read`)).status).toBe(200);
  });

  it('follows without the hidden job\'s new entries', async () => {
    const stream = await follow('function=orders&follow=true');
    record('hidden-2', 'orders/placeOrder');
    record('read-2', 'orders/getOrder');
    const text = await stream.until((t) => t.includes('id: read-2'));
    stream.abort();
    expect(text).not.toContain('hidden-2');
  });

  it('follows as text with every CR, LF or CRLF line of an entry a data line of its own: a CR in a log cannot forge an event', async () => {
    const stream = await follow('function=orders&follow=true&format=text');
    log.record({ requestId: 'cr-1', functionName: 'orders', handlerLogs: 'before\r\revent: log\rid: forged\rdata: FORGED\r\nafter\n', durationMs: 1, memoryMB: 128, maxMemoryMB: 20 });
    const text = await stream.until((t) => t.includes('id: cr-1') && t.includes('\n\n', t.indexOf('id: cr-1')));
    stream.abort();
    const frame = text.slice(text.indexOf('event: log\nid: cr-1'));
    expect(frame).not.toContain('\r');
    expect(frame).toContain('data: id: forged\ndata: data: FORGED\ndata: after');
    expect(text).not.toMatch(/^id: forged$/m);
  });

  it('keeps a follower that reads through an entry far over the 1 MiB slow-reader limit', async () => {
    const stream = await follow('function=orders&follow=true');
    // Quotes double in JSON: a 4 MiB frame, more than a loopback socket takes at once.
    log.record({ requestId: 'huge', functionName: 'orders', handlerLogs: `${'"'.repeat(2 * 1024 * 1024)}\n`, durationMs: 1, memoryMB: 128, maxMemoryMB: 20 });
    record('after-huge');
    const text = await stream.until((t) => t.includes('id: after-huge'));
    stream.abort();
    expect(text).toContain('id: huge');
  });

  it('drops a follower that stops reading once it is more than 1 MiB behind, and ends its stream', async () => {
    const { port } = server.address() as AddressInfo;
    const socket = connect(port, '127.0.0.1');
    socket.pause();
    socket.write(`GET /logs?function=orders&follow=true HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n`);
    // The request is in once the server answers; reading nothing from here on.
    await new Promise<void>((resolve) => socket.once('readable', resolve));
    const chunk = 'x'.repeat(512 * 1024);
    for (let i = 0; i < 64; i++) log.record({ requestId: `flood-${i}`, functionName: 'orders', handlerLogs: `${chunk}\n`, durationMs: 1, memoryMB: 128, maxMemoryMB: 20 });
    // The response ends (chunked encoding's last chunk) before all 64 entries (32 MiB) are sent.
    let text = '';
    await new Promise<void>((resolve) => {
      socket.on('data', (data: Buffer) => {
        text += data.toString('latin1');
        if (text.endsWith('\r\n0\r\n\r\n')) resolve();
      });
      socket.resume();
    });
    socket.destroy();
    expect(text).toContain('id: flood-0');
    expect(text).not.toContain('id: flood-63');
  });
});
