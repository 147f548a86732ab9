import { resolve } from 'node:path';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import {
  AddPermissionCommand, CreateEventSourceMappingCommand, DeleteEventSourceMappingCommand, DeleteFunctionConcurrencyCommand, GetFunctionCommand,
  InvalidRequestContentException, InvokeCommand, LambdaClient, ListFunctionsCommand, PutFunctionConcurrencyCommand, RemovePermissionCommand,
} from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveProcess, type ServeProcess } from '../support/serve-process.js';
import { tempDir } from '../support/temp-dir.js';

const config = resolve(import.meta.dirname, '../fixtures/http/http.config.json');
const state = tempDir();
let server: ServeProcess;
const clients: LambdaClient[] = [];
const text = (bytes: Uint8Array | undefined) => Buffer.from(bytes ?? []).toString('utf8');

function client(accessKeyId: string, secretAccessKey: string, extra: Partial<ConstructorParameters<typeof LambdaClient>[0]> = {}): LambdaClient {
  const c = new LambdaClient({ endpoint: server.url, region: 'us-east-1', maxAttempts: 1, credentials: { accessKeyId, secretAccessKey }, ...extra });
  clients.push(c);
  return c;
}

let alice: LambdaClient;
let bob: LambdaClient;
let partner: LambdaClient;

beforeAll(async () => {
  server = await serveProcess(['--config', config, '--state', state.path], { env: { NEOLITH_TEST_BOB_SECRET: 'bob-secret' } });
  alice = client('AKIAALICE00000000001', 'alice-secret');
  bob = client('AKIABOB0000000000001', 'bob-secret');
  partner = client('AKIAPARTNER000000001', 'partner-secret');
});

afterAll(async () => {
  for (const c of clients) c.destroy();
  expect(await server?.stop()).toBe(0);
  state.remove();
});

/** The error a promise rejects with, as the SDK reports it. */
async function failure(promise: Promise<unknown>): Promise<{ name: string; status: number | undefined; message: string }> {
  try {
    await promise;
  } catch (error) {
    const e = error as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, status: e.$metadata?.httpStatusCode, message: e.message };
  }
  throw new Error('expected the call to fail');
}

/** A request to the host's own routes signed by alice or bob. */
async function signed(who: 'alice' | 'bob', method: string, path: string): Promise<{ status: number; body: string }> {
  const [id, secret] = who === 'alice' ? ['AKIAALICE00000000001', 'alice-secret'] : ['AKIABOB0000000000001', 'bob-secret'];
  const url = new URL(`${server.url}${path}`);
  const signer = new SignatureV4({ credentials: { accessKeyId: id, secretAccessKey: secret }, region: 'us-east-1', service: 'lambda', sha256: Hash.bind(null, 'sha256') });
  const request = await signer.sign({
    method, protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: url.pathname,
    query: Object.fromEntries(url.searchParams), headers: { host: url.host },
  });
  const response = await fetch(url, { method, headers: request.headers });
  return { status: response.status, body: await response.text() };
}

