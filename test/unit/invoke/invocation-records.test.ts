import { afterEach, describe, expect, it } from 'vitest';
import type { Backend, InvocationRecord, RecordListener } from '../../../runtime/backend/index.js';
import { InvocationRecords } from '../../../runtime/invoke/invocation-records.js';

const FINAL: InvocationRecord = { id: 'r1', functionName: 'f', status: 'SUCCEEDED', attempts: 1, createdAt: 1, updatedAt: 2 };

/** A backend whose record read answers only when the test says so, as a Redis round trip would. */
function slowBackend() {
  const listeners = new Set<RecordListener>();
  let answer!: (record: InvocationRecord | undefined) => void;
  const backend = {
    getRecord: () => new Promise<InvocationRecord | undefined>((resolve) => {
      answer = resolve;
    }),
    watchRecords: (listener: RecordListener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  } as unknown as Backend;
  return { backend, listeners, answer: (record: InvocationRecord | undefined) => answer(record) };
}

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => {
  unhandled.push(reason);
};
process.on('unhandledRejection', onUnhandled);
afterEach(() => {
  unhandled.length = 0;
});

/** Lets a rejection nobody handles be reported. */
async function settle(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
}

describe('InvocationRecords.waitForFinal', () => {
  it('answers a final record even if the wait was aborted during the read, and leaves no rejection behind', async () => {
    const { backend, listeners, answer } = slowBackend();
    const controller = new AbortController();
    const waiting = new InvocationRecords(backend).waitForFinal('r1', controller.signal);
    // The `?wait=0` timeout (or a client hanging up) fires while the record is being read.
    controller.abort(new Error('the wait ended'));
    answer(FINAL);
    expect(await waiting).toEqual(FINAL);
    await settle();
    expect(unhandled).toEqual([]);
    expect(listeners.size).toBe(0);
  });

  it('refuses at once, watching nothing, when its signal was already aborted', async () => {
    const { backend, listeners } = slowBackend();
    const reason = new Error('the client left before the wait began');
    await expect(new InvocationRecords(backend).waitForFinal('r1', AbortSignal.abort(reason))).rejects.toBe(reason);
    expect(listeners.size).toBe(0);
  });

  it('rejects with the abort reason when aborted while waiting for a change', async () => {
    const { backend, listeners, answer } = slowBackend();
    const controller = new AbortController();
    const waiting = new InvocationRecords(backend).waitForFinal('r1', controller.signal);
    answer({ ...FINAL, status: 'RUNNING' });
    await settle();
    const reason = new Error('timed out');
    controller.abort(reason);
    await expect(waiting).rejects.toBe(reason);
    expect(listeners.size).toBe(0);
  });
});
