/**
 * SigV4 identity on the GraphQL gateway through a real port: the same
 * principals (and the same AccessGate) as the Lambda API, signed with
 * `@smithy/signature-v4` over the exact body sent, handed to jobs as
 * AppSync's IAM identity. JWT keeps working next to it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHost, type Host } from '../../runtime/index.js';
import { tempDir } from '../support/temp-dir.js';

const JWT_SECRET = 'a-graphql-test-secret-of-at-least-32-bytes';
const ALICE = { accessKeyId: 'AKIAALICE00000000001', secretAccessKey: 'alice-secret' };
const PARTNER = { accessKeyId: 'AKIAPARTNER000000001', secretAccessKey: 'partner-secret' };

const app = tempDir('neolith-graphql-sigv4-');
const state = tempDir('neolith-graphql-sigv4-state-');
let host: Host;
let open: Host;
let url: string;
let openUrl: string;

async function start(auth: Record<string, unknown> | undefined, graphqlAuth: Record<string, unknown>): Promise<{ host: Host; url: string }> {
  const h = await createHost({
    config: {
      accountId: '111111111111',
      jobs: { dir: 'resolvers', layout: 'micro' },
      graphql: { auth: graphqlAuth },
      ...(auth && { auth }),
    },
    rootDir: app.path,
    overrides: { stateDir: join(state.path, auth ? 'signed' : 'open') },
  });
  const { url: u } = await h.listen({ port: 0 });
  return { host: h, url: u };
}

beforeAll(async () => {
  mkdirSync(join(app.path, 'schema'));
  mkdirSync(join(app.path, 'resolvers', 'who'), { recursive: true });
  writeFileSync(join(app.path, 'schema', 'who.graphql'), 'type Query { whoami(tag: String): JSON @fn(job: "who/whoami") }\n');
  writeFileSync(join(app.path, 'resolvers', 'who', 'whoami.mjs'), 'export async function handler(event) { return { identity: event.identity, tag: event.arguments.tag ?? null }; }\n');
  ({ host, url } = await start({
    anonymous: 'allow',
    principals: {
      alice: { ...ALICE },
      partner: { ...PARTNER, account: '222222222222' },
    },
  }, { anonymous: false, jwt: { secret: JWT_SECRET, issuer: 'https://issuer.test' } }));
  ({ host: open, url: openUrl } = await start(undefined, { anonymous: true }));
}, 60_000);

afterAll(async () => {
  await host?.close();
  await open?.close();
  app.remove();
  state.remove();
});

interface Signing {
  keys?: { accessKeyId: string; secretAccessKey: string };
  service?: string;
  /** Changes the body after signing (the signature no longer covers it). */
  tamper?: (body: string) => string;
}

/** POSTs a query to `/graphql` signed with SigV4 (x-amz-content-sha256 included, as AppSync clients send it). */
async function signedQuery(base: string, query: string, signing: Signing = {}): Promise<{ status: number; body: any }> {
  const target = new URL(`${base}/graphql`);
  const body = JSON.stringify({ query });
  const signer = new SignatureV4({
    credentials: signing.keys ?? ALICE, region: 'us-east-1', service: signing.service ?? 'appsync', sha256: Hash.bind(null, 'sha256'),
  });
  const request = await signer.sign({
    method: 'POST', protocol: 'http:', hostname: target.hostname, port: Number(target.port), path: target.pathname, query: {},
    headers: { host: target.host, 'content-type': 'application/json', accept: 'application/json' }, body,
  });
  const sent = signing.tamper ? signing.tamper(body) : body;
  const response = await fetch(target, { method: 'POST', headers: request.headers, body: sent });
  return { status: response.status, body: await response.json() };
}

async function plainQuery(base: string, query: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const response = await fetch(`${base}/graphql`, {
    method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json', ...headers }, body: JSON.stringify({ query }),
  });
  return { status: response.status, body: await response.json() };
}

