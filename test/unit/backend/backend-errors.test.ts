import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { toBackendError } from '../../../runtime/backend/backend-error-code.js';
import {
  BackendUnavailableError,
  createBackend,
  DeadLetterNotFoundError,
  DuplicateRequestIdError,
  type Backend,
} from '../../../runtime/backend/index.js';
import { ResourceNotFoundError, ServiceError } from '../../../runtime/errors/index.js';

const event = {
  requestId: 'r-1',
  functionName: 'f',
  payload: '{}',
  policy: { maxRetries: 0, retryDelaysMs: [], maxEventAgeSeconds: 60 },
};

describe('toBackendError', () => {
  it('maps unavailable and closed to ServiceException, keeping the cause', () => {
    const cause = new Error('ECONNREFUSED');
    const error = toBackendError('BACKEND_UNAVAILABLE', { kind: 'redis', operation: 'enqueue', cause });
    expect(error).toBeInstanceOf(BackendUnavailableError);
    expect(error).toBeInstanceOf(ServiceError);
    expect(error).toMatchObject({ name: 'ServiceException', code: 'ServiceException', cause });
    expect(error.message).toBe('redis backend enqueue failed, the backend is unavailable: ECONNREFUSED');
    const closed = toBackendError('BACKEND_CLOSED', { kind: 'sqlite', operation: 'getRecord' });
    expect(closed).toBeInstanceOf(BackendUnavailableError);
    expect(closed.message).toBe('sqlite backend getRecord refused: the backend is closed');
  });

  it('maps a duplicate request id to ResourceConflictException', () => {
    const error = toBackendError('DUPLICATE_REQUEST_ID', { kind: 'sqlite', operation: 'enqueue', id: 'r-1' });
    expect(error).toBeInstanceOf(DuplicateRequestIdError);
    expect(error).toMatchObject({ code: 'ResourceConflictException' });
  });

  it('maps a missing dead letter to ResourceNotFoundException', () => {
    const error = toBackendError('DEAD_LETTER_NOT_FOUND', { kind: 'redis', operation: 'redriveDeadLetter', id: 'd' });
    expect(error).toBeInstanceOf(DeadLetterNotFoundError);
    expect(error).toBeInstanceOf(ResourceNotFoundError);
    expect(error).toMatchObject({ code: 'ResourceNotFoundException' });
  });
});

describe('unavailable backends', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  it('redis: enqueue against a Redis that does not answer rejects with BackendUnavailableError, not a hang', async () => {
    const backend: Backend = createBackend({
      kind: 'redis',
      redisUrl: 'redis://127.0.0.1:1',
      prefix: 'unreachable',
      commandTimeoutMs: 300,
    });
    cleanups.push(() => backend.close());
    const started = Date.now();
    const error = await backend.enqueue(event).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendUnavailableError);
    expect(error).toMatchObject({ code: 'ServiceException' });
    expect((error as Error).cause).toBeInstanceOf(Error);
    expect(Date.now() - started).toBeLessThan(3000);
    await expect(backend.waitUntilReady()).rejects.toBeInstanceOf(BackendUnavailableError);
  });

  it('sqlite: a state dir that cannot hold the database makes every call reject with BackendUnavailableError', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'neolith-unavailable-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const notADir = join(dir, 'file');
    writeFileSync(notADir, 'x');
    const backend = createBackend({ kind: 'sqlite', stateDir: notADir });
    cleanups.push(() => backend.close());
    await expect(backend.waitUntilReady()).rejects.toBeInstanceOf(BackendUnavailableError);
    const error = await backend.enqueue(event).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendUnavailableError);
    expect((error as Error).cause).toBeDefined();
  });

  it('createBackend refuses an unknown kind', () => {
    expect(() => createBackend({ kind: 'postgres' } as never)).toThrow(
      `backend.kind must be 'sqlite' or 'redis' (got "postgres")`,
    );
  });
});

describe('redis outage', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  /** A TCP proxy to the real Redis that the test can cut and restore. */
  async function proxyToRedis(): Promise<{ port: number; cut(): Promise<void>; restore(): Promise<void> }> {
    const sockets = new Set<Socket>();
    let server: Server;
    const listen = (port: number): Promise<number> =>
      new Promise((resolve) => {
        server = createServer((client) => {
          const upstream = connect(6379, '127.0.0.1');
          sockets.add(client).add(upstream);
          client.pipe(upstream).pipe(client);
          const drop = (): void => {
            client.destroy();
            upstream.destroy();
          };
          client.on('error', drop).on('close', drop);
          upstream.on('error', drop).on('close', drop);
        });
        server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
      });
    const port = await listen(0);
    return {
      port,
      cut: () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          for (const socket of sockets) socket.destroy();
          sockets.clear();
        }),
      restore: async () => {
        await listen(port);
      },
    };
  }

  it('enqueue fails fast with BackendUnavailableError while Redis is gone and works again once it is back', async () => {
    const proxy = await proxyToRedis();
    cleanups.push(() => proxy.cut());
    const prefix = `neolith-outage-${randomUUID()}`;
    const backend = createBackend({
      kind: 'redis',
      redisUrl: `redis://127.0.0.1:${proxy.port}`,
      prefix,
      commandTimeoutMs: 2000,
    });
    cleanups.push(() => backend.close());
    await backend.waitUntilReady();
    await backend.enqueue({ ...event, requestId: randomUUID() });

    await proxy.cut();
    const started = Date.now();
    const error = await backend.enqueue({ ...event, requestId: randomUUID() }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendUnavailableError);
    expect(Date.now() - started).toBeLessThan(1000);

    await proxy.restore();
    await backend.waitUntilReady();
    const accepted = await backend.enqueue({ ...event, requestId: randomUUID() });
    expect(accepted.status).toBe('QUEUED');

    const admin = new Redis('redis://127.0.0.1:6379');
    cleanups.push(async () => {
      const keys = await admin.keys(`${prefix}:*`);
      if (keys.length) await admin.del(...keys);
      await admin.quit();
    });
  });
});
