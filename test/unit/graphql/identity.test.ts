import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { GraphqlGateway } from '../../../runtime/graphql/index.js';
import type { GraphqlOptions } from '../../../runtime/config/index.js';
import { ConfigError } from '../../../runtime/errors/index.js';
import { FakeGatewayHost, gql, schemaDir } from './fake-gateway-host.js';

const SECRET = 'a-test-secret-of-at-least-thirty-two-bytes!';
const SDL = 'type Query { me: JSON @fn(job: "auth/me") }';

let gateway: GraphqlGateway | undefined;
afterEach(async () => {
  await gateway?.close();
  gateway = undefined;
});

function build(options: GraphqlOptions) {
  const dir = schemaDir({ 'a.graphql': SDL });
  const host = new FakeGatewayHost({ 'auth/me': (events: Array<{ identity: unknown }>) => events.map((e) => e.identity) });
  gateway = GraphqlGateway.create(host, { schemaDir: dir, ...options })!;
  return { yoga: gateway.yoga, dir };
}

const hs256 = (claims: Record<string, unknown>, exp: string | number = '5m', secret = SECRET) =>
  new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuer('https://issuer.test').setSubject('alice')
    .setIssuedAt().setExpirationTime(exp).sign(new TextEncoder().encode(secret));

describe('identity from Authorization: Bearer <JWT>', () => {
  it('passes a verified HS256 token to jobs as AppSync\'s OIDC identity', async () => {
    const { yoga } = build({ auth: { jwt: { secret: SECRET, issuer: 'https://issuer.test' } } });
    const token = await hs256({ role: 'admin' });
    const { status, body } = await gql(yoga, '{ me }', undefined, { authorization: `Bearer ${token}` });
    expect(status).toBe(200);
    expect(body.data.me).toEqual({
      sub: 'alice', issuer: 'https://issuer.test',
      claims: expect.objectContaining({ sub: 'alice', iss: 'https://issuer.test', role: 'admin' }),
    });
  });

  it('lets anonymous callers in with identity null by default', async () => {
    const { yoga } = build({ auth: { jwt: { secret: SECRET } } });
    expect((await gql(yoga, '{ me }')).body).toEqual({ data: { me: null } });
  });

  it.each([
    ['a bad signature', async () => `Bearer ${await hs256({}, '5m', 'another-secret-another-secret-another-secret')}`, 'invalid token: signature verification failed'],
    ['an expired token', async () => `Bearer ${await hs256({}, Math.floor(Date.now() / 1000) - 60)}`, 'invalid token: "exp" claim timestamp check failed'],
    ['a wrong issuer', async () => `Bearer ${await hs256({})}`, null],
    ['not a bearer header', async () => 'Basic abc', 'the Authorization header must be "Bearer <JWT>"'],
    ['a token that never expires (no exp)', async () => `Bearer ${await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setIssuer('https://issuer.test')
      .setSubject('alice').sign(new TextEncoder().encode(SECRET))}`, 'invalid token: missing required "exp" claim'],
    // An empty subject names nobody: jobs would take it for the anonymous caller.
    ['an empty subject', async () => `Bearer ${await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setIssuer('https://issuer.test')
      .setSubject('').setExpirationTime('5m').sign(new TextEncoder().encode(SECRET))}`, 'the token has no "sub" claim'],
  ])('refuses %s with 401 UNAUTHENTICATED', async (_name, header, message) => {
    const { yoga } = build({ auth: { jwt: { secret: SECRET, issuer: message === null ? 'https://other.test' : 'https://issuer.test' } } });
    const { status, body } = await gql(yoga, '{ me }', undefined, { authorization: await header() });
    expect(status).toBe(401);
    expect(body.errors![0]!.extensions).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(body.errors![0]!.message).toBe(message ?? 'invalid token: unexpected "iss" claim value');
    expect(body.data).toBeUndefined();
  });

  it('refuses callers without a token when anonymous is false', async () => {
    const { yoga } = build({ auth: { jwt: { secret: SECRET }, anonymous: false } });
    const { status, body } = await gql(yoga, '{ me }');
    expect(status).toBe(401);
    expect(body.errors![0]).toMatchObject({
      message: 'this API requires a bearer token (Authorization: Bearer <JWT>)', extensions: { code: 'UNAUTHENTICATED' },
    });
  });

  it('verifies RS256 tokens against a JWKS file, and checks the audience', async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    const dir = schemaDir({ 'a.graphql': SDL });
    writeFileSync(join(dir, 'jwks.json'), JSON.stringify({ keys: [jwk] }));
    const { yoga } = build({ auth: { jwt: { jwksFile: join(dir, 'jwks.json'), audience: 'neolith' } } });
    const sign = (aud: string) => new SignJWT({}).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setSubject('bob')
      .setIssuer('https://idp.test').setAudience(aud).setExpirationTime('5m').sign(privateKey);
    const ok = await gql(yoga, '{ me }', undefined, { authorization: `Bearer ${await sign('neolith')}` });
    expect(ok.body.data.me).toMatchObject({ sub: 'bob', issuer: 'https://idp.test' });
    const wrong = await gql(yoga, '{ me }', undefined, { authorization: `Bearer ${await sign('someone-else')}` });
    expect(wrong.status).toBe(401);
    expect(wrong.body.errors![0]!.message).toBe('invalid token: unexpected "aud" claim value');
  });

  it('refuses a missing or empty JWKS file at start', () => {
    const dir = schemaDir({ 'a.graphql': SDL, 'empty.json': '{"keys":[]}' });
    const host = new FakeGatewayHost({ 'auth/me': () => [] });
    expect(() => GraphqlGateway.create(host, { schemaDir: dir, auth: { jwt: { jwksFile: join(dir, 'nope.json') } } }))
      .toThrow(ConfigError);
    expect(() => GraphqlGateway.create(host, { schemaDir: dir, auth: { jwt: { jwksFile: join(dir, 'empty.json') } } }))
      .toThrow(/graphql\.auth\.jwt\.jwksFile must hold a JWKS/);
  });
});
