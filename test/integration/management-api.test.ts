import { resolve } from 'node:path';
import {
  AddPermissionCommand, DeleteFunctionConcurrencyCommand, GetFunctionCommand, GetFunctionConcurrencyCommand,
  GetAccountSettingsCommand, ListAliasesCommand, ListVersionsByFunctionCommand,
  DeleteFunctionEventInvokeConfigCommand, GetFunctionConfigurationCommand, GetFunctionEventInvokeConfigCommand, GetPolicyCommand, InvalidParameterValueException,
  InvokeCommand, LambdaClient, PutFunctionConcurrencyCommand, PutFunctionEventInvokeConfigCommand, RemovePermissionCommand,
  ResourceConflictException, ResourceNotFoundException, TooManyRequestsException, UpdateFunctionEventInvokeConfigCommand,
} from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveProcess, type ServeProcess } from '../support/serve-process.js';
import { tempDir } from '../support/temp-dir.js';

const config = resolve(import.meta.dirname, '../fixtures/http/http.config.json');
const state = tempDir();
const env = { NEOLITH_TEST_BOB_SECRET: 'bob-secret' };
let server: ServeProcess;
let lambda: LambdaClient;
const ARN = 'arn:aws:lambda:us-east-1:111111111111:function';

async function start(): Promise<void> {
  server = await serveProcess(['--config', config, '--state', state.path], { env });
  lambda = new LambdaClient({
    endpoint: server.url, region: 'us-east-1', maxAttempts: 1,
    credentials: { accessKeyId: 'AKIAALICE00000000001', secretAccessKey: 'alice-secret' },
  });
}

async function stop(): Promise<void> {
  lambda?.destroy();
  expect(await server?.stop()).toBe(0);
}

beforeAll(start);
afterAll(async () => {
  await stop();
  state.remove();
});

