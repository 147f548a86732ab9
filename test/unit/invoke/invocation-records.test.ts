import { afterEach, describe, expect, it } from 'vitest';
import type { Backend, DeadLetter, InvocationRecord, RecordListener } from '../../../runtime/backend/index.js';
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

describe('InvocationRecords.deadLetters.listWithin: a page read within a size budget', () => {
  const letterOf = (id: string): DeadLetter => ({
    id, createdAt: 1, condition: 'RetriesExhausted', attempts: 1,
    event: { requestId: `req-${id}`, functionName: 'f', payload: '{}', acceptedAt: 1, policy: { maxRetries: 0, maxEventAgeSeconds: 60, retryDelaysMs: [] } },
  });
  /** Letters a..d with the sizes given; `gone` were deleted after their sizes were read. */
  function sizedBackend(bytes: number[], gone: string[] = []) {
    const ids = ['a', 'b', 'c', 'd'].slice(0, bytes.length);
    const read: string[] = [];
    const backend = {
      deadLetterSizes: async () => ids.map((id, i) => ({ id, bytes: bytes[i]! })),
      getDeadLetter: async (id: string) => (read.push(id), gone.includes(id) ? undefined : letterOf(id)),
    } as unknown as Backend;
    return { records: new InvocationRecords(backend), read };
  }

  it('reads letters, in order, while their sizes fit, and says the rest were left out', async () => {
    const { records, read } = sizedBackend([40, 50, 20, 5]);
    const page = await records.deadLetters.listWithin({}, 100);
    expect(page.letters.map((l) => l.id)).toEqual(['a', 'b']);
    expect(page.leftOut).toEqual(['c', 'd']);
    // The letter past the budget and those after it are never read.
    expect(read).toEqual(['a', 'b']);
  });

  it('reads the first letter even when it alone passes the budget', async () => {
    const { records, read } = sizedBackend([500, 1]);
    expect(await records.deadLetters.listWithin({}, 100)).toMatchObject({ letters: [{ id: 'a' }], leftOut: ['b'] });
    expect(read).toEqual(['a']);
  });

  it('a page that fits is whole and not truncated; a letter deleted meanwhile is skipped', async () => {
    const { records } = sizedBackend([10, 10, 10], ['b']);
    expect(await records.deadLetters.listWithin({}, 30)).toMatchObject({ letters: [{ id: 'a' }, { id: 'c' }], leftOut: [] });
    expect(await sizedBackend([]).records.deadLetters.listWithin({}, 30)).toEqual({ letters: [], leftOut: [] });
  });
});

describe('InvocationRecords.listWithin: records read within a size budget', () => {
  it('reads only the records that fit, drops one whose status moved on since the index said otherwise, and says when it cut', async () => {
    const stored: Record<string, InvocationRecord> = {
      a: { ...FINAL, id: 'a', status: 'FAILED' },
      b: { ...FINAL, id: 'b', status: 'SUCCEEDED' }, // FAILED in the index, redriven and done since
      c: { ...FINAL, id: 'c', status: 'FAILED' },
    };
    const read: string[] = [];
    const backend = {
      recordSizes: async () => [{ id: 'a', bytes: 10 }, { id: 'b', bytes: 10 }, { id: 'c', bytes: 10 }, { id: 'd', bytes: 6_000_000 }],
      getRecord: async (id: string) => (read.push(id), stored[id]),
    } as unknown as Backend;
    const page = await new InvocationRecords(backend).listWithin({ status: 'FAILED' }, 1000);
    expect(page).toEqual({ records: [stored.a, stored.c], leftOut: ['d'] });
    expect(read).toEqual(['a', 'b', 'c']);
  });
});

describe('InvocationRecords.deadLetters.redrive', () => {
  const letter = {
    id: 'l1', condition: 'RetriesExhausted', attempts: 2, storedAt: 1,
    event: { requestId: 'r0', functionName: 'payments', payload: '{}', acceptedAt: 1, policy: { maxRetries: 1, retryDelaysMs: [10], maxEventAgeSeconds: 60 } },
  } as unknown as DeadLetter;
  const backendTaking = (taken: unknown[]) => ({
    getDeadLetter: async (id: string) => (id === 'l1' ? letter : undefined),
    redriveDeadLetter: async (_id: string, options: unknown) => {
      taken.push(options);
      return FINAL;
    },
  }) as unknown as Backend;

  it('redrives under the function\'s policy as it is now, not the one the event was accepted with', async () => {
    const taken: unknown[] = [];
    const now = { maxRetries: 0, retryDelaysMs: [10], maxEventAgeSeconds: 120 };
    await new InvocationRecords(backendTaking(taken), (name) => (name === 'payments' ? now : undefined)).deadLetters.redrive('l1');
    expect(taken).toEqual([{ policy: now }]);
  });

  it('keeps the event\'s own policy for a function gone from the config', async () => {
    const taken: unknown[] = [];
    await new InvocationRecords(backendTaking(taken), () => undefined).deadLetters.redrive('l1', { requestId: 'r2' });
    expect(taken).toEqual([{ requestId: 'r2' }]);
  });
});
