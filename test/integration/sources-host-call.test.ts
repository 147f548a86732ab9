/**
 * A handler's sources client inside an environment calls its host over the
 * environment's channel, not HTTP: it works on a host that never listened
 * (NEOLITH_HOST_URL empty), errors arrive typed, bucket bodies as bytes, and
 * a call left running after its invocation ended does not break the next one.
 */
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHost, type Host } from '../../runtime/index.js';
import { tempDir } from '../support/temp-dir.js';

const handlers = resolve(import.meta.dirname, '../fixtures/handlers');
const state = tempDir();
let host: Host;

const invoke = async (action: string, extra: Record<string, unknown> = {}) => {
  const result = await host.invoke('notes', { action, ...extra });
  expect(result.functionError).toBeUndefined();
  return JSON.parse(result.payload!) as any;
};

beforeAll(async () => {
  host = await createHost({
    rootDir: handlers,
    config: {
      stateDir: state.path,
      functions: { notes: { handler: './host-call.mjs' } },
      tables: { notes: { partitionKey: 'id' } },
      buckets: { files: {} },
    },
  });
});

afterAll(async () => {
  await host?.close();
  state.remove();
});

describe('sources client over the environment channel', () => {
  it('writes a table item with no HTTP listener (NEOLITH_HOST_URL empty)', async () => {
    const out = await invoke('put', { id: 'n1' });
    expect(out).toEqual({ hostUrl: '', version: 1 });
    expect((await host.sources.tables.get('notes', { id: 'n1' }))?.item).toEqual({ id: 'n1', text: 'hi' });
  });

  it('delivers a failed condition as ConditionalCheckFailedError', async () => {
    const out = await invoke('put-again', { id: 'n1' });
    expect(out.error).toMatchObject({ class: 'ConditionalCheckFailedError', code: 'ConditionalCheckFailedException' });
    expect(out.error.message).toMatch(/condition/i);
  });

  it('carries bucket bodies as bytes', async () => {
    expect(await invoke('bytes')).toEqual({ bytes: [0, 255, 1, 128], isBuffer: true, contentType: 'application/octet-stream', missing: true });
  });

  it('serves a call made after its invocation ended without breaking the next invocation', async () => {
    expect(await invoke('background')).toBe('started');
    expect(await invoke('after-background')).toEqual({ item: { id: 'bg', text: 'later' }, background: { version: 1 } });
  });
});
