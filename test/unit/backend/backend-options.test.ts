import { describe, expect, it } from 'vitest';
import {
  DEFAULT_REDIS_BACKEND_OPTIONS,
  DEFAULT_SQLITE_BACKEND_OPTIONS,
  resolveRedisBackendOptions,
  resolveSqliteBackendOptions,
} from '../../../runtime/backend/backend-options.js';
import { InvalidParameterValueError } from '../../../runtime/errors/index.js';

function rejection(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('resolveSqliteBackendOptions', () => {
  it('applies the defaults', () => {
    const resolved = resolveSqliteBackendOptions({ kind: 'sqlite', stateDir: '/tmp/x' });
    expect(resolved).toMatchObject({ ...DEFAULT_SQLITE_BACKEND_OPTIONS, stateDir: '/tmp/x' });
    expect(typeof resolved.onError).toBe('function');
  });

  it('treats undefined fields as absent', () => {
    expect(resolveSqliteBackendOptions({ kind: 'sqlite', stateDir: '/tmp/x', leaseMs: undefined }).leaseMs).toBe(30_000);
  });

  it.each([
    [{ stateDir: '' }, 'backend.stateDir must be a non-empty string (got "")'],
    [{ retentionSeconds: -1 }, 'backend.retentionSeconds must be a non-negative integer (got -1)'],
    [{ pruneIntervalMs: 0 }, 'backend.pruneIntervalMs must be an integer ≥ 1 (got 0)'],
    [{ pollIntervalMs: 1.5 }, 'backend.pollIntervalMs must be an integer ≥ 1 (got 1.5)'],
    [{ leaseMs: 2 }, 'backend.leaseMs must be an integer ≥ 3 (got 2)'],
    [{ maxStalledCount: 0 }, 'backend.maxStalledCount must be an integer ≥ 1 (got 0)'],
    [{ synchronous: 'OFF' }, `backend.synchronous must be 'NORMAL' or 'FULL' (got "OFF")`],
  ])('rejects %j', (override, message) => {
    const error = rejection(() =>
      resolveSqliteBackendOptions({ kind: 'sqlite', stateDir: '/tmp/x', ...(override as object) }),
    );
    expect(error).toBeInstanceOf(InvalidParameterValueError);
    expect((error as Error).message).toBe(message);
  });
});

describe('resolveRedisBackendOptions', () => {
  it('applies the defaults', () => {
    expect(resolveRedisBackendOptions({ kind: 'redis' })).toMatchObject(DEFAULT_REDIS_BACKEND_OPTIONS);
    expect(DEFAULT_REDIS_BACKEND_OPTIONS.redisUrl).toBe('redis://127.0.0.1:6379');
  });

  it.each([
    [{ redisUrl: 'http://x' }, 'backend.redisUrl must start with redis:// or rediss:// (got "http://x")'],
    [{ prefix: '' }, 'backend.prefix must be a non-empty string (got "")'],
    [{ prefix: 'a{b}' }, 'backend.prefix must not contain braces (got "a{b}")'],
    [{ commandTimeoutMs: 0 }, 'backend.commandTimeoutMs must be an integer ≥ 1 (got 0)'],
    [{ lockDurationMs: 10 }, 'backend.lockDurationMs must be an integer ≥ 100 (got 10)'],
    [{ stalledIntervalMs: 10 }, 'backend.stalledIntervalMs must be an integer ≥ 50 (got 10)'],
    [{ maxStalledCount: 0 }, 'backend.maxStalledCount must be an integer ≥ 1 (got 0)'],
    [{ retentionSeconds: 1.5 }, 'backend.retentionSeconds must be a non-negative integer (got 1.5)'],
  ])('rejects %j', (override, message) => {
    const error = rejection(() => resolveRedisBackendOptions({ kind: 'redis', ...(override as object) }));
    expect(error).toBeInstanceOf(InvalidParameterValueError);
    expect((error as Error).message).toBe(message);
  });
});
