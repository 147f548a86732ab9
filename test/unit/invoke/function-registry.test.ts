import { describe, expect, it } from 'vitest';
import type { FunctionSpec, ResolvedConfig } from '../../../runtime/config/index.js';
import type { FunctionPackage, SpareEnvironments } from '../../../runtime/environment/index.js';
import { InvalidParameterValueError, ResourceNotFoundError } from '../../../runtime/errors/index.js';
import { FunctionRegistry, parseFunctionName } from '../../../runtime/invoke/function-registry.js';

const spec = (name: string): FunctionSpec => ({
  name, kind: 'handler', exportName: 'handler', jobs: {}, memoryMB: 128, timeoutMs: 3000, provisionedConcurrency: 0,
  environment: {}, ephemeralStorageMB: 512, async: { maxRetries: 2, maxEventAgeSeconds: 21600, retryDelaysMs: [], onFailure: 'dlq' },
});

/** A registry of `echo` and a `users` function holding job `users/getUser`, in account 111111111111, eu-west-1. Nothing is spawned. */
function registry(): FunctionRegistry {
  const config = {
    functions: [spec('echo'), { ...spec('users'), kind: 'jobs' }],
    jobToFunction: { 'users/getUser': 'users' },
    region: 'eu-west-1', accountId: '111111111111', stateDir: '/tmp/neolith-registry-test', rootDir: '/tmp',
    maxEnvironmentsPerFunction: Infinity, payloadLimits: { syncRequestBytes: 1, syncResponseBytes: 1, asyncEventBytes: 1 },
  } as unknown as ResolvedConfig;
  const pkg = { moduleUrl: 'file:///x.mjs', exportName: 'handler', jobBundle: false } as FunctionPackage;
  const packages = new Map([['echo', pkg], ['users', pkg]]);
  return new FunctionRegistry(config, packages, { prepare: () => undefined } as unknown as SpareEnvironments);
}

const ARN = 'arn:aws:lambda:eu-west-1:111111111111:function';

/** The thrown error's class, code and message, for one assertion. */
function failure(run: () => unknown): { type: string; code: string; message: string } | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    const e = error as InvalidParameterValueError | ResourceNotFoundError;
    return { type: e.constructor.name, code: e.code, message: e.message };
  }
}

describe('parseFunctionName', () => {
  it.each([
    ['echo', { name: 'echo' }],
    ['echo:$LATEST', { name: 'echo', qualifier: '$LATEST' }],
    ['echo:live', { name: 'echo', qualifier: 'live' }],
    ['111111111111:function:echo', { name: 'echo', accountId: '111111111111' }],
    ['111111111111:function:echo:$LATEST', { name: 'echo', accountId: '111111111111', qualifier: '$LATEST' }],
    [`${ARN}:echo`, { name: 'echo', accountId: '111111111111', region: 'eu-west-1', partition: 'aws' }],
    [`${ARN}:echo:7`, { name: 'echo', accountId: '111111111111', region: 'eu-west-1', partition: 'aws', qualifier: '7' }],
    ['arn:aws-us-gov:lambda:us-gov-west-1:222222222222:function:my.fn', { name: 'my.fn', accountId: '222222222222', region: 'us-gov-west-1', partition: 'aws-us-gov' }],
    ['users/getUser', { name: 'users/getUser' }],
    // Lambda's 64-character rule is for function names; a job address may be longer, with a qualifier too.
    [`${'d'.repeat(40)}/${'j'.repeat(40)}:$LATEST`, { name: `${'d'.repeat(40)}/${'j'.repeat(40)}`, qualifier: '$LATEST' }],
  ])('reads %s', (value, parsed) => {
    expect(parseFunctionName(value)).toEqual(parsed);
  });

  it.each([
    'echo:$LATEST:extra', 'echo::$LATEST', 'a:b:c', ':echo', 'echo:', '111111111111:function:echo:1:2', `${ARN}:echo:1:2`,
    `${ARN}:`, '11111111111:function:echo', 'arn:aws:s3:eu-west-1:111111111111:function:echo', 'arn:aws:lambda:eu-west-1:111111111111:echo',
    '../../etc/passwd', 'a b', '', 'x'.repeat(65), `${ARN}:${'x'.repeat(65)}`, `${ARN}:echo:${'q'.repeat(130)}`, 'echo:$NEWEST',
  ])('refuses %j with InvalidParameterValueException', (value) => {
    expect(failure(() => parseFunctionName(value))).toMatchObject({ type: 'InvalidParameterValueError', code: 'InvalidParameterValueException' });
  });
});

