import { request } from 'node:http';
import { resolve } from 'node:path';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveProcess, type ServeProcess } from '../support/serve-process.js';
import { tempDir } from '../support/temp-dir.js';

const config = resolve(import.meta.dirname, '../fixtures/http/http.config.json');
const state = tempDir();
let server: ServeProcess;
let api: string;

beforeAll(async () => {
  server = await serveProcess(['--config', config, '--state', state.path], { env: { NEOLITH_TEST_BOB_SECRET: 'bob-secret' } });
  api = `${server.url}/api`;
});

afterAll(async () => {
  expect(await server?.stop()).toBe(0);
  state.remove();
});

describe('REST routes: the API Gateway payload 2.0 event', () => {
  it('carries every field of format 2.0', async () => {
    const response = await fetch(`${api}/items/42?b=2&a=1&a=3`, {
      headers: { 'X-Trace': 't1', cookie: 'session=abc; theme=dark', 'user-agent': 'rest-test' },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    const { event } = await response.json();
    expect(event).toEqual({
      version: '2.0',
      routeKey: 'GET /items/{id}',
      rawPath: '/items/42',
      rawQueryString: 'b=2&a=1&a=3',
      cookies: ['session=abc', 'theme=dark'],
      headers: expect.objectContaining({ 'x-trace': 't1', 'user-agent': 'rest-test', host: expect.any(String) }),
      queryStringParameters: { a: '1,3', b: '2' },
      pathParameters: { id: '42' },
      requestContext: {
        accountId: '111111111111',
        apiId: 'neolith',
        domainName: '127.0.0.1',
        domainPrefix: '127',
        http: { method: 'GET', path: '/items/42', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'rest-test' },
        requestId: response.headers.get('x-amzn-requestid'),
        routeKey: 'GET /items/{id}',
        stage: '$default',
        time: expect.stringMatching(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/),
        timeEpoch: expect.any(Number),
      },
      isBase64Encoded: false,
    });
    expect(event.headers.cookie).toBeUndefined();
  });

  it('passes query parameters and headers named like Object.prototype members as sent', async () => {
    const target = new URL(`${api}/items/1?constructor=x&toString=z&__proto__=y&ok=1`);
    const body = await new Promise<string>((done, fail) => {
      const req = request({
        host: target.hostname, port: target.port, path: `${target.pathname}${target.search}`,
        // Parsed: an object literal's `__proto__:` would set the prototype, not a header.
        headers: JSON.parse('{"constructor":"h","__proto__":"p","hasOwnProperty":"q"}') as Record<string, string>,
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => done(Buffer.concat(chunks).toString('utf8')));
      });
      req.on('error', fail);
      req.end();
    });
    const { event } = JSON.parse(body);
    expect(event.queryStringParameters).toEqual(JSON.parse('{"constructor":"x","toString":"z","__proto__":"y","ok":"1"}'));
    expect(Object.hasOwn(event.queryStringParameters, '__proto__')).toBe(true);
    expect(event.headers).toEqual(expect.objectContaining({ constructor: 'h', hasownproperty: 'q' }));
    expect(Object.hasOwn(event.headers, '__proto__') && event.headers.__proto__).toBe('p');
  });

  it('passes a JSON body as text and leaves out what the request does not have', async () => {
    const response = await fetch(`${api}/items`, { method: 'POST', body: '{"name":"x"}', headers: { 'content-type': 'application/json' } });
    const { event } = await response.json();
    expect(event).toMatchObject({ routeKey: 'POST /items', body: '{"name":"x"}', isBase64Encoded: false, rawQueryString: '' });
    for (const absent of ['cookies', 'queryStringParameters', 'pathParameters']) expect(event).not.toHaveProperty(absent);
  });

  it('round-trips binary bodies through base64 and greedy path parameters', async () => {
    const bytes = Buffer.from([0, 1, 2, 250, 251, 252, 253, 254, 255]);
    const response = await fetch(`${api}/binary/a/b%20c/d.bin`, { method: 'PUT', body: bytes, headers: { 'content-type': 'application/octet-stream' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/octet-stream');
    expect(Buffer.from(await response.arrayBuffer())).toEqual(bytes);
  });

  it('addresses a job by its path', async () => {
    const response = await fetch(`${api}/catalog/7`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ item: '7' });
  });
});

describe('REST routes: response mapping', () => {
  it('maps statusCode, headers, cookies and body', async () => {
    const response = await fetch(`${api}/cookies`);
    expect(response.status).toBe(201);
    expect(response.headers.get('x-custom')).toBe('yes');
    expect(response.headers.get('content-type')).toBe('text/plain');
    expect(response.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2; HttpOnly']);
    expect(await response.text()).toBe('created');
  });

  it('joins a set-cookie header of the function\'s to its cookies, and sends a 204 without a body or a length', async () => {
    const response = await fetch(`${api}/cookies?extra=1`);
    expect(response.headers.getSetCookie()).toEqual(['h=0', 'a=1; Path=/']);
    const empty = await fetch(`${api}/string?empty=1`);
    expect(empty.status).toBe(204);
    expect(empty.headers.get('content-length')).toBeNull();
    expect(await empty.text()).toBe('');
  });

  it('sends a returned string as the body of a 200 application/json response', async () => {
    const response = await fetch(`${api}/string`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.text()).toBe('hello from a string');
  });

  it('sends an object body as JSON', async () => {
    const response = await fetch(`${api}/object-body`);
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ accepted: true });
  });

  it('answers 500 Internal Server Error for a function error', async () => {
    const response = await fetch(`${api}/throw`);
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ message: 'Internal Server Error' });
  });

  it('answers a malformed response as an HTTP API does: 500 {"message":"Internal Server Error"}', async () => {
    const response = await fetch(`${api}/malformed`);
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ message: 'Internal Server Error' });
  });

  it('runs an Event route asynchronously: 202 with the request id', async () => {
    const response = await fetch(`${api}/events`, { method: 'POST', body: '{"n":1}', headers: { 'content-type': 'application/json' } });
    expect(response.status).toBe(202);
    const { requestId } = await response.json();
    expect(requestId).toBe(response.headers.get('x-amzn-requestid'));
  });

  it('answers unknown routes and methods with 404 Not Found in API Gateway’s shape', async () => {
    for (const [method, path] of [['GET', '/nope'], ['DELETE', '/items/1'], ['GET', '/items'], ['GET', '/binary']] as const) {
      const response = await fetch(`${api}${path}`, { method });
      expect(response.status, `${method} ${path}`).toBe(404);
      expect(response.headers.get('x-amzn-errortype')).toBe('NotFoundException');
      expect(await response.json()).toEqual({ message: 'Not Found' });
    }
  });
});

