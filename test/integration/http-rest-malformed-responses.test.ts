import { writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHost, type Host } from '../../runtime/index.js';
import { tempDir } from '../support/temp-dir.js';

/**
 * A REST route's function answering with what HTTP cannot carry: an HTTP
 * API's 500 `{"message":"Internal Server Error"}` for a malformed Lambda
 * proxy response (as for a function error), one clear line in the host's
 * log, and the connection fine.
 */
const dir = tempDir('neolith-rest-malformed-');
let host: Host;
let url: string;
const warnings: string[] = [];
const onWarning = (warning: Error) => warnings.push(warning.message);

const HANDLER = `
export const handler = async (event) => {
  switch (event.rawPath) {
    case '/te': return { statusCode: 200, headers: { 'Transfer-Encoding': 'chunked', connection: 'close', 'x-kept': 'yes' }, body: 'hello' };
    case '/s101': return { statusCode: 101, body: 'x' };
    case '/s100': return { statusCode: 100 };
    case '/s600': return { statusCode: 600 };
    case '/crlf': return { statusCode: 200, headers: { 'x-a': 'a\\r\\nSet-Cookie: evil=1' }, body: 'x' };
    case '/badname': return { statusCode: 200, headers: { 'bad name': 'v' }, body: 'x' };
    case '/cookie': return { statusCode: 200, cookies: ['a=1\\r\\nx: y'], body: 'x' };
    case '/teapot': return { statusCode: 'teapot' };
    default: return { statusCode: 200, body: 'ok' };
  }
};
`;

beforeAll(async () => {
  writeFileSync(join(dir.path, 'answers.mjs'), HANDLER);
  process.on('warning', onWarning);
  host = await createHost({
    rootDir: dir.path,
    logger: { level: 'silent' },
    config: { stateDir: join(dir.path, 'state'), spareEnvironments: 0, functions: { answers: { handler: './answers.mjs' } }, routes: { 'GET /{proxy+}': 'answers' } },
  });
  ({ url } = await host.listen({ port: 0 }));
});

afterAll(async () => {
  process.off('warning', onWarning);
  await host?.close();
  dir.remove();
});

interface Raw { status: number; headers: Record<string, string | string[] | undefined>; rawHeaders: string[]; body: string }

/** A GET through node:http, which reports what was on the wire (both framing headers, say). */
function get(path: string): Promise<Raw> {
  const target = new URL(url);
  return new Promise((done, fail) => {
    const req = request({ host: target.hostname, port: target.port, path: `/api${path}` }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done({ status: res.statusCode!, headers: res.headers, rawHeaders: res.rawHeaders, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', fail);
    req.end();
  });
}

/** The host's warnings while `fn` runs (process warnings are emitted on the next tick). */
async function warningsOf<T>(fn: () => Promise<T>): Promise<{ value: T; logged: string[] }> {
  const before = warnings.length;
  const value = await fn();
  await new Promise((resolve) => setImmediate(resolve));
  return { value, logged: warnings.slice(before) };
}

describe('REST routes: responses HTTP cannot carry', () => {
  it('drops hop-by-hop headers: a handler’s Transfer-Encoding never goes out next to Content-Length', async () => {
    const r = await get('/te');
    expect(r.status).toBe(200);
    expect(r.body).toBe('hello');
    expect(r.headers['content-length']).toBe('5');
    expect(r.headers['transfer-encoding']).toBeUndefined();
    expect(r.headers['x-kept']).toBe('yes');
    // The function's `connection: close` does not decide the client's connection.
    expect(r.headers.connection).not.toBe('close');
  });

  it('answers 500 {"message":"Internal Server Error"} for a 1xx or out-of-range status, logged once as the function’s malformed response', async () => {
    for (const path of ['/s101', '/s100', '/s600', '/teapot']) {
      const { value: r, logged } = await warningsOf(() => get(path));
      expect(r.status, path).toBe(500);
      expect(r.headers['content-type']).toBe('application/json');
      expect(JSON.parse(r.body)).toEqual({ message: 'Internal Server Error' });
      expect(r.headers['x-amzn-errortype']).toBeUndefined();
      expect(logged, path).toHaveLength(1);
      expect(logged[0]).toMatch(/^neolith: function answers returned a malformed response to GET \/\{proxy\+\} \(request [0-9a-f-]{36}\): statusCode must be an integer from 200 to 599/);
    }
  });

  it('answers 500 for a CR/LF in a header value or cookie and for an invalid header name: nothing is injected', async () => {
    for (const [path, reason] of [['/crlf', 'header "x-a" has a value'], ['/cookie', 'cookies[0] has characters'], ['/badname', 'header name "bad name"']] as const) {
      const { value: r, logged } = await warningsOf(() => get(path));
      expect(r.status, path).toBe(500);
      expect(JSON.parse(r.body)).toEqual({ message: 'Internal Server Error' });
      expect(r.headers['set-cookie'], path).toBeUndefined();
      expect(r.headers['x-a'], path).toBeUndefined();
      expect(logged, path).toHaveLength(1);
      expect(logged[0]).toContain('malformed response');
      expect(logged[0]).toContain(reason);
      expect(logged[0]).not.toContain('unexpected');
    }
  });

  it('still answers well-formed responses afterwards', async () => {
    const r = await get('/fine');
    expect(r.status).toBe(200);
    expect(r.body).toBe('ok');
  });
});