describe('FunctionRegistry.resolve', () => {
  const r = registry();
  const echo = r.get('echo');

  it('resolves every form Lambda accepts to the function', () => {
    for (const name of ['echo', 'echo:$LATEST', '111111111111:function:echo', '111111111111:function:echo:$LATEST', `${ARN}:echo`, `${ARN}:echo:$LATEST`]) {
      expect(r.resolve(name).fn, name).toBe(echo);
    }
    expect(r.resolve(`${ARN}:users/getUser`)).toMatchObject({ job: 'users/getUser' });
  });

  it('refuses extra segments with 400 instead of reading a part of them', () => {
    for (const name of ['echo:$LATEST:x', '111111111111:function:echo:$LATEST:x', `${ARN}:echo:$LATEST:x`]) {
      expect(failure(() => r.resolve(name)), name).toMatchObject({ code: 'InvalidParameterValueException' });
    }
  });

  it('answers 404 for an ARN or partial ARN of another account or region, as for a function that is not there', () => {
    expect(failure(() => r.resolve('222222222222:function:echo'))).toEqual({
      type: 'ResourceNotFoundError', code: 'ResourceNotFoundException', message: 'Function not found: arn:aws:lambda:eu-west-1:222222222222:function:echo',
    });
    expect(failure(() => r.resolve('arn:aws:lambda:eu-west-1:222222222222:function:echo:$LATEST'))).toEqual({
      type: 'ResourceNotFoundError', code: 'ResourceNotFoundException', message: 'Function not found: arn:aws:lambda:eu-west-1:222222222222:function:echo:$LATEST',
    });
    // Lambda's words for another region's ARN.
    expect(failure(() => r.resolve('arn:aws:lambda:us-east-1:111111111111:function:echo'))).toEqual({
      type: 'ResourceNotFoundError', code: 'ResourceNotFoundException', message: "Functions from 'us-east-1' are not reachable in this region ('eu-west-1')",
    });
    expect(failure(() => r.resolve('arn:aws-cn:lambda:eu-west-1:111111111111:function:echo'))).toMatchObject({ code: 'ResourceNotFoundException' });
  });

  it('takes a Qualifier given apart: alone, or agreeing with the name’s', () => {
    expect(r.resolve('echo', '$LATEST').fn).toBe(echo);
    expect(r.resolve('echo:$LATEST', '$LATEST').fn).toBe(echo);
    expect(r.resolve(`${ARN}:echo:$LATEST`, '$LATEST').fn).toBe(echo);
    expect(r.resolve('111111111111:function:echo', '$LATEST').fn).toBe(echo);
    expect(failure(() => r.resolve('echo', '7'))).toEqual({ type: 'ResourceNotFoundError', code: 'ResourceNotFoundException', message: `Function not found: ${ARN}:echo:7` });
    expect(failure(() => r.resolve('echo:7', '7'))).toMatchObject({ code: 'ResourceNotFoundException' });
  });

  it('refuses a Qualifier the name contradicts with Lambda’s 400, whether or not the function exists', () => {
    const conflict = { type: 'InvalidParameterValueError', code: 'InvalidParameterValueException', message: 'The derived qualifier from the function name does not match the specified qualifier.' };
    expect(failure(() => r.resolve('echo:$LATEST', '7'))).toEqual(conflict);
    expect(failure(() => r.resolve(`${ARN}:echo:7`, '$LATEST'))).toEqual(conflict);
    expect(failure(() => r.resolve('nope:1', '2'))).toEqual(conflict);
    expect(failure(() => r.resolve('echo', 'a b'))).toMatchObject({ code: 'InvalidParameterValueException' });
    expect(failure(() => r.resolve('echo', '$NEWEST'))).toMatchObject({ code: 'ResourceNotFoundException' });
  });
});
