import { request } from 'node:http';
import { resolve } from 'node:path';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHost, type Host } from '../../runtime/index.js';
import { tempDir } from '../support/temp-dir.js';

/**
 * Hostile input against every endpoint, with auth off and on: each request
 * gets a clear 4xx in Lambda's (or API Gateway's) error shape, the host stays
 * up, and no function runs.
 */
const fixtures = resolve(import.meta.dirname, '../fixtures/http');
const handlers = resolve(import.meta.dirname, '../fixtures/handlers');

interface Raw { status: number; headers: Record<string, string | string[] | undefined>; body: string }

function raw(base: string, method: string, path: string, headers: Record<string, string> = {}, body?: string | Buffer): Promise<Raw> {
  const url = new URL(base);
  return new Promise((done, fail) => {
    // node:http sends the path as given: no URL normalisation of "../".
    const req = request({ host: url.hostname, port: url.port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', fail);
    req.end(body);
  });
}

const LAMBDA_PATHS = [
  ['POST', '/2015-03-31/functions/echo/invocations'],
  ['GET', '/2015-03-31/functions/echo'],
  ['GET', '/2015-03-31/functions/'],
  ['GET', '/2015-03-31/functions/echo/configuration'],
  ['GET', '/2015-03-31/functions/echo/policy'],
  ['POST', '/2015-03-31/functions/echo/policy'],
  ['DELETE', '/2015-03-31/functions/echo/policy/x'],
  ['PUT', '/2017-10-31/functions/echo/concurrency'],
  ['DELETE', '/2017-10-31/functions/echo/concurrency'],
  ['GET', '/2019-09-30/functions/echo/concurrency'],
  ['PUT', '/2019-09-25/functions/echo/event-invoke-config'],
] as const;

function expectClear4xx(r: Raw, what: string): void {
  expect(r.status, `${what}: ${r.status} ${r.body}`).toBeGreaterThanOrEqual(400);
  expect(r.status, `${what}: ${r.status} ${r.body}`).toBeLessThan(500);
  expect(r.headers['x-amzn-errortype'], what).toEqual(expect.any(String));
  const parsed = JSON.parse(r.body) as { message?: unknown };
  expect(typeof parsed.message, what).toBe('string');
}

for (const mode of ['auth off', 'auth on'] as const) {
  describe(`fuzz (${mode})`, () => {
    const state = tempDir();
    let host: Host;
    let url: string;
    let runs = 0;

    beforeAll(async () => {
      host = await createHost({
        rootDir: fixtures,
        config: {
          stateDir: state.path,
          accountId: '111111111111',
          spareEnvironments: 0,
          functions: {
            echo: { handler: resolve(handlers, 'echo.mjs') },
            rest: { handler: './rest.mjs' },
          },
          routes: { 'GET /items/{id}': 'rest', 'POST /items': 'rest' },
          ...(mode === 'auth on' && {
            auth: { anonymous: 'deny', principals: { alice: { accessKeyId: 'AKIAALICE00000000001', secretAccessKey: 'alice-secret' } } },
          }),
        },
      });
      host.invoker.onOutcome(() => runs++);
      url = (await host.listen({ port: 0 })).url;
    });

    afterAll(async () => {
      await host?.close();
      state.remove();
    });

    async function signed(method: string, path: string, body: string | Buffer, headers: Record<string, string> = {}): Promise<Raw> {
      const u = new URL(url);
      const signer = new SignatureV4({
        credentials: { accessKeyId: 'AKIAALICE00000000001', secretAccessKey: 'alice-secret' }, region: 'us-east-1', service: 'lambda', sha256: Hash.bind(null, 'sha256'),
      });
      const req = await signer.sign({ method, protocol: 'http:', hostname: u.hostname, path, query: {}, headers: { host: u.host, ...headers }, body });
      return raw(url, method, path, req.headers as Record<string, string>, body);
    }

    // Only with auth on: with auth off signatures are not checked by design (a signed call is an ordinary call).
    const withAuth = mode === 'auth on' ? it : undefined;
    withAuth?.('refuses malformed signatures and wrong dates on every Lambda API path', async () => {
      const now = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
      const cred = `AKIAALICE00000000001/${now.slice(0, 8)}/us-east-1/lambda/aws4_request`;
      const authorizations: Array<Record<string, string>> = [
        { authorization: 'AWS4-HMAC-SHA256 garbage' },
        { authorization: 'Bearer abc.def.ghi' },
        { authorization: `AWS4-HMAC-SHA256 Credential=${cred}, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`, 'x-amz-date': now },
        { authorization: `AWS4-HMAC-SHA256 Credential=${cred}, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`, 'x-amz-date': 'yesterday' },
        { authorization: `AWS4-HMAC-SHA256 Credential=${cred}, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`, 'x-amz-date': '20200101T000000Z' },
        { authorization: `AWS4-HMAC-SHA256 Credential=${cred}, SignedHeaders=host;x-amz-date;x-missing, Signature=${'0'.repeat(64)}`, 'x-amz-date': now },
        { authorization: `AWS4-HMAC-SHA256 Credential=NOBODY00000000000000/${now.slice(0, 8)}/us-east-1/lambda/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`, 'x-amz-date': now },
      ];
      for (const [method, path] of LAMBDA_PATHS) {
        for (const headers of authorizations) {
          const r = await raw(url, method, path, headers, method === 'GET' || method === 'DELETE' ? undefined : '{}');
          expectClear4xx(r, `${method} ${path} ${JSON.stringify(headers)}`);
          expect(r.status).toBe(403);
        }
      }
    });

    it('refuses path traversal, bad names, non-JSON and wrong content types', async () => {
      const send = mode === 'auth on' ? signed : (m: string, p: string, b: string, h?: Record<string, string>) => raw(url, m, p, h, b);
      const cases: Array<[string, string, string, Record<string, string>?]> = [
        ['POST', '/2015-03-31/functions/../../etc/passwd/invocations', '{}'],
        ['POST', '/2015-03-31/functions/..%2F..%2Fetc%2Fpasswd/invocations', '{}'],
        ['POST', '/2015-03-31/functions/%E0%A4%A/invocations', '{}'],
        ['POST', `/2015-03-31/functions/${'a'.repeat(300)}/invocations`, '{}'],
        ['GET', '/2015-03-31/functions/..%2Fecho', ''],
        ['POST', '/2015-03-31/functions/echo/invocations', 'not json'],
        ['POST', '/2015-03-31/functions/echo/invocations', '<xml/>', { 'content-type': 'application/xml' }],
        ['POST', '/2015-03-31/functions/echo/invocations', '{"a":', { 'content-type': 'text/plain' }],
        ['POST', '/2015-03-31/functions/echo/invocations', '{}', { 'x-amz-invocation-type': 'Sideways' }],
        ['POST', '/2015-03-31/functions/echo/invocations', '{}', { 'x-amz-client-context': '!!!' }],
        ['PUT', '/2017-10-31/functions/echo/concurrency', 'nope'],
        ['PUT', '/2017-10-31/functions/echo/concurrency', '{"ReservedConcurrentExecutions":-1}'],
        ['PUT', '/2019-09-25/functions/echo/event-invoke-config', '[1,2]'],
        ['POST', '/2015-03-31/functions/echo/policy', '{"StatementId":"../x","Action":"lambda:InvokeFunction","Principal":"*"}'],
        ['DELETE', '/2015-03-31/functions/echo/policy/..', ''],
        ['PATCH', '/2015-03-31/functions/echo', ''],
        ['GET', '/2015-03-31/functions/echo/unknown', ''],
        ['GET', '/2099-01-01/functions/echo', ''],
        ['GET', '/nothing/here', ''],
        // Malformed percent-encoding in the event source routes' names: 400, not a 500.
        ['PUT', '/buckets/%E0%A4%A/x', 'data'],
        ['POST', '/topics/%ZZ', '{}'],
        ['POST', '/streams/%E0/put', '{}'],
        ['POST', '/tables/%/put', '{}'],
        ['GET', '/2015-03-31/event-source-mappings/%E0', ''],
      ];
      for (const [method, path, body, headers] of cases) {
        expectClear4xx(await send(method, path, body, headers ?? {}), `${method} ${path} ${body}`);
      }
    });

    it('refuses an Invoke body that is not valid UTF-8 with 400 InvalidRequestContentException, as Lambda does', async () => {
      const send = mode === 'auth on' ? signed : (m: string, p: string, b: string | Buffer) => raw(url, m, p, {}, b);
      // Each would decode to U+FFFD and reach the function as valid JSON it was never sent.
      for (const body of [Buffer.from([0x22, 0xff, 0xfe, 0x22]), Buffer.from('{"a":"\xc3"}', 'latin1'), Buffer.from([0x22, 0xed, 0xa0, 0x80, 0x22])]) {
        const r = await send('POST', '/2015-03-31/functions/echo/invocations', body);
        expectClear4xx(r, `body ${body.toString('hex')}`);
        expect(r.status).toBe(400);
        expect(r.headers['x-amzn-errortype']).toBe('InvalidRequestContentException');
        expect(JSON.parse(r.body).message).toBe('Could not parse request body into json: the body is not valid UTF-8');
      }
    });

    it('refuses management bodies and client contexts that are not valid UTF-8, and stores nothing', async () => {
      const send = mode === 'auth on' ? signed : (m: string, p: string, b: string | Buffer, h?: Record<string, string>) => raw(url, m, p, h ?? {}, b);
      const statement = Buffer.concat([Buffer.from('{"StatementId":"s'), Buffer.from([0xff]), Buffer.from('1","Action":"lambda:InvokeFunction","Principal":"*"}')]);
      const bodies: Array<[string, string, Buffer]> = [
        ['POST', '/2015-03-31/functions/echo/policy', statement],
        ['PUT', '/2019-09-25/functions/echo/event-invoke-config', Buffer.from('{"MaximumRetryAttempts":1,"x":"\xc3"}', 'latin1')],
      ];
      for (const [method, path, body] of bodies) {
        const r = await send(method, path, body);
        expectClear4xx(r, `${method} ${path}`);
        if (mode === 'auth off') {
          expect(r.status).toBe(400);
          expect(r.headers['x-amzn-errortype']).toBe('InvalidRequestContentException');
          expect(JSON.parse(r.body).message).toBe('Could not parse request body into json: the body is not valid UTF-8');
        }
      }
      // The client context is base64 of JSON; bytes that are not UTF-8 inside it are refused too.
      const context = Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]).toString('base64');
      const invoked = await send('POST', '/2015-03-31/functions/echo/invocations', Buffer.from('{}'), { 'x-amz-client-context': context });
      expectClear4xx(invoked, 'client context');
      expect(invoked.status).toBe(400);
      if (mode === 'auth off') {
        const policy = await raw(url, 'GET', '/2015-03-31/functions/echo/policy');
        expect(policy.body).not.toContain('"s');
        expect((await raw(url, 'GET', '/2019-09-25/functions/echo/event-invoke-config')).status).toBe(404);
      }
    });

    it('refuses hostile REST requests with API Gateway’s shape', async () => {
      for (const [method, path, body] of [
        ['GET', '/api/../../etc/passwd', undefined],
        ['GET', '/api/items/%E0%A4%A', undefined],
        ['DELETE', '/api/items/1', undefined],
        ['PUT', '/api/items', 'x'],
        ['GET', '/api/nope', undefined],
      ] as const) {
        expectClear4xx(await raw(url, method, path, {}, body), `${method} ${path}`);
      }
    });

    it('refuses huge headers and bodies, and stays up', async () => {
      const big = await raw(url, 'POST', '/2015-03-31/functions/echo/invocations', { 'x-big': 'y'.repeat(20_000) }, '{}');
      expectClear4xx(big, 'huge header');
      expect(big.status).toBe(431);
      const huge = await raw(url, 'POST', '/2015-03-31/functions/echo/invocations', {}, Buffer.alloc(7 * 1024 * 1024, 0x20));
      expectClear4xx(huge, 'huge body');
      // With auth on the unsigned request is refused before its body is read.
      expect(huge.status).toBe(mode === 'auth on' ? 403 : 413);
      expect((await raw(url, 'GET', '/healthz')).status).toBe(200);
    });

    it('ran nothing', () => {
      expect(runs).toBe(0);
    });
  });
}
