import { randomUUID } from 'node:crypto';
import type {
  AsyncEvent,
  Backend,
  ConsumeOptions,
  Consumer,
  DeadLetter,
  DeadLetterInput,
  DeadLetterQuery,
  StoredSize,
  EventHandler,
  InvocationRecord,
  PruneOptions,
  QueuedEvent,
  QueueStats,
  RecordListener,
  RecordQuery,
  RedriveOptions,
} from '../backend.js';
import { toBackendError, type BackendErrorCode } from '../backend-error-code.js';
import {
  resolveSqliteBackendOptions,
  type ResolvedSqliteBackendOptions,
  type SqliteBackendOptions,
} from '../backend-options.js';
import { rowToRecord, type InvocationRow } from './sqlite-schema.js';
import { SqliteConsumer } from './sqlite-consumer.js';
import { SqliteStore } from './sqlite-store.js';
import { closeEach } from '../close-each.js';
import { instanceOwner, isOwnerGone, markInstanceGone, markInstanceOpen } from './lease-owner.js';

const DEFAULT_LIST_LIMIT = 100;

/**
 * The embedded backend: one `neolith.db` file in the state directory, WAL
 * mode. Opening puts back in the queue (same attempt number) every claim
 * whose process died or whose lease lapsed — that is how an event survives
 * SIGKILL — and leaves alone the claims of a process still running on the
 * same file (a `neolith invoke` beside `neolith serve`).
 */
export class SqliteBackend implements Backend {
  readonly kind = 'sqlite' as const;
  readonly #options: ResolvedSqliteBackendOptions;
  /** Distinguishes this open from earlier processes on the same file. */
  readonly #instanceId = randomUUID();
  readonly #store: SqliteStore | undefined;
  readonly #openError: unknown;
  readonly #listeners = new Set<RecordListener>();
  readonly #consumers = new Set<SqliteConsumer>();
  /** Enqueues waiting for this turn's commit. */
  #pendingEnqueues: Array<{ event: QueuedEvent; resolve: (record: InvocationRecord) => void; reject: (error: unknown) => void }> = [];
  readonly #pruneTimer: NodeJS.Timeout;
  #consumerSeq = 0;
  #closing: Promise<void> | undefined;
  #closed = false;