describe('SigV4 principals through @aws-sdk/client-lambda', () => {
  it('lets a same-account principal invoke an unlisted function and passes its identity to the handler', async () => {
    const out = await alice.send(new InvokeCommand({ FunctionName: 'echo', Payload: '{"a":1}' }));
    expect(out.StatusCode).toBe(200);
    expect(JSON.parse(text(out.Payload)).identity).toEqual({
      principal: 'alice', accountId: '111111111111', accessKeyId: 'AKIAALICE00000000001', userArn: 'arn:aws:iam::111111111111:user/alice',
    });
  });

  it('reads a secret from an environment variable ({ env })', async () => {
    const out = await bob.send(new InvokeCommand({ FunctionName: 'echo' }));
    expect(JSON.parse(text(out.Payload)).identity.principal).toBe('bob');
  });

  it('denies a principal a function whose permissions do not name it, naming both', async () => {
    expect(await failure(bob.send(new InvokeCommand({ FunctionName: 'secret' })))).toEqual({
      name: 'AccessDeniedException', status: 403,
      message: 'User: arn:aws:iam::111111111111:user/bob is not authorized to perform: lambda:InvokeFunction on resource: arn:aws:lambda:us-east-1:111111111111:function:secret because no resource-based policy allows the lambda:InvokeFunction action',
    });
    const ok = await alice.send(new InvokeCommand({ FunctionName: 'secret' }));
    expect(ok.StatusCode).toBe(200);
  });

  it('holds a job\'s permissions when its one-job function is called by its own name', async () => {
    // Micro layout: the catalog function holds only catalog/getItem, so both names reach the same code.
    expect(await failure(bob.send(new InvokeCommand({ FunctionName: 'catalog', Payload: '{}' })))).toMatchObject({
      name: 'AccessDeniedException', status: 403, message: expect.stringContaining('function:catalog'),
    });
    const out = await alice.send(new InvokeCommand({ FunctionName: 'catalog', Payload: '{"pathParameters":{"id":"7"}}' }));
    expect(JSON.parse(text(out.Payload))).toMatchObject({ statusCode: 200, body: '{"item":"7"}' });
    // Nor is it listed to bob, by the Lambda API or the dashboard's data.
    const listed = async (c: LambdaClient) => ((await c.send(new ListFunctionsCommand({}))).Functions ?? []).map((f) => f.FunctionName);
    expect(await listed(bob)).not.toContain('catalog');
    expect(await listed(alice)).toContain('catalog');
    const dashboard = async (who: 'alice' | 'bob') => (JSON.parse((await signed(who, 'GET', '/dashboard/state')).body) as { functions: Array<{ name: string }> }).functions.map((f) => f.name);
    expect(await dashboard('bob')).not.toContain('catalog');
    expect(await dashboard('alice')).toContain('catalog');
    expect((await signed('bob', 'GET', '/logs?function=catalog')).status).toBe(403);
  });

  it('lets a principal that a statement grants only a read see a function, not make it run', async () => {
    await alice.send(new AddPermissionCommand({ FunctionName: 'secret', StatementId: 'bob-reads', Action: 'lambda:GetFunction', Principal: 'arn:aws:iam::111111111111:user/bob' }));
    try {
      expect((await bob.send(new GetFunctionCommand({ FunctionName: 'secret' }))).Configuration?.FunctionName).toBe('secret');
      expect((await failure(bob.send(new InvokeCommand({ FunctionName: 'secret' })))).name).toBe('AccessDeniedException');
      const source = 'arn:aws:kinesis:us-east-1:111111111111:stream/signed';
      expect(await failure(bob.send(new CreateEventSourceMappingCommand({ FunctionName: 'secret', EventSourceArn: source, StartingPosition: 'LATEST' }))))
        .toMatchObject({ name: 'AccessDeniedException', status: 403 });
      const mapping = await alice.send(new CreateEventSourceMappingCommand({ FunctionName: 'secret', EventSourceArn: source, StartingPosition: 'LATEST' }));
      expect((await signed('bob', 'GET', `/2015-03-31/event-source-mappings/${mapping.UUID}`)).status).toBe(200);
      expect(await failure(bob.send(new DeleteEventSourceMappingCommand({ UUID: mapping.UUID })))).toMatchObject({ name: 'AccessDeniedException', status: 403 });
      await alice.send(new DeleteEventSourceMappingCommand({ UUID: mapping.UUID }));
      // A dead letter of secret: reserved concurrency 0 sends its events straight to the failure destination.
      await alice.send(new PutFunctionConcurrencyCommand({ FunctionName: 'secret', ReservedConcurrentExecutions: 0 }));
      const queued = await alice.send(new InvokeCommand({ FunctionName: 'secret', InvocationType: 'Event', Payload: '{}' }));
      await alice.send(new DeleteFunctionConcurrencyCommand({ FunctionName: 'secret' }));
      expect(JSON.parse((await signed('alice', 'GET', `/invocations/${queued.$metadata.requestId}?wait=10`)).body)).toMatchObject({ status: 'FAILED' });
      const letters = JSON.parse((await signed('alice', 'GET', '/dead-letters?function=secret')).body) as { deadLetters: Array<{ id: string; event: { requestId: string } }> };
      const letter = letters.deadLetters.find((l) => l.event.requestId === queued.$metadata.requestId)!;
      expect((await signed('bob', 'GET', `/dead-letters/${letter.id}`)).status).toBe(200);
      expect((await signed('bob', 'POST', `/dead-letters/${letter.id}/redrive`)).status).toBe(403);
      expect((await signed('bob', 'DELETE', `/dead-letters/${letter.id}`)).status).toBe(403);
      expect((await signed('alice', 'DELETE', `/dead-letters/${letter.id}`)).status).toBe(204);
    } finally {
      await alice.send(new RemovePermissionCommand({ FunctionName: 'secret', StatementId: 'bob-reads' }));
    }
  });

  it('shows a restricted function\'s records, logs and mappings only to the principals its permissions name', async () => {
    const get = (who: 'alice' | 'bob', path: string) => signed(who, 'GET', path);
    const bobs = await bob.send(new InvokeCommand({ FunctionName: 'echo', InvocationType: 'Event', Payload: '{}' }));
    const queued = await alice.send(new InvokeCommand({ FunctionName: 'secret', InvocationType: 'Event', Payload: '{}' }));
    const id = queued.$metadata.requestId!;
    const ran = await alice.send(new InvokeCommand({ FunctionName: 'secret', Payload: '{}' }));
    const logId = ran.$metadata.requestId!;
    // alice is named: she sees them.
    expect((await get('alice', `/invocations/${id}`)).status).toBe(200);
    expect((await get('alice', '/logs?function=secret')).status).toBe(200);
    expect((await get('alice', `/logs?requestId=${logId}`)).status).toBe(200);
    // bob is not: a record or log by id answers as missing, a filter on the function is refused, lists leave them out.
    expect((await get('bob', `/invocations/${id}`)).status).toBe(404);
    expect((await get('bob', `/invocations/${id}?wait=1`)).status).toBe(404);
    expect((await get('bob', '/invocations?function=secret')).status).toBe(403);
    expect((await get('bob', '/dead-letters?function=secret')).status).toBe(403);
    expect((await get('bob', '/invocations')).body).not.toContain(id);
    // A page is filled past the hidden records: bob's newest visible one, not an empty page.
    expect(JSON.parse((await get('bob', '/invocations?limit=1')).body).invocations.map((r: { id: string }) => r.id)).toEqual([bobs.$metadata.requestId]);
    expect((await get('alice', '/invocations')).body).toContain(id);
    expect((await get('bob', '/logs?function=secret')).status).toBe(403);
    expect((await get('bob', `/logs?requestId=${logId}`)).status).toBe(404);
    // The dashboard's data: the function and its log tails only for alice.
    const names = async (who: 'alice' | 'bob') => (JSON.parse((await get(who, '/dashboard/state')).body) as { functions: Array<{ name: string }>; recent: Array<{ requestId: string }> });
    expect((await names('alice')).functions.map((f) => f.name)).toContain('secret');
    expect((await names('bob')).functions.map((f) => f.name)).not.toContain('secret');
    expect((await names('bob')).recent.map((r) => r.requestId)).not.toContain(logId);
    expect((await names('bob')).functions.map((f) => f.name)).toContain('echo');
    // Its totals are of what bob may see, and his own runs are listed however many hidden ones came after.
    const board = JSON.parse((await get('bob', '/dashboard/state')).body) as { totals: { invocations: number }; functions: Array<{ invocations: number }>; recent: Array<{ functionName: string }> };
    expect(board.totals.invocations).toBe(board.functions.reduce((n, f) => n + f.invocations, 0));
    for (let i = 0; i < 25; i++) await alice.send(new InvokeCommand({ FunctionName: 'secret', Payload: '{}' }));
    expect((JSON.parse((await get('bob', '/dashboard/state')).body) as typeof board).recent.map((r) => r.functionName)).toContain('echo');
    // Nor may bob map a stream to it; alice may, and bob cannot see her mapping.
    const source = 'arn:aws:kinesis:us-east-1:111111111111:stream/signed';
    for (const name of ['secret', 'secret:$LATEST', '111111111111:function:secret', 'arn:aws:lambda:us-east-1:111111111111:function:secret:$LATEST']) {
      expect(await failure(bob.send(new CreateEventSourceMappingCommand({ FunctionName: name, EventSourceArn: source, StartingPosition: 'LATEST' }))), name)
        .toMatchObject({ name: 'AccessDeniedException', status: 403 });
    }
    expect((await get('bob', '/2015-03-31/event-source-mappings/?FunctionName=secret')).status).toBe(403);
    // ListFunctions shows bob the functions he may use, not secret's configuration.
    const listed = async (c: LambdaClient) => ((await c.send(new ListFunctionsCommand({}))).Functions ?? []).map((f) => f.FunctionName);
    expect(await listed(bob)).not.toContain('secret');
    expect(await listed(bob)).toContain('echo');
    expect(await listed(alice)).toContain('secret');
    const mapping = await alice.send(new CreateEventSourceMappingCommand({ FunctionName: 'secret', EventSourceArn: source, StartingPosition: 'LATEST' }));
    expect((await get('bob', `/2015-03-31/event-source-mappings/${mapping.UUID}`)).status).toBe(404);
    expect((await get('bob', '/2015-03-31/event-source-mappings/')).body).not.toContain(mapping.UUID!);
    expect(await failure(bob.send(new DeleteEventSourceMappingCommand({ UUID: mapping.UUID })))).toMatchObject({ status: 404 });
    await alice.send(new DeleteEventSourceMappingCommand({ UUID: mapping.UUID }));
  });

  it('refuses an unknown access key with 403 UnrecognizedClientException', async () => {
    expect(await failure(client('AKIANOBODY0000000001', 'x').send(new InvokeCommand({ FunctionName: 'echo' })))).toMatchObject({
      name: 'UnrecognizedClientException', status: 403, message: 'The security token included in the request is invalid.',
    });
  });

  it('refuses a wrong secret with 403 InvalidSignatureException', async () => {
    expect(await failure(client('AKIAALICE00000000001', 'not-alice').send(new InvokeCommand({ FunctionName: 'echo' })))).toMatchObject({
      name: 'InvalidSignatureException', status: 403, message: expect.stringContaining('signature we calculated does not match'),
    });
  });

  it('refuses a signature scoped to another region or another service with 403 InvalidSignatureException', async () => {
    expect(await failure(client('AKIAALICE00000000001', 'alice-secret', { region: 'eu-west-1' }).send(new InvokeCommand({ FunctionName: 'echo' })))).toEqual({
      name: 'InvalidSignatureException', status: 403,
      message: "Credential should be scoped to a valid region. (the host's region is 'us-east-1', not 'eu-west-1')",
    });
    const url = new URL(`${server.url}/2015-03-31/functions/echo/invocations`);
    const signer = new SignatureV4({
      credentials: { accessKeyId: 'AKIAALICE00000000001', secretAccessKey: 'alice-secret' }, region: 'us-east-1', service: 's3', sha256: Hash.bind(null, 'sha256'),
    });
    const signed = await signer.sign({ method: 'POST', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: url.pathname, headers: { host: url.host }, body: '{}' });
    const response = await fetch(url, { method: 'POST', headers: signed.headers, body: '{}' });
    expect(response.status).toBe(403);
    expect(response.headers.get('x-amzn-errortype')).toBe('InvalidSignatureException');
    expect((await response.json() as { message: string }).message).toBe("Credential should be scoped to correct service: 'lambda'. (not 's3')");
  });

  it('refuses a signature dated outside the 5 minute window', async () => {
    const late = client('AKIAALICE00000000001', 'alice-secret', { systemClockOffset: -6 * 60_000 });
    expect(await failure(late.send(new InvokeCommand({ FunctionName: 'echo' })))).toMatchObject({
      name: 'InvalidSignatureException', status: 403, message: expect.stringMatching(/^Signature expired: \d{8}T\d{6}Z is now earlier than/),
    });
    const early = client('AKIAALICE00000000001', 'alice-secret', { systemClockOffset: 6 * 60_000 });
    expect((await failure(early.send(new InvokeCommand({ FunctionName: 'echo' })))).message).toMatch(/^Signature not yet current/);
    const skewed = client('AKIAALICE00000000001', 'alice-secret', { systemClockOffset: -4 * 60_000 });
    expect((await skewed.send(new InvokeCommand({ FunctionName: 'echo' }))).StatusCode).toBe(200);
  });

  it('refuses unsigned requests when auth.anonymous is "deny"', async () => {
    const response = await fetch(`${server.url}/2015-03-31/functions/echo/invocations`, { method: 'POST', body: '{}' });
    expect(response.status).toBe(403);
    expect(response.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException');
  });

  it('checks signed ARNs and qualifiers in the path (double-encoded by SigV4)', async () => {
    const out = await alice.send(new InvokeCommand({ FunctionName: 'arn:aws:lambda:us-east-1:111111111111:function:echo', Qualifier: '$LATEST' }));
    expect(out.StatusCode).toBe(200);
  });
});

describe('cross-account principals (resource-based policy)', () => {
  it('invoke only where a permission names them', async () => {
    expect((await partner.send(new InvokeCommand({ FunctionName: 'shared' }))).StatusCode).toBe(200);
    expect(await failure(partner.send(new InvokeCommand({ FunctionName: 'echo' })))).toMatchObject({
      name: 'AccessDeniedException', status: 403, message: expect.stringContaining('arn:aws:iam::222222222222:user/partner'),
    });
    expect((await failure(partner.send(new ListFunctionsCommand({})))).name).toBe('AccessDeniedException');
  });

  it('gain and lose access through AddPermission / RemovePermission', async () => {
    await alice.send(new AddPermissionCommand({
      FunctionName: 'echo', StatementId: 'partner-invoke', Action: 'lambda:InvokeFunction', Principal: '222222222222',
    }));
    expect((await partner.send(new InvokeCommand({ FunctionName: 'echo' }))).StatusCode).toBe(200);
    // The statement grants invoke only.
    expect((await failure(partner.send(new GetFunctionCommand({ FunctionName: 'echo' })))).name).toBe('AccessDeniedException');
    await alice.send(new RemovePermissionCommand({ FunctionName: 'echo', StatementId: 'partner-invoke' }));
    expect((await failure(partner.send(new InvokeCommand({ FunctionName: 'echo' })))).name).toBe('AccessDeniedException');
  });
});

describe('DryRun as a permission check', () => {
  it('answers 204 when signature, permission and payload pass, running nothing', async () => {
    const out = await alice.send(new InvokeCommand({ FunctionName: 'strict', InvocationType: 'DryRun', Payload: '{"name":"x"}' }));
    expect(out.StatusCode).toBe(204);
  });

  it('answers with the exact error a real call would get', async () => {
    expect((await failure(bob.send(new InvokeCommand({ FunctionName: 'secret', InvocationType: 'DryRun' })))).name).toBe('AccessDeniedException');
    expect((await failure(partner.send(new InvokeCommand({ FunctionName: 'echo', InvocationType: 'DryRun' })))).name).toBe('AccessDeniedException');
    expect((await failure(client('AKIAALICE00000000001', 'wrong').send(new InvokeCommand({ FunctionName: 'echo', InvocationType: 'DryRun' })))).name)
      .toBe('InvalidSignatureException');
    await expect(alice.send(new InvokeCommand({ FunctionName: 'strict', InvocationType: 'DryRun', Payload: '{}' })))
      .rejects.toBeInstanceOf(InvalidRequestContentException);
  });

  it('signs calls with a body to the event source APIs: mappings through the SDK, a bucket object past 64 KB', async () => {
    const created = await alice.send(new CreateEventSourceMappingCommand({
      FunctionName: 'echo', EventSourceArn: 'arn:aws:kinesis:us-east-1:111111111111:stream/signed', StartingPosition: 'LATEST',
    }));
    expect(created.UUID).toEqual(expect.any(String));
    await alice.send(new DeleteEventSourceMappingCommand({ UUID: created.UUID }));

    const body = Buffer.alloc(200 * 1024, 7);
    const url = new URL(`${server.url}/buckets/uploads/big.bin`);
    const signer = new SignatureV4({
      credentials: { accessKeyId: 'AKIAALICE00000000001', secretAccessKey: 'alice-secret' }, region: 'us-east-1', service: 's3', sha256: Hash.bind(null, 'sha256'),
    });
    const request = await signer.sign({
      method: 'PUT', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: url.pathname, query: {},
      headers: { host: url.host, 'content-type': 'application/octet-stream' }, body,
    });
    const put = await fetch(url, { method: 'PUT', headers: request.headers, body });
    expect(put.status).toBe(200);
    const head = await signer.sign({ method: 'HEAD', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: url.pathname, query: {}, headers: { host: url.host } });
    const got = await fetch(url, { method: 'HEAD', headers: head.headers });
    expect(got.status).toBe(200);
    expect(Number(got.headers.get('content-length'))).toBe(body.length);
  });
});
