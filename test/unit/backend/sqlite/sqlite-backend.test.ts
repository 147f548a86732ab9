import { afterEach, describe, expect, it } from 'vitest';
import { createBackend, type AsyncEvent, type Backend } from '../../../../runtime/backend/index.js';
import { tempDir } from '../../../support/temp-dir.js';

const POLICY = { maxRetries: 0, retryDelaysMs: [], maxEventAgeSeconds: 21600 };
const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function open(): Backend {
  const dir = tempDir();
  const backend = createBackend({ kind: 'sqlite', stateDir: dir.path });
  cleanups.push(() => dir.remove(), () => backend.close());
  return backend;
}

const event = (requestId: string, identity?: unknown): AsyncEvent => ({
  requestId, functionName: 'f', payload: '{}', policy: POLICY, ...(identity !== undefined && { identity }),
});

describe('SqliteBackend group commit', () => {
  it('fails only the enqueue whose event cannot be stored; the others in the same commit are kept', async () => {
    const backend = open();
    await backend.waitUntilReady();
    // Issued in one turn: they share a commit.
    const results = await Promise.allSettled([
      backend.enqueue(event('good-1')),
      backend.enqueue(event('bad', { n: 10n })),
      backend.enqueue(event('good-2')),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(((results[1] as PromiseRejectedResult).reason as Error).message).toMatch(/BigInt/);
    expect(await backend.getRecord('good-1')).toMatchObject({ status: 'QUEUED' });
    expect(await backend.getRecord('good-2')).toMatchObject({ status: 'QUEUED' });
    expect(await backend.getRecord('bad')).toBeUndefined();
  });
});