describe('REST routes: CORS', () => {
  it('answers a preflight without invoking anything', async () => {
    const response = await fetch(`${api}/items/1`, {
      method: 'OPTIONS', headers: { origin: 'https://app.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'content-type' },
    });
    expect(response.status).toBe(204);
    expect(Object.fromEntries([...response.headers].filter(([k]) => k.startsWith('access-control-')))).toEqual({
      'access-control-allow-origin': 'https://app.example',
      'access-control-allow-methods': 'GET,POST,PUT,PATCH,DELETE,HEAD',
      'access-control-allow-headers': 'content-type,authorization',
      'access-control-allow-credentials': 'true',
      'access-control-max-age': '600',
    });
  });

  it('gives a foreign origin no CORS headers, and adds them to real responses for an allowed one', async () => {
    const foreign = await fetch(`${api}/items/1`, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' } });
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    const real = await fetch(`${api}/cookies`, { headers: { origin: 'https://app.example' } });
    expect(real.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(real.headers.get('access-control-expose-headers')).toBe('x-custom');
    expect(real.headers.get('access-control-allow-credentials')).toBe('true');
  });

  it('answers with its CORS policy, not the function\'s own access-control headers (API Gateway ignores those)', async () => {
    const foreign = await fetch(`${api}/cookies?extra=1`, { headers: { origin: 'https://evil.example' } });
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    expect(foreign.headers.get('access-control-allow-credentials')).toBeNull();
    const allowed = await fetch(`${api}/cookies?extra=1`, { headers: { origin: 'https://app.example' } });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example');
    // The function's vary is kept beside the policy's; one request id, the host's.
    expect(allowed.headers.get('vary')).toBe('accept-encoding, origin');
    expect(allowed.headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('refuses a path whose "." or ".." segments the URL resolves away, and routes an absolute-form target by its path', async () => {
    const { hostname, port } = new URL(server.url);
    const send = (path: string) => new Promise<{ status: number; body: string }>((done, fail) => {
      // node:http sends the target as given; fetch would resolve it first.
      request({ hostname, port, path }, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
        res.on('end', () => done({ status: res.statusCode!, body }));
      }).on('error', fail).end();
    });
    for (const path of ['/api/../api/items/1', '/x/../api/items/1', '/api/items/%2e%2e/1']) {
      const answer = await send(path);
      expect(answer.status, path).toBe(400);
      expect(JSON.parse(answer.body).message, path).toMatch(/^Bad Request/);
    }
    const absolute = await send(`http://${hostname}:${port}/api/items/7`);
    expect(absolute.status).toBe(200);
    expect(JSON.parse(absolute.body).event).toMatchObject({ rawPath: '/items/7', routeKey: 'GET /items/{id}', pathParameters: { id: '7' } });
  });
});

describe('REST routes: per-route auth', () => {
  async function signed(path: string, accessKeyId: string, secretAccessKey: string): Promise<Response> {
    const url = new URL(`${api}${path}`);
    const signer = new SignatureV4({ credentials: { accessKeyId, secretAccessKey }, region: 'us-east-1', service: 'execute-api', sha256: Hash.bind(null, 'sha256') });
    const request = await signer.sign({ method: 'GET', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: url.pathname, query: {}, headers: { host: url.host } });
    return fetch(url, { headers: request.headers });
  }

  it('iam: needs a SigV4 signature of a permitted principal, and hands the handler its authorizer', async () => {
    expect((await fetch(`${api}/private`)).status).toBe(403);
    expect((await signed('/private', 'AKIABOB0000000000001', 'bob-secret')).status).toBe(403);
    const ok = await signed('/private', 'AKIAALICE00000000001', 'alice-secret');
    expect(ok.status).toBe(200);
    expect((await ok.json()).event.requestContext.authorizer).toEqual({
      iam: {
        accessKey: 'AKIAALICE00000000001', accountId: '111111111111', callerId: 'alice', cognitoIdentity: null, principalOrgId: null,
        userArn: 'arn:aws:iam::111111111111:user/alice', userId: 'alice',
      },
    });
  });

  it('jwt: needs a valid bearer token and passes its claims and scopes', async () => {
    expect((await fetch(`${api}/me`)).status).toBe(401);
    expect(await (await fetch(`${api}/me`, { headers: { authorization: 'Bearer not-a-jwt' } })).json()).toEqual({ message: 'Unauthorized' });
    const token = await new SignJWT({ scope: 'read write' }).setProtectedHeader({ alg: 'HS256' }).setSubject('u1')
      .setIssuer('https://issuer.example').setIssuedAt().setExpirationTime('5m').sign(new TextEncoder().encode('jwt-test-secret-that-is-long-enough'));
    const response = await fetch(`${api}/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(200);
    const { event } = await response.json();
    expect(event.requestContext.authorizer).toEqual({ jwt: { claims: expect.objectContaining({ sub: 'u1', iss: 'https://issuer.example' }), scopes: ['read', 'write'] } });
    // API Gateway's JWT authorizer requires exp: a token that never expires is refused.
    const forever = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('u1')
      .setIssuer('https://issuer.example').sign(new TextEncoder().encode('jwt-test-secret-that-is-long-enough'));
    expect((await fetch(`${api}/me`, { headers: { authorization: `Bearer ${forever}` } })).status).toBe(401);
  });
});