describe('Lambda management API through @aws-sdk/client-lambda', () => {
  it('GetFunctionConfiguration returns the function’s configuration', async () => {
    const out = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'echo' }));
    expect(out).toMatchObject({ FunctionName: 'echo', FunctionArn: `${ARN}:echo`, MemorySize: 128, Timeout: 3, Runtime: 'nodejs20.x', State: 'Active' });
  });

  it('ListVersionsByFunction, ListAliases and GetAccountSettings answer as for a function with only $LATEST', async () => {
    const versions = await lambda.send(new ListVersionsByFunctionCommand({ FunctionName: 'echo' }));
    expect(versions.Versions).toEqual([expect.objectContaining({ FunctionName: 'echo', Version: '$LATEST', FunctionArn: `${ARN}:echo:$LATEST` })]);
    expect((await lambda.send(new ListAliasesCommand({ FunctionName: 'echo' }))).Aliases).toEqual([]);
    expect((await lambda.send(new ListVersionsByFunctionCommand({ FunctionName: 'echo', Marker: '1' }))).Versions).toEqual([]);
    await expect(lambda.send(new ListVersionsByFunctionCommand({ FunctionName: 'echo', MaxItems: 0 }))).rejects.toBeInstanceOf(InvalidParameterValueException);
    await expect(lambda.send(new ListAliasesCommand({ FunctionName: 'echo', Marker: 'x' }))).rejects.toBeInstanceOf(InvalidParameterValueException);
    await expect(lambda.send(new ListAliasesCommand({ FunctionName: 'nope' }))).rejects.toBeInstanceOf(ResourceNotFoundException);
    const settings = await lambda.send(new GetAccountSettingsCommand({}));
    expect(settings.AccountLimit).toMatchObject({ CodeSizeZipped: 52_428_800, CodeSizeUnzipped: 262_144_000 });
    expect(settings.AccountLimit!.ConcurrentExecutions).toBeGreaterThan(0);
    expect(settings.AccountLimit!.UnreservedConcurrentExecutions).toBeLessThanOrEqual(settings.AccountLimit!.ConcurrentExecutions!);
    expect(settings.AccountUsage!.FunctionCount).toBeGreaterThan(0);
  });

  it('refuses a job address where a function is expected', async () => {
    await expect(lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'catalog-getItem' }))).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  it('Put/Get/DeleteFunctionConcurrency take effect at once', async () => {
    expect(await lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: 'echo' }))).not.toHaveProperty('ReservedConcurrentExecutions');
    const put = await lambda.send(new PutFunctionConcurrencyCommand({ FunctionName: 'echo', ReservedConcurrentExecutions: 0 }));
    expect(put.ReservedConcurrentExecutions).toBe(0);
    await expect(lambda.send(new InvokeCommand({ FunctionName: 'echo' }))).rejects.toBeInstanceOf(TooManyRequestsException);
    expect((await lambda.send(new GetFunctionCommand({ FunctionName: 'echo' }))).Concurrency).toEqual({ ReservedConcurrentExecutions: 0 });
    await lambda.send(new DeleteFunctionConcurrencyCommand({ FunctionName: 'echo' }));
    expect((await lambda.send(new InvokeCommand({ FunctionName: 'echo' }))).StatusCode).toBe(200);
    await lambda.send(new PutFunctionConcurrencyCommand({ FunctionName: 'shared', ReservedConcurrentExecutions: 5 }));
  });

  it('refuses reserved concurrency beyond the host limit', async () => {
    await expect(lambda.send(new PutFunctionConcurrencyCommand({ FunctionName: 'echo', ReservedConcurrentExecutions: 100_000 })))
      .rejects.toBeInstanceOf(InvalidParameterValueException);
  });

  it('Put/Update/GetFunctionEventInvokeConfig replace, merge and show the async policy', async () => {
    const put = await lambda.send(new PutFunctionEventInvokeConfigCommand({
      FunctionName: 'echo', MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 120,
      DestinationConfig: { OnFailure: { Destination: `${ARN}:shared` } },
    }));
    expect(put).toMatchObject({
      FunctionArn: `${ARN}:echo:$LATEST`, MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 120,
      DestinationConfig: { OnSuccess: {}, OnFailure: { Destination: `${ARN}:shared` } },
    });
    expect(put.LastModified).toBeInstanceOf(Date);
    const updated = await lambda.send(new UpdateFunctionEventInvokeConfigCommand({ FunctionName: 'echo', MaximumRetryAttempts: 1 }));
    expect(updated).toMatchObject({ MaximumRetryAttempts: 1, MaximumEventAgeInSeconds: 120, DestinationConfig: { OnFailure: { Destination: `${ARN}:shared` } } });
    const got = await lambda.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: 'echo' }));
    expect(got).toMatchObject({ MaximumRetryAttempts: 1, MaximumEventAgeInSeconds: 120 });
    // A topic of the config, by ARN or neolith's short form.
    const alerts = 'arn:aws:sns:us-east-1:111111111111:alerts';
    for (const destination of [alerts, 'topic:alerts']) {
      const toTopic = await lambda.send(new UpdateFunctionEventInvokeConfigCommand({ FunctionName: 'echo', DestinationConfig: { OnSuccess: { Destination: destination } } }));
      expect(toTopic.DestinationConfig?.OnSuccess).toEqual({ Destination: alerts });
    }
  });

  it('a function without an EventInvokeConfig answers 404 to Get, Update and Delete until one is put', async () => {
    const missing = `The function ${ARN}:strict:$LATEST doesn't have an EventInvokeConfig`;
    const absent = async (call: Promise<unknown>) => {
      const error = await call.then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(ResourceNotFoundException);
      expect((error as Error).message).toBe(missing);
      expect((error as { $metadata: { httpStatusCode: number } }).$metadata.httpStatusCode).toBe(404);
    };
    await absent(lambda.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: 'strict' })));
    await absent(lambda.send(new UpdateFunctionEventInvokeConfigCommand({ FunctionName: 'strict', MaximumRetryAttempts: 1 })));
    await absent(lambda.send(new DeleteFunctionEventInvokeConfigCommand({ FunctionName: 'strict' })));
    await lambda.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: 'strict', MaximumRetryAttempts: 0 }));
    expect(await lambda.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: 'strict' }))).toMatchObject({ MaximumRetryAttempts: 0 });
    await lambda.send(new DeleteFunctionEventInvokeConfigCommand({ FunctionName: 'strict' }));
    await absent(lambda.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: 'strict' })));
    await absent(lambda.send(new DeleteFunctionEventInvokeConfigCommand({ FunctionName: 'strict' })));
  });

  it('refuses invalid event invoke configs with InvalidParameterValueException', async () => {
    for (const input of [
      { MaximumRetryAttempts: 3 },
      { MaximumEventAgeInSeconds: 10 },
      { DestinationConfig: { OnFailure: { Destination: `${ARN}:nope` } } },
      { DestinationConfig: { OnSuccess: { Destination: 'arn:aws:s3:::bucket' } } },
      // The host's own function and topic names, but in another account or region.
      { DestinationConfig: { OnFailure: { Destination: 'arn:aws:lambda:us-east-1:222222222222:function:shared' } } },
      { DestinationConfig: { OnFailure: { Destination: 'arn:aws:lambda:eu-west-1:111111111111:function:shared' } } },
      { DestinationConfig: { OnFailure: { Destination: 'arn:aws:sns:us-east-1:222222222222:orders' } } },
      // A topic the host does not have: the record, and the event it reports, would be lost.
      { DestinationConfig: { OnFailure: { Destination: 'arn:aws:sns:us-east-1:111111111111:nosuch' } } },
      { DestinationConfig: { OnSuccess: { Destination: 'topic:nosuch' } } },
    ]) {
      await expect(lambda.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: 'shared', ...input })), JSON.stringify(input))
        .rejects.toBeInstanceOf(InvalidParameterValueException);
    }
  });

  it('AddPermission / GetPolicy / RemovePermission manage the resource policy', async () => {
    const policy = JSON.parse((await lambda.send(new GetPolicyCommand({ FunctionName: 'shared' }))).Policy!);
    expect(policy.Statement).toEqual([
      expect.objectContaining({ Principal: { AWS: 'arn:aws:iam::111111111111:user/alice' }, Action: 'lambda:InvokeFunction' }),
      expect.objectContaining({ Principal: { AWS: 'arn:aws:iam::222222222222:user/partner' } }),
    ]);
    await expect(lambda.send(new GetPolicyCommand({ FunctionName: 'echo' }))).rejects.toBeInstanceOf(ResourceNotFoundException);
    const added = await lambda.send(new AddPermissionCommand({
      FunctionName: 'echo', StatementId: 'from-s3', Action: 'lambda:InvokeFunction', Principal: 's3.amazonaws.com', SourceArn: 'arn:aws:s3:::uploads',
    }));
    expect(JSON.parse(added.Statement!)).toEqual({
      Sid: 'from-s3', Effect: 'Allow', Principal: { Service: 's3.amazonaws.com' }, Action: 'lambda:InvokeFunction',
      Resource: `${ARN}:echo`, Condition: { ArnLike: { 'AWS:SourceArn': 'arn:aws:s3:::uploads' } },
    });
    await expect(lambda.send(new AddPermissionCommand({ FunctionName: 'echo', StatementId: 'from-s3', Action: 'lambda:InvokeFunction', Principal: '*' })))
      .rejects.toBeInstanceOf(ResourceConflictException);
    await lambda.send(new AddPermissionCommand({ FunctionName: 'echo', StatementId: 'partner', Action: 'lambda:InvokeFunction', Principal: '222222222222' }));
    await lambda.send(new RemovePermissionCommand({ FunctionName: 'echo', StatementId: 'partner' }));
    await expect(lambda.send(new RemovePermissionCommand({ FunctionName: 'echo', StatementId: 'partner' }))).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  // A restart closes and starts a whole host: 2–12 s when another test file keeps both cores busy.
  it('keeps every change across a restart (state store)', { timeout: 60_000 }, async () => {
    await stop();
    await start();
    expect((await lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: 'shared' }))).ReservedConcurrentExecutions).toBe(5);
    expect(await lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: 'echo' }))).not.toHaveProperty('ReservedConcurrentExecutions');
    expect(await lambda.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: 'echo' })))
      .toMatchObject({ MaximumRetryAttempts: 1, MaximumEventAgeInSeconds: 120, DestinationConfig: { OnFailure: { Destination: `${ARN}:shared` } } });
    const policy = JSON.parse((await lambda.send(new GetPolicyCommand({ FunctionName: 'echo' }))).Policy!);
    expect(policy.Statement.map((s: { Sid: string }) => s.Sid)).toEqual(['from-s3']);
    // A deleted config stays deleted.
    await expect(lambda.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: 'strict' }))).rejects.toBeInstanceOf(ResourceNotFoundException);
  });
});
