import { connect } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { HttpServer } from '../../../runtime/http/http-server.js';

let server: HttpServer | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  await server?.close();
  server = undefined;
});

describe('HttpServer', () => {
  it('does not report a client that leaves while a route waits on the request signal (GET /invocations/{id}?wait=)', async () => {
    const warnings = vi.spyOn(process, 'emitWarning');
    let entered!: () => void;
    const waiting = new Promise<void>((resolve) => (entered = resolve));
    let settled!: (error: unknown) => void;
    const rejected = new Promise<unknown>((resolve) => (settled = resolve));
    server = new HttpServer({ port: 0 }).use(async (ctx) => {
      entered();
      try {
        // As records.waitForFinal does: reject with the signal's reason once the client leaves.
        await new Promise((_resolve, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason), { once: true }));
        return true;
      } catch (error) {
        settled(error);
        throw error;
      }
    });
    const { url } = await server.listen();
    const client = new AbortController();
    const request = fetch(`${url}/invocations/x?wait=10`, { signal: client.signal });
    await waiting;
    client.abort();
    await expect(request).rejects.toMatchObject({ name: 'AbortError' });
    expect(await rejected).toMatchObject({ message: 'client disconnected' });
    // The route's rejection reaches the server's handler within the turn it settles in.
    await new Promise((resolve) => setImmediate(resolve));
    expect(warnings).not.toHaveBeenCalled();
  });

  it('still reports an unexpected error thrown by a route, with a 500', async () => {
    const warnings = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    server = new HttpServer({ port: 0 }).use(async () => {
      throw new Error('a bug');
    });
    const { url } = await server.listen();
    const response = await fetch(`${url}/anything`);
    expect(response.status).toBe(500);
    expect(response.headers.get('x-amzn-errortype')).toBe('ServiceException');
    expect(String(warnings.mock.calls[0]?.[0])).toContain('Error: a bug');
  });

  it('closes without waiting for a connection that has sent nothing (a spare, a preconnect)', async () => {
    server = new HttpServer({ port: 0 });
    const { port } = await server.listen();
    const socket = connect(port, '127.0.0.1');
    const dropped = new Promise((resolve) => socket.once('close', resolve));
    await new Promise((resolve) => socket.once('connect', resolve));
    // Longer than the test's timeout: a close that waited for this socket would fail the test.
    await server.close(60_000);
    server = undefined;
    await dropped;
    expect(socket.destroyed).toBe(true);
  });
});