  constructor(options: SqliteBackendOptions) {
    this.#options = resolveSqliteBackendOptions(options);
    let store: SqliteStore | undefined;
    try {
      store = new SqliteStore(this.#options.stateDir, this.#options.synchronous, this.#options.onError);
      store.requeueAbandoned(Date.now(), isOwnerGone);
      markInstanceOpen(this.#instanceId);
    } catch (error) {
      store?.close().catch(this.#options.onError);
      store = undefined;
      // Reported by waitUntilReady() and every call, as BackendUnavailableError.
      this.#openError = error;
    }
    this.#store = store;
    this.#pruneTimer = setInterval(() => {
      this.pruneRecords().catch(this.#options.onError);
      this.pruneDeadLetters().catch(this.#options.onError);
    }, this.#options.pruneIntervalMs).unref();
  }

  async waitUntilReady(): Promise<void> {
    this.#use('open');
  }

  // -- queue -----------------------------------------------------------------

  /**
   * Stores the event; resolves once it is committed. Enqueues made while the
   * same promise jobs run share one commit (group commit): many callers at
   * once cost one WAL write, not one each.
   */
  enqueue(event: AsyncEvent): Promise<InvocationRecord> {
    try {
      this.#use('enqueue');
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise<InvocationRecord>((resolve, reject) => {
      this.#pendingEnqueues.push({ event: { ...event, acceptedAt: Date.now() }, resolve, reject });
      if (this.#pendingEnqueues.length > 1) return;
      // Node runs nextTick callbacks once the promise jobs queued so far have all run: every
      // caller whose turn is in progress gets into this commit, and a lone caller waits no loop turn.
      process.nextTick(() => this.#commitEnqueues());
    });
  }

  #commitEnqueues(): void {
    const batch = this.#pendingEnqueues;
    if (batch.length === 0) return;
    this.#pendingEnqueues = [];
    let store: SqliteStore;
    try {
      store = this.#use('enqueue');
    } catch (error) {
      // Closed (or never opened) since these were handed in: none is stored, none acknowledged.
      for (const pending of batch) pending.reject(error);
      return;
    }
    let rows: Array<InvocationRow | Error>;
    try {
      // A constraint failure (a duplicate request id) undoes only its own statement, and an error
      // raised before SQLite ran anything (a value that cannot be serialised) touched nothing: the
      // rest commit. Any other SQLite error may have rolled the whole transaction back: it fails them all.
      rows = store.transaction(() => batch.map(({ event }) => {
        try {
          return store.insertEvent(event);
        } catch (error) {
          const code = String((error as { code?: unknown }).code);
          if (!code.startsWith('SQLITE_')) return error instanceof Error ? error : new Error(String(error));
          if (!code.startsWith('SQLITE_CONSTRAINT')) throw error;
          return this.#mapDriverError(error, 'enqueue', event.requestId);
        }
      }));
    } catch (error) {
      for (const pending of batch) pending.reject(this.#mapDriverError(error, 'enqueue', pending.event.requestId));
      return;
    }
    batch.forEach((pending, i) => {
      const row = rows[i]!;
      if (row instanceof Error) return pending.reject(row);
      this.#emit(row);
      pending.resolve(rowToRecord(row));
    });
    for (const consumer of this.#consumers) consumer.wake();
  }

  consume(handler: EventHandler, options: ConsumeOptions): Consumer {
    const store = this.#use('consume');
    const consumer = new SqliteConsumer(
      {
        store,
        owner: `${instanceOwner(this.#instanceId)}/${++this.#consumerSeq}`,
        leaseMs: this.#options.leaseMs,
        pollIntervalMs: this.#options.pollIntervalMs,
        maxStalledCount: this.#options.maxStalledCount,
        emit: (row) => this.#emit(row),
        onClosed: (closed) => this.#consumers.delete(closed),
      },
      handler,
      options,
    );
    this.#consumers.add(consumer);
    return consumer;
  }

  async stats(): Promise<QueueStats> {
    const store = this.#use('stats');
    const { queued, running, oldest, deadLetters } = this.#run('stats', () => store.stats());
    return { queued, running, oldestQueuedAgeMs: oldest === null ? 0 : Math.max(0, Date.now() - oldest), deadLetters };
  }

  // -- records ---------------------------------------------------------------

  async getRecord(id: string): Promise<InvocationRecord | undefined> {
    const store = this.#use('getRecord');
    const row = this.#run('getRecord', () => store.get(id));
    return row ? rowToRecord(row) : undefined;
  }

  async listRecords(query: RecordQuery = {}): Promise<InvocationRecord[]> {
    const store = this.#use('listRecords');
    return this.#run('listRecords', () => store.list(query, query.limit ?? DEFAULT_LIST_LIMIT)).map(rowToRecord);
  }

  async recordSizes(query: RecordQuery = {}): Promise<StoredSize[]> {
    const store = this.#use('recordSizes');
    return this.#run('recordSizes', () => store.recordSizes(query, query.limit ?? DEFAULT_LIST_LIMIT));
  }

  watchRecords(listener: RecordListener): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  async pruneRecords(options: PruneOptions = {}): Promise<number> {
    const store = this.#use('pruneRecords');
    const before = options.before ?? Date.now() - this.#options.retentionSeconds * 1000;
    return this.#run('pruneRecords', () => store.prune(before));
  }

  // -- dead letters ------------------------------------------------------------

  async putDeadLetter(input: DeadLetterInput): Promise<DeadLetter> {
    const store = this.#use('putDeadLetter');
    const letter: DeadLetter = { ...input, id: input.id ?? randomUUID(), createdAt: Date.now() };
    try {
      store.putDeadLetter(letter);
    } catch (error) {
      if ((error as { code?: unknown }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw this.#error('DUPLICATE_DEAD_LETTER', 'putDeadLetter', letter.id, error);
      throw this.#mapDriverError(error, 'putDeadLetter');
    }
    return letter;
  }

  async listDeadLetters(query: DeadLetterQuery = {}): Promise<DeadLetter[]> {
    const store = this.#use('listDeadLetters');
    return this.#run('listDeadLetters', () => store.listDeadLetters(query.functionName, query.limit ?? DEFAULT_LIST_LIMIT));
  }

  async deadLetterSizes(query: DeadLetterQuery = {}): Promise<StoredSize[]> {
    const store = this.#use('deadLetterSizes');
    return this.#run('deadLetterSizes', () => store.deadLetterSizes(query.functionName, query.limit ?? DEFAULT_LIST_LIMIT));
  }

  async getDeadLetter(id: string): Promise<DeadLetter | undefined> {
    const store = this.#use('getDeadLetter');
    return this.#run('getDeadLetter', () => store.getDeadLetter(id));
  }

  async redriveDeadLetter(id: string, options: RedriveOptions = {}): Promise<InvocationRecord> {
    const store = this.#use('redriveDeadLetter');
    const letter = this.#run('redriveDeadLetter', () => store.getDeadLetter(id));
    if (!letter) throw this.#error('DEAD_LETTER_NOT_FOUND', 'redriveDeadLetter', id);
    const requestId = options.requestId ?? randomUUID();
    const { acceptedAt: _previousAcceptance, ...original } = letter.event;
    let row: InvocationRow | undefined;
    try {
      row = store.redrive(id, { ...original, ...(options.policy && { policy: options.policy }), requestId, acceptedAt: Date.now() });
    } catch (error) {
      throw this.#mapDriverError(error, 'redriveDeadLetter', requestId);
    }
    if (!row) throw this.#error('DEAD_LETTER_NOT_FOUND', 'redriveDeadLetter', id);
    this.#emit(row);
    for (const consumer of this.#consumers) consumer.wake();
    return rowToRecord(row);
  }

  async deleteDeadLetter(id: string): Promise<boolean> {
    const store = this.#use('deleteDeadLetter');
    return this.#run('deleteDeadLetter', () => store.deleteDeadLetter(id));
  }

  async pruneDeadLetters(options: PruneOptions = {}): Promise<number> {
    const store = this.#use('pruneDeadLetters');
    const before = options.before ?? Date.now() - this.#options.deadLetterRetentionSeconds * 1000;
    return this.#run('pruneDeadLetters', () => store.pruneDeadLetters(before));
  }

  // -- lifecycle ---------------------------------------------------------------

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  /**
   * Drop everything without writing, as a SIGKILL would: claims stay RUNNING
   * in the file for the next open to take back. For crash tests.
   */
  async abandon(): Promise<void> {
    this.#closed = true;
    markInstanceGone(this.#instanceId);
    clearInterval(this.#pruneTimer);
    for (const consumer of this.#consumers) consumer.abandon();
    this.#consumers.clear();
    this.#listeners.clear();
    await this.#store?.close();
  }

  async #close(): Promise<void> {
    // Enqueues handed in before close() are stored, as they were when each committed at once.
    this.#commitEnqueues();
    this.#closed = true;
    await closeEach([
      () => clearInterval(this.#pruneTimer),
      // Consumers the owner did not close gracefully give their events back now.
      ...[...this.#consumers].map((consumer) => () => consumer.close({ drainTimeoutMs: 0 })),
      () => this.#listeners.clear(),
      () => this.#store?.close(),
      () => markInstanceGone(this.#instanceId),
    ], this.#options.onError);
  }


  // -- internals ---------------------------------------------------------------

  #use(operation: string): SqliteStore {
    if (this.#closed) throw this.#error('BACKEND_CLOSED', operation);
    if (!this.#store) throw this.#error('BACKEND_UNAVAILABLE', operation, undefined, this.#openError);
    return this.#store;
  }

  #run<T>(operation: string, fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      throw this.#mapDriverError(error, operation);
    }
  }

  #mapDriverError(error: unknown, operation: string, id?: string): Error {
    const code = (error as { code?: unknown }).code;
    const mapped: BackendErrorCode =
      code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE'
        ? 'DUPLICATE_REQUEST_ID'
        : 'BACKEND_UNAVAILABLE';
    return this.#error(mapped, operation, id, error);
  }

  #error(code: BackendErrorCode, operation: string, id?: string, cause?: unknown): Error {
    return toBackendError(code, {
      kind: 'sqlite',
      operation,
      ...(id !== undefined ? { id } : {}),
      ...(cause !== undefined ? { cause } : {}),
    });
  }

  #emit(row: InvocationRow): void {
    if (this.#listeners.size === 0) return;
    const record = rowToRecord(row);
    for (const listener of this.#listeners) {
      try {
        listener(record);
      } catch (error) {
        this.#options.onError(error);
      }
    }
  }
}
