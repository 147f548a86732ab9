import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../runtime/config/index.js';

const fn = (extra: Record<string, unknown>) => ({ functions: { resize: { handler: './h.mjs', ...extra } } });

describe('validateConfig', () => {
  it('accepts an empty config and a full valid one', () => {
    expect(validateConfig({}).problems).toEqual([]);
    expect(validateConfig({
      functions: { resize: { handler: './h.mjs#main', memoryMB: 256, timeoutMs: 1000, reservedConcurrency: 2, provisionedConcurrency: 1, environment: { A: 'b' }, ephemeralStorageMB: 1024, inputSchema: { type: 'object' }, async: { maxRetries: 0, maxEventAgeSeconds: 60, retryDelaysMs: [10], onFailure: 'dlq' } } },
      jobs: { dir: 'resolvers', layout: 'nano', defaults: { memoryMB: 256 }, settings: { 'a/b': { timeoutMs: 5 } } },
      concurrencyLimit: 10, idleTimeoutMs: 1000, spareEnvironments: 0, scaleOut: 'lambda', port: 0, host: '0.0.0.0', stateDir: 's',
      backend: 'redis', redisUrl: 'redis://x:1', region: 'eu-west-1', accountId: '123456789012',
      payloadLimits: { syncRequestBytes: 10 },
    }).problems).toEqual([]);
  });

  it('refuses a config that is not an object', () => {
    expect(validateConfig(42).problems).toEqual(['config must be an object (export default defineConfig({...})) (got 42)']);
    expect(validateConfig(null).problems).toHaveLength(1);
    expect(validateConfig([]).problems).toHaveLength(1);
  });

  it.each([
    ['timeoutMs', -5, 'functions.resize.timeoutMs must be an integer from 1 to 900000 (got -5)'],
    ['timeoutMs', 1.5, 'functions.resize.timeoutMs must be an integer from 1 to 900000 (got 1.5)'],
    ['timeoutMs', Number.NaN, 'functions.resize.timeoutMs must be an integer from 1 to 900000 (got NaN)'],
    ['timeoutMs', '3000', 'functions.resize.timeoutMs must be an integer from 1 to 900000 (got "3000")'],
    ['memoryMB', 64, 'functions.resize.memoryMB must be an integer from 128 to 10240 (got 64)'],
    ['reservedConcurrency', -1, 'functions.resize.reservedConcurrency must be a non-negative integer (got -1)'],
    ['provisionedConcurrency', 2000, 'functions.resize.provisionedConcurrency must be an integer from 0 to 1000 (got 2000)'],
    ['ephemeralStorageMB', 100, 'functions.resize.ephemeralStorageMB must be an integer from 512 to 10240 (got 100)'],
    ['environment', 'A=b', 'functions.resize.environment must be an object (got "A=b")'],
    ['inputSchema', [], 'functions.resize.inputSchema must be an object (got [])'],
    ['async', { maxRetries: 3 }, 'functions.resize.async.maxRetries must be an integer from 0 to 2 (got 3)'],
    ['async', { maxEventAgeSeconds: 59 }, 'functions.resize.async.maxEventAgeSeconds must be an integer from 60 to 21600 (got 59)'],
    ['async', { retryDelaysMs: [-1] }, 'functions.resize.async.retryDelaysMs must be an array of integers from 0 to 3600000 (got [-1])'],
    ['async', { onSuccess: '' }, 'functions.resize.async.onSuccess must be a non-empty string (got "")'],
  ])('function setting %s = %j → one clear problem', (key, value, message) => {
    expect(validateConfig(fn({ [key]: value })).problems).toEqual([message]);
  });

  it('states the rule, the path and the value for a handler without a module', () => {
    expect(validateConfig({ functions: { a: { handler: '#x' } } }).problems).toEqual([
      'functions.a.handler must be "path/to/module#exportName" or Lambda\'s "path/to/module.exportName" (got "#x")',
    ]);
    expect(validateConfig({ functions: { a: {} } }).problems).toEqual([
      'functions.a.handler must be "path/to/module#exportName" or Lambda\'s "path/to/module.exportName" (got undefined)',
    ]);
  });

  it('refuses function names Lambda refuses', () => {
    expect(validateConfig({ functions: { 'bad/name': { handler: './h.mjs' } } }).problems).toEqual([
      'functions.bad/name must have a name of 1–64 letters, digits, "-" or "_" (got "bad/name")',
    ]);
    expect(validateConfig({ functions: { ['x'.repeat(65)]: { handler: './h.mjs' } } }).problems).toHaveLength(1);
  });

  it('refuses provisioned concurrency above reserved concurrency', () => {
    expect(validateConfig(fn({ reservedConcurrency: 1, provisionedConcurrency: 2 })).problems).toEqual([
      'functions.resize.provisionedConcurrency must not exceed reservedConcurrency (1) (got 2)',
    ]);
  });

  it('refuses environment variables Lambda reserves, bad names and non-string values', () => {
    expect(validateConfig(fn({ environment: { AWS_REGION: 'x' } })).problems).toEqual([
      'functions.resize.environment.AWS_REGION must not be set: Lambda reserves it (got "AWS_REGION")',
    ]);
    expect(validateConfig(fn({ environment: { '1X': 'x' } })).problems).toHaveLength(1);
    expect(validateConfig(fn({ environment: { X: 1 } })).problems).toEqual(['functions.resize.environment.X must be a string (got 1)']);
  });

  it('refuses an input schema that does not compile', () => {
    const [problem] = validateConfig(fn({ inputSchema: { type: 'nonsense' } })).problems;
    expect(problem).toMatch(/^functions\.resize\.inputSchema must be a valid JSON Schema: /);
  });

  it('names unknown options with the known ones', () => {
    expect(validateConfig({ functoins: {} }).problems[0]).toMatch(/^functoins is not a known option \(known: functions, jobs/);
    expect(validateConfig(fn({ timeout: 3 })).problems[0]).toMatch(/^functions\.resize\.timeout is not a known option/);
    expect(validateConfig(fn({ async: { retries: 1 } })).problems[0]).toMatch(/^functions\.resize\.async\.retries is not a known option/);
  });

  it.each([
    [{ concurrencyLimit: 0 }, 'concurrencyLimit must be an integer from 1 to 100000 (got 0)'],
    [{ idleTimeoutMs: -1 }, 'idleTimeoutMs must be a positive integer (got -1)'],
    [{ spareEnvironments: 100 }, 'spareEnvironments must be an integer from 0 to 64 (got 100)'],
    [{ maxEnvironmentsPerFunction: 0 }, 'maxEnvironmentsPerFunction must be an integer from 1 to 1000 (got 0)'],
    [{ maxEnvironmentsPerFunction: 1.5 }, 'maxEnvironmentsPerFunction must be an integer from 1 to 1000 (got 1.5)'],
    [{ port: 70000 }, 'port must be an integer from 0 to 65535 (got 70000)'],
    [{ host: '' }, 'host must be a non-empty string (got "")'],
    [{ stateDir: 5 }, 'stateDir must be a non-empty string (got 5)'],
    [{ backend: 'postgres' }, 'backend must be "sqlite" or "redis" (got "postgres")'],
    [{ scaleOut: 'eager' }, 'scaleOut must be "warm-first" or "lambda" (got "eager")'],
    [{ scaleOut: { toString: 'x' } }, 'scaleOut must be "warm-first" or "lambda" (got {"toString":"x"})'],
    [{ redisUrl: 'http://x' }, 'redisUrl must be a redis:// or rediss:// URL (got "http://x")'],
    [{ redisPrefix: 'a b' }, 'redisPrefix must be 1–64 letters, digits, ".", "-" or "_" (got "a b")'],
    [{ asyncLeaseMs: 10 }, 'asyncLeaseMs must be an integer from 300 to 3600000 (got 10)'],
    [{ recordRetentionSeconds: 5 }, 'recordRetentionSeconds must be an integer from 60 to 31536000 (got 5)'],
    [{ deadLetterRetentionSeconds: 'week' }, 'deadLetterRetentionSeconds must be an integer from 60 to 31536000 (got "week")'],
    [{ region: 'mars' }, 'region must be an AWS region like "us-east-1" (got "mars")'],
    [{ accountId: '12' }, 'accountId must be 12 digits (got "12")'],
    [{ payloadLimits: { asyncEventBytes: 0 } }, 'payloadLimits.asyncEventBytes must be an integer from 1 to 268435456 (got 0)'],
    [{ jobs: { dir: '' } }, 'jobs.dir must be a non-empty string (got "")'],
    [{ jobs: { layout: 'giga' } }, 'jobs.layout must be "nano", "micro", "mono" or a map of function → job patterns (got "giga")'],
    [{ jobs: { layout: { f: [] } } }, 'jobs.layout.f must be a non-empty array of job patterns ("users/getUser" or "users/*") (got [])'],
    [{ jobs: { settings: { 'a/b': 5 } } }, 'jobs.settings.a/b must be an object (got 5)'],
    [{ jobs: { defaults: { memoryMB: 1 } } }, 'jobs.defaults.memoryMB must be an integer from 128 to 10240 (got 1)'],
  ])('host option %j → one clear problem', (config, message) => {
    expect(validateConfig(config).problems).toEqual([message]);
  });

  it('reports every mistake at once', () => {
    expect(validateConfig({ port: -1, backend: 'x', functions: { a: { handler: './a.mjs', timeoutMs: 0, memoryMB: 1 } } }).problems).toHaveLength(4);
  });

  it('survives hostile values without throwing', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => validateConfig({ functions: { a: { handler: './a.mjs', environment: cyclic } } })).not.toThrow();
    expect(validateConfig({ port: 'x'.repeat(100_000) }).problems[0]!.length).toBeLessThan(200);
    expect(validateConfig(JSON.parse('{"__proto__": {"port": 1}}')).problems).toEqual([expect.stringMatching(/^__proto__ is not a known option \(known: functions, jobs, /)]);
  });
});