describe('GraphQL with SigV4 principals', () => {
  it('hands a signed principal\'s job AppSync\'s IAM identity (service "appsync")', async () => {
    const { status, body } = await signedQuery(url, '{ whoami(tag: "a") }');
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect(body.data.whoami).toEqual({
      tag: 'a',
      identity: {
        accountId: '111111111111', cognitoIdentityPoolId: null, cognitoIdentityId: null, sourceIp: [expect.any(String)],
        username: 'alice', userArn: 'arn:aws:iam::111111111111:user/alice', cognitoIdentityAuthType: null, cognitoIdentityAuthProvider: null,
      },
    });
  });

  it('accepts a signature for service "lambda" too', async () => {
    const { status, body } = await signedQuery(url, '{ whoami }', { service: 'lambda' });
    expect(status).toBe(200);
    expect(body.data.whoami.identity.username).toBe('alice');
  });

  it('refuses an unknown access key: 401 UNAUTHENTICATED, UnrecognizedClientException', async () => {
    const { status, body } = await signedQuery(url, '{ whoami }', { keys: { accessKeyId: 'AKIANOBODY0000000001', secretAccessKey: 'x' } });
    expect(status).toBe(401);
    expect(body.data ?? null).toBeNull();
    expect(body.errors[0]).toMatchObject({
      message: 'The security token included in the request is invalid.',
      extensions: { code: 'UNAUTHENTICATED', reason: 'UnrecognizedClientException' },
    });
  });

  it('refuses a wrong secret: 403 FORBIDDEN, InvalidSignatureException', async () => {
    const { status, body } = await signedQuery(url, '{ whoami }', { keys: { ...ALICE, secretAccessKey: 'not-alice' } });
    expect(status).toBe(403);
    expect(body.errors[0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'InvalidSignatureException' });
    expect(body.errors[0].message).toMatch(/signature we calculated does not match/);
  });

  it('verifies the bytes the gateway read: a body changed after signing is refused', async () => {
    const { status, body } = await signedQuery(url, '{ whoami(tag: "a") }', { tamper: (b) => b.replace('\\"a\\"', '\\"b\\"') });
    expect(status).toBe(403);
    expect(body.errors[0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'InvalidSignatureException' });
    expect(body.errors[0].message).toMatch(/x-amz-content-sha256/);
  });

  it('refuses a principal of another account: 403 FORBIDDEN, AccessDeniedException', async () => {
    const { status, body } = await signedQuery(url, '{ whoami }', { keys: PARTNER });
    expect(status).toBe(403);
    expect(body.errors[0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'AccessDeniedException' });
  });

  it('warns at listen when http.auth is set but GraphQL lets anyone in (its default)', async () => {
    const lines: string[] = [];
    const destination = { write: (line: string) => void lines.push(line) };
    const warned = await createHost({
      config: { accountId: '111111111111', jobs: { dir: 'resolvers', layout: 'micro' }, auth: { principals: { alice: { ...ALICE } } } },
      rootDir: app.path,
      overrides: { stateDir: join(state.path, 'warned') },
      logger: { level: 'warn', destination },
    });
    try {
      await warned.listen({ port: 0 });
      const warnings = lines.map((l) => JSON.parse(l) as { level: number; msg: string }).filter((l) => l.level === 40);
      expect(warnings.map((w) => w.msg)).toContainEqual(expect.stringContaining('http.auth is set but graphql.auth.anonymous is true'));
    } finally {
      await warned.close();
    }
    // With GraphQL closed to anonymous callers there is nothing to warn of.
    lines.length = 0;
    const quiet = await createHost({
      config: {
        accountId: '111111111111', jobs: { dir: 'resolvers', layout: 'micro' }, auth: { principals: { alice: { ...ALICE } } },
        graphql: { auth: { anonymous: false, jwt: { secret: JWT_SECRET, issuer: 'https://issuer.test' } } },
      },
      rootDir: app.path,
      overrides: { stateDir: join(state.path, 'quiet') },
      logger: { level: 'warn', destination },
    });
    try {
      await quiet.listen({ port: 0 });
      expect(lines.join('')).not.toContain('graphql.auth.anonymous is true');
    } finally {
      await quiet.close();
    }
  });

  it('graphql.auth.anonymous false refuses a request with neither a signature nor a token', async () => {
    const { status, body } = await plainQuery(url, '{ whoami }');
    expect(status).toBe(401);
    expect(body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    expect(body.errors[0].message).toMatch(/SigV4/);
  });

  it('keeps JWT bearer identity unchanged next to SigV4', async () => {
    const token = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setIssuer('https://issuer.test').setSubject('u1')
      .setIssuedAt().setExpirationTime('5m').sign(new TextEncoder().encode(JWT_SECRET));
    const { status, body } = await plainQuery(url, '{ whoami }', { authorization: `Bearer ${token}` });
    expect(status).toBe(200);
    expect(body.data.whoami.identity).toMatchObject({ sub: 'u1', issuer: 'https://issuer.test' });
    expect((await plainQuery(url, '{ whoami }', { authorization: 'Bearer nope' })).status).toBe(401);
  });

  it('refuses SigV4 on a host without auth.principals', async () => {
    const { status, body } = await signedQuery(openUrl, '{ whoami }');
    expect(status).toBe(401);
    expect(body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    expect(body.errors[0].message).toMatch(/auth\.principals/);
    expect((await plainQuery(openUrl, '{ whoami }')).body.data.whoami.identity).toBeNull();
  });
});
