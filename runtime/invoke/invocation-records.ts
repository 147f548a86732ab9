import type {
  AsyncRetryPolicy, Backend, DeadLetter, DeadLetterQuery, InvocationRecord, RecordListener, RecordQuery, RedriveOptions,
} from '../backend/index.js';
import { withFullDestinationRecord } from './dead-letter-record.js';
import { readWithinBudget } from './read-within-budget.js';
import { checkRequestId } from './request-id.js';

/**
 * Async invocations as callers see them: records by id, their changes as
 * they happen, and the dead-letter store. A narrow face over the backend.
 */
export class InvocationRecords {
  readonly #backend: Backend;
  readonly #policyOf: (functionName: string) => AsyncRetryPolicy | undefined;

  /** `policyOf`: a function's async policy as it is now, for redrives (undefined for one gone from the config). */
  constructor(backend: Backend, policyOf: (functionName: string) => AsyncRetryPolicy | undefined = () => undefined) {
    this.#backend = backend;
    this.#policyOf = policyOf;
  }

  /** The record of one async invocation, or undefined. */
  get(id: string): Promise<InvocationRecord | undefined> {
    return this.#backend.getRecord(id);
  }

  /** Records, newest first. */
  list(query?: RecordQuery): Promise<InvocationRecord[]> {
    return this.#backend.listRecords(query);
  }

  /**
   * A page as `list` gives it, read only while the records' stored size stays
   * within `maxBytes` (the first is always read): a record may hold a 6 MB
   * result, so a thousand would not fit in memory. `leftOut` names the
   * records of the page left out.
   */
  async listWithin(query: RecordQuery, maxBytes: number): Promise<{ records: InvocationRecord[]; leftOut: string[] }> {
    const { entries, leftOut } = await readWithinBudget(await this.#backend.recordSizes(query), maxBytes, (id) => this.#backend.getRecord(id));
    // A record read after its size may have moved on to another status: the record has the last word.
    return { records: query.status === undefined ? entries : entries.filter((record) => record.status === query.status), leftOut };
  }

  /** Calls `listener` with each record change; returns the unsubscribe function. */
  watch(listener: RecordListener): () => void {
    return this.#backend.watchRecords(listener);
  }

  /**
   * Resolves with the record once it is final (SUCCEEDED, FAILED, EXPIRED),
   * watching its changes rather than polling.
   */
  async waitForFinal(id: string, signal?: AbortSignal): Promise<InvocationRecord> {
    const final = (r: InvocationRecord | undefined) => r !== undefined && (r.status === 'SUCCEEDED' || r.status === 'FAILED' || r.status === 'EXPIRED');
    // An abort before the wait began never fires again: refuse at once.
    if (signal?.aborted) throw signal.reason;
    let stop: (() => void) | undefined;
    let onAbort: (() => void) | undefined;
    // The backend's timers are unref'd; a caller awaiting an outcome must keep the process alive.
    const keepAlive = setInterval(() => undefined, 1 << 30);
    const changed = new Promise<InvocationRecord>((resolve, reject) => {
      stop = this.#backend.watchRecords((r) => {
        if (r.id === id && final(r)) resolve(r);
      });
      onAbort = () => reject(signal!.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    // Awaited only when the first read is not final: an abort meanwhile must not go unhandled.
    changed.catch(() => undefined);
    try {
      // Watch first, then read: a change between the two is not missed.
      const now = await this.#backend.getRecord(id);
      if (final(now)) return now!;
      return await changed;
    } finally {
      stop?.();
      // Nobody awaits `changed` once this returns: a later abort must not reject it unhandled.
      if (onAbort) signal?.removeEventListener('abort', onAbort);
      clearInterval(keepAlive);
    }
  }

  readonly deadLetters = {
    list: async (query?: DeadLetterQuery): Promise<DeadLetter[]> => (await this.#backend.listDeadLetters(query)).map(withFullDestinationRecord),
    get: async (id: string): Promise<DeadLetter | undefined> => {
      const letter = await this.#backend.getDeadLetter(id);
      return letter && withFullDestinationRecord(letter);
    },
    /**
     * A page as `list` gives it, read only while the letters' stored size stays
     * within `maxBytes` (the first letter is always read): one letter may hold
     * a 1 MB event and a 6 MB error, so a thousand would not fit in memory.
     * `leftOut` names the letters of the page left out.
     */
    listWithin: async (query: DeadLetterQuery, maxBytes: number): Promise<{ letters: DeadLetter[]; leftOut: string[] }> => {
      const { entries, leftOut } = await readWithinBudget(await this.#backend.deadLetterSizes(query), maxBytes, (id) => this.#backend.getDeadLetter(id));
      return { letters: entries.map(withFullDestinationRecord), leftOut };
    },
    /** Enqueues the letter's event again as a new invocation, under its function's policy as it is now. */
    redrive: async (id: string, options?: RedriveOptions): Promise<InvocationRecord> => {
      if (options?.requestId !== undefined) checkRequestId(options.requestId);
      const letter = options?.policy ? undefined : await this.#backend.getDeadLetter(id);
      const policy = options?.policy ?? (letter && this.#policyOf(letter.event.functionName));
      return this.#backend.redriveDeadLetter(id, { ...options, ...(policy && { policy }) });
    },
    delete: (id: string): Promise<boolean> => this.#backend.deleteDeadLetter(id),
  };
}
