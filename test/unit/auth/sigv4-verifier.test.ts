import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';
import { PrincipalDirectory, SigV4Verifier } from '../../../runtime/auth/index.js';
import { InvalidSignatureError, UnrecognizedClientError } from '../../../runtime/errors/index.js';

const NOW = Date.UTC(2024, 4, 1, 12, 0, 0);
const principals = new PrincipalDirectory([{ name: 'alice', accessKeyId: 'AKIAALICE00000000001', secretAccessKey: 'alice-secret', accountId: '111111111111' }]);
const verifier = new SigV4Verifier(principals, { clockSkewSeconds: 300, region: 'us-east-1', now: () => NOW });

async function signedRequest(options: { region?: string; service?: string; secret?: string; at?: number; path?: string; query?: Record<string, string>; body?: string; headers?: Record<string, string> } = {}) {
  const signer = new SignatureV4({
    credentials: { accessKeyId: 'AKIAALICE00000000001', secretAccessKey: options.secret ?? 'alice-secret' },
    region: options.region ?? 'us-east-1', service: options.service ?? 'lambda', sha256: Hash.bind(null, 'sha256'),
  });
  const path = options.path ?? '/2015-03-31/functions/echo/invocations';
  const signed = await signer.sign({
    method: 'POST', protocol: 'http:', hostname: '127.0.0.1', port: 4000, path, query: options.query ?? {},
    headers: { host: '127.0.0.1:4000', 'content-type': 'application/json', ...options.headers }, body: options.body ?? '{}',
  }, { signingDate: new Date(options.at ?? NOW) });
  const headers = Object.fromEntries(Object.entries(signed.headers).map(([k, v]) => [k.toLowerCase(), v]));
  const rawQuery = new URLSearchParams(options.query ?? {}).toString().replace(/\+/g, '%20');
  return { request: { method: 'POST', rawPath: path, rawQuery, headers }, authorization: headers.authorization!, body: Buffer.from(options.body ?? '{}') };
}

describe('SigV4Verifier', () => {
  it('accepts what @smithy/signature-v4 signed, with query, extra headers and body', async () => {
    const r = await signedRequest({ query: { Qualifier: '$LATEST', x: 'a b' }, headers: { 'x-amz-invocation-type': 'DryRun', 'user-agent': 'ua' }, body: '{"a":1}' });
    const principal = await verifier.begin(r.request, r.authorization).verify(r.body);
    expect(principal).toEqual({ name: 'alice', accessKeyId: 'AKIAALICE00000000001', accountId: '111111111111', arn: 'arn:aws:iam::111111111111:user/alice' });
  });

  it('accepts an encoded path (SigV4 double-encodes it)', async () => {
    const r = await signedRequest({ path: '/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A111111111111%3Afunction%3Aecho/invocations' });
    await expect(verifier.begin(r.request, r.authorization).verify(r.body)).resolves.toMatchObject({ name: 'alice' });
  });

  it('refuses a wrong secret, a changed body, a changed header', async () => {
    const wrong = await signedRequest({ secret: 'nope' });
    await expect(verifier.begin(wrong.request, wrong.authorization).verify(wrong.body)).rejects.toThrow(InvalidSignatureError);
    const r = await signedRequest();
    await expect(verifier.begin(r.request, r.authorization).verify(Buffer.from('{"x":1}'))).rejects.toThrow(InvalidSignatureError);
    const tampered = { ...r.request, headers: { ...r.request.headers, 'content-type': 'text/plain' } };
    await expect(verifier.begin(tampered, r.authorization).verify(r.body)).rejects.toThrow(InvalidSignatureError);
  });

  it('refuses a signature scoped to another region, or to a service the surface does not answer to', async () => {
    const elsewhere = await signedRequest({ region: 'eu-west-1' });
    expect(() => verifier.begin(elsewhere.request, elsewhere.authorization)).toThrow(InvalidSignatureError);
    expect(() => verifier.begin(elsewhere.request, elsewhere.authorization)).toThrow(/^Credential should be scoped to a valid region\. .*'eu-west-1'/);
    const s3 = await signedRequest({ service: 's3' });
    expect(() => verifier.begin(s3.request, s3.authorization, ['lambda'])).toThrow(/^Credential should be scoped to correct service: 'lambda'\. \(not 's3'\)$/);
    await expect(verifier.begin(s3.request, s3.authorization).verify(s3.body)).resolves.toMatchObject({ name: 'alice' });
    const appsync = await signedRequest({ service: 'appsync' });
    await expect(verifier.begin(appsync.request, appsync.authorization, ['appsync', 'lambda']).verify(appsync.body)).resolves.toMatchObject({ name: 'alice' });
  });

  it('refuses an unknown key before anything else', async () => {
    const r = await signedRequest();
    expect(() => verifier.begin(r.request, r.authorization.replace('AKIAALICE00000000001', 'AKIAOTHER00000000001'))).toThrow(UnrecognizedClientError);
  });

  it('enforces the clock-skew window both ways, inclusive of its edge', async () => {
    const old = await signedRequest({ at: NOW - 301_000 });
    expect(() => verifier.begin(old.request, old.authorization)).toThrow(/^Signature expired: 20240501T115459Z is now earlier than 20240501T115500Z \(20240501T120000Z - 5 min\.\)$/);
    const future = await signedRequest({ at: NOW + 301_000 });
    expect(() => verifier.begin(future.request, future.authorization)).toThrow(/^Signature not yet current/);
    const edge = await signedRequest({ at: NOW - 300_000 });
    await expect(verifier.begin(edge.request, edge.authorization).verify(edge.body)).resolves.toBeDefined();
  });

  it('refuses malformed Authorization headers and dates with InvalidSignatureException', async () => {
    const r = await signedRequest();
    for (const authorization of ['AWS4-HMAC-SHA256', 'Basic YWxhZGRpbjpvcGVuc2VzYW1l', r.authorization.replace(/Signature=\w+/, 'Signature=xyz')]) {
      expect(() => verifier.begin(r.request, authorization), authorization).toThrow(InvalidSignatureError);
    }
    expect(() => verifier.begin({ ...r.request, headers: { ...r.request.headers, 'x-amz-date': 'tomorrow' } }, r.authorization)).toThrow(InvalidSignatureError);
    const noHost = r.authorization.replace(/SignedHeaders=[^,]+/, 'SignedHeaders=x-amz-date');
    expect(() => verifier.begin(r.request, noHost)).toThrow("'Host' must be a signed header");
  });
});
