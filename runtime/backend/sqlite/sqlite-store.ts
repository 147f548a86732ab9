import type Database from 'better-sqlite3';
import { openDatabase, type OpenDatabase } from './open-database.js';
import type { DeadLetter, StoredSize, InvocationError, InvocationStatus, QueuedEvent, RecordQuery } from '../backend.js';
import { SCHEMA_SQL, type InvocationRow, type ReadyRow } from './sqlite-schema.js';
import { StatementsByLimit } from './statements-by-limit.js';

type Statement = Database.Statement;

/**
 * The functions that have queued events, as the CTE `queued(name)` (ends with
 * a NULL name): a loose index scan, one probe per function however many
 * events wait.
 */
const QUEUED_FUNCTIONS = `WITH RECURSIVE queued(name) AS (
    SELECT (SELECT function_name FROM invocations INDEXED BY invocations_ready_by_function
            WHERE status = 'QUEUED' ORDER BY function_name LIMIT 1)
    UNION ALL
    SELECT (SELECT function_name FROM invocations INDEXED BY invocations_ready_by_function
            WHERE status = 'QUEUED' AND function_name > queued.name ORDER BY function_name LIMIT 1)
    FROM queued WHERE queued.name IS NOT NULL)`;

/** Fields written when an attempt ends for good. */
export interface FinishFields {
  readonly status: Extract<InvocationStatus, 'SUCCEEDED' | 'FAILED' | 'EXPIRED'>;
  readonly now: number;
  readonly result?: string;
  readonly error?: InvocationError;
  readonly logTail?: string;
}

/** Fields written when a failed attempt will be retried. */
export interface RetryFields {
  readonly now: number;
  readonly availableAt: number;
  readonly error: InvocationError;
  readonly logTail?: string;
}

/**
 * The SQLite file and every statement on it. Owned by `SqliteBackend`; its
 * consumers share it. Every write that follows a claim is guarded by the
 * claim's owner, so a consumer whose claim was taken back (lease expired,
 * host restarted) cannot overwrite the new owner's state.
 */
export class SqliteStore {
  readonly #db: Database.Database;
  readonly #opened: OpenDatabase;
  readonly #insert: Statement;
  readonly #queuedFunctions: Statement;
  readonly #readyOf: StatementsByLimit;
  readonly #claim: Statement;
  readonly #finish: Statement;
  readonly #retry: Statement;
  readonly #release: Statement;
  readonly #renew: Statement;
  readonly #runningClaims: Statement;
  readonly #requeueClaim: Statement;
  readonly #reclaimExpired: Statement;
  readonly #nextAvailable: Statement;
  readonly #get: Statement;
  readonly #prune: Statement;
  readonly #stats: Statement;
  readonly #putDeadLetter: Statement;
  readonly #getDeadLetter: Statement;
  readonly #listDeadLetters: Statement;
  readonly #listDeadLettersByFunction: Statement;
  readonly #deadLetterSizes: Statement;
  readonly #deadLetterSizesByFunction: Statement;
  readonly #deleteDeadLetter: Statement;
  readonly #pruneDeadLetters: Statement;

  constructor(stateDir: string, synchronous: 'NORMAL' | 'FULL', onError?: (error: Error) => void) {
    const opened = openDatabase(stateDir, synchronous, onError);
    const db = opened.db;
    // Schema or statements that fail leave nothing open: the connection and its checkpoint thread close.
    try {
      db.exec(SCHEMA_SQL);
      this.#opened = opened;
      this.#db = db;
      this.#insert = db.prepare(`INSERT INTO invocations
        (id, function_name, job, status, attempts, failures, stalls, created_at, updated_at, available_at, payload, identity, client_context, policy)
        VALUES (@id, @functionName, @job, 'QUEUED', 0, 0, 0, @now, @now, @now, @payload, @identity, @clientContext, @policy)
        RETURNING *`);
      this.#queuedFunctions = db.prepare(`${QUEUED_FUNCTIONS} SELECT name FROM queued WHERE name IS NOT NULL`).pluck();
      // INDEXED BY: left to itself the planner may pick (status, updated_at) and sort
      // every queued row on each claim pass. Only the columns the claim loop reads.
      this.#readyOf = new StatementsByLimit(db, `SELECT id, function_name, available_at, created_at, policy
        FROM invocations INDEXED BY invocations_ready_by_function
        WHERE status = 'QUEUED' AND function_name = ? AND available_at <= ?
        ORDER BY available_at`);
      this.#claim = db.prepare(`UPDATE invocations
        SET status = 'RUNNING', lease_owner = @owner, lease_until = @leaseUntil, updated_at = @now,
            attempts = CASE WHEN @countAttempt = 1 THEN failures + 1 ELSE attempts END
        WHERE id = @id AND status = 'QUEUED'
        RETURNING *`);
      this.#finish = db.prepare(`UPDATE invocations
        SET status = @status, updated_at = @now, lease_owner = NULL, lease_until = NULL,
            failures = failures + CASE WHEN @status = 'FAILED' THEN 1 ELSE 0 END,
            result = @result, log_tail = COALESCE(@logTail, log_tail),
            -- A success is the final outcome (as in Lambda): an earlier attempt's error, kept while
            -- retrying, must not outlive it. FAILED brings its own error; EXPIRED keeps the last one.
            error = CASE WHEN @status = 'SUCCEEDED' THEN NULL ELSE COALESCE(@error, error) END
        WHERE id = @id AND status = 'RUNNING' AND lease_owner = @owner
        RETURNING *`);
      this.#retry = db.prepare(`UPDATE invocations
        SET status = 'QUEUED', updated_at = @now, available_at = @availableAt, lease_owner = NULL, lease_until = NULL,
            failures = failures + 1, error = @error, log_tail = COALESCE(@logTail, log_tail)
        WHERE id = @id AND status = 'RUNNING' AND lease_owner = @owner
        RETURNING *`);
      this.#release = db.prepare(`UPDATE invocations
        SET status = 'QUEUED', updated_at = @now, available_at = @now, lease_owner = NULL, lease_until = NULL,
            attempts = failures
        WHERE id = @id AND status = 'RUNNING' AND lease_owner = @owner
        RETURNING *`);
      this.#renew = db.prepare(`UPDATE invocations SET lease_until = ? WHERE id = ? AND status = 'RUNNING' AND lease_owner = ?`);
      this.#runningClaims = db.prepare(`SELECT id, lease_owner, lease_until FROM invocations WHERE status = 'RUNNING'`);
      this.#requeueClaim = db.prepare(`UPDATE invocations
        SET status = 'QUEUED', updated_at = @now, available_at = @now, lease_owner = NULL, lease_until = NULL,
            stalls = stalls + 1, attempts = failures
        WHERE id = @id AND status = 'RUNNING' AND lease_owner IS @owner
        RETURNING *`);
      this.#reclaimExpired = db.prepare(`UPDATE invocations
        SET status = 'QUEUED', updated_at = @now, available_at = @now, lease_owner = NULL, lease_until = NULL,
            stalls = stalls + 1, attempts = failures
        WHERE status = 'RUNNING' AND lease_until < @now
        RETURNING *`);
      this.#nextAvailable = db.prepare(`${QUEUED_FUNCTIONS}
        SELECT MIN((SELECT MIN(available_at) FROM invocations INDEXED BY invocations_ready_by_function
                    WHERE status = 'QUEUED' AND function_name = queued.name)) AS at
        FROM queued WHERE name IS NOT NULL`);
      this.#get = db.prepare(`SELECT * FROM invocations WHERE id = ?`);
      this.#prune = db.prepare(`DELETE FROM invocations
        WHERE status IN ('SUCCEEDED', 'FAILED', 'EXPIRED') AND updated_at < ?`);
      this.#stats = db.prepare(`SELECT
          (SELECT COUNT(*) FROM invocations WHERE status = 'QUEUED') AS queued,
          (SELECT COUNT(*) FROM invocations WHERE status = 'RUNNING') AS running,
          (SELECT MIN(created_at) FROM invocations WHERE status = 'QUEUED') AS oldest,
          (SELECT COUNT(*) FROM dead_letters) AS deadLetters`);
      this.#putDeadLetter = db.prepare(`INSERT INTO dead_letters (id, function_name, created_at, body) VALUES (?, ?, ?, ?)`);
      this.#getDeadLetter = db.prepare(`SELECT body FROM dead_letters WHERE id = ?`);
      this.#listDeadLetters = db.prepare(`SELECT body FROM dead_letters ORDER BY created_at DESC, id LIMIT ?`);
      this.#listDeadLettersByFunction = db.prepare(
        `SELECT body FROM dead_letters WHERE function_name = ? ORDER BY created_at DESC, id LIMIT ?`,
      );
      // octet_length() reads a text's size from the row header; length() would read the text to count characters.
      this.#deadLetterSizes = db.prepare(`SELECT id, octet_length(body) AS bytes FROM dead_letters ORDER BY created_at DESC, id LIMIT ?`);
      this.#deadLetterSizesByFunction = db.prepare(
        `SELECT id, octet_length(body) AS bytes FROM dead_letters WHERE function_name = ? ORDER BY created_at DESC, id LIMIT ?`,
      );
      this.#deleteDeadLetter = db.prepare(`DELETE FROM dead_letters WHERE id = ?`);
      this.#pruneDeadLetters = db.prepare(`DELETE FROM dead_letters WHERE created_at < ?`);
    } catch (error) {
      opened.close().catch(onError ?? ((closeError: Error) => process.emitWarning(closeError)));
      throw error;
    }
  }

  // -- queue -----------------------------------------------------------------

  insertEvent(event: QueuedEvent): InvocationRow {
    return this.#insert.get({
      id: event.requestId,
      functionName: event.functionName,
      job: event.job ?? null,
      now: event.acceptedAt,
      payload: event.payload,
      identity: event.identity === undefined ? null : JSON.stringify(event.identity),
      clientContext: event.clientContext ?? null,
      policy: JSON.stringify(event.policy),
    }) as InvocationRow;
  }

  /** Functions that have queued events (ready now or later). */
  queuedFunctions(): string[] {
    return this.#queuedFunctions.all() as string[];
  }

  /** One function's ready events, oldest first. */
  readyOf(functionName: string, now: number, limit: number): ReadyRow[] {
    return this.#readyOf.limit(limit).all(functionName, now) as ReadyRow[];
  }

  /** Take a ready event; `undefined` when another consumer took it first. */
  claim(id: string, owner: string, now: number, leaseUntil: number, countAttempt: boolean): InvocationRow | undefined {
    return this.#claim.get({ id, owner, now, leaseUntil, countAttempt: countAttempt ? 1 : 0 }) as InvocationRow | undefined;
  }

  finish(id: string, owner: string, fields: FinishFields): InvocationRow | undefined {
    return this.#finish.get({
      id,
      owner,
      status: fields.status,
      now: fields.now,
      result: fields.result ?? null,
      error: fields.error === undefined ? null : JSON.stringify(fields.error),
      logTail: fields.logTail ?? null,
    }) as InvocationRow | undefined;
  }

  retry(id: string, owner: string, fields: RetryFields): InvocationRow | undefined {
    return this.#retry.get({
      id,
      owner,
      now: fields.now,
      availableAt: fields.availableAt,
      error: JSON.stringify(fields.error),
      logTail: fields.logTail ?? null,
    }) as InvocationRow | undefined;
  }

  /** Give a claimed event back without counting the attempt (forced close). */
  release(id: string, owner: string, now: number): InvocationRow | undefined {
    return this.#release.get({ id, owner, now }) as InvocationRow | undefined;
  }

  /** Extends the leases of these claims only: an attempt that ended without its write landing must lapse. */
  renewLeases(claims: Iterable<readonly [id: string, owner: string]>, leaseUntil: number): void {
    this.transaction(() => {
      for (const [id, owner] of claims) this.#renew.run(leaseUntil, id, owner);
    });
  }

  /**
   * On open: puts back the claims whose holder is gone (`isGone`) or whose
   * lease lapsed. A host still running on the same file keeps its claims.
   */
  requeueAbandoned(now: number, isGone: (owner: string | null) => boolean): InvocationRow[] {
    return this.transaction(() => {
      const rows: InvocationRow[] = [];
      for (const claim of this.#runningClaims.all() as Array<{ id: string; lease_owner: string | null; lease_until: number | null }>) {
        if ((claim.lease_until ?? 0) >= now && !isGone(claim.lease_owner)) continue;
        const row = this.#requeueClaim.get({ id: claim.id, owner: claim.lease_owner, now }) as InvocationRow | undefined;
        if (row) rows.push(row);
      }
      return rows;
    });
  }

  /** Claims whose owner stopped renewing (another process on this file died). */
  reclaimExpiredLeases(now: number): InvocationRow[] {
    return this.#reclaimExpired.all({ now }) as InvocationRow[];
  }

  nextAvailableAt(): number | undefined {
    const row = this.#nextAvailable.get() as { at: number | null };
    return row.at ?? undefined;
  }

  // -- records ---------------------------------------------------------------

  get(id: string): InvocationRow | undefined {
    return this.#get.get(id) as InvocationRow | undefined;
  }

  list(query: RecordQuery, limit: number): InvocationRow[] {
    const { where, params } = recordFilter(query);
    return this.#db.prepare(`SELECT * FROM invocations ${where} ORDER BY created_at DESC, id LIMIT ?`).all(...params, limit) as InvocationRow[];
  }

  /** `list`'s ids and the bytes of what reading each loads beyond its fixed columns, without reading them (octet_length). */
  recordSizes(query: RecordQuery, limit: number): StoredSize[] {
    const { where, params } = recordFilter(query);
    const bytes = ['result', 'error', 'log_tail', 'identity'].map((column) => `ifnull(octet_length(${column}), 0)`).join(' + ');
    return this.#db.prepare(`SELECT id, ${bytes} AS bytes FROM invocations ${where} ORDER BY created_at DESC, id LIMIT ?`).all(...params, limit) as StoredSize[];
  }

  prune(before: number): number {
    return this.#prune.run(before).changes;
  }

  stats(): { queued: number; running: number; oldest: number | null; deadLetters: number } {
    return this.#stats.get() as { queued: number; running: number; oldest: number | null; deadLetters: number };
  }

  // -- dead letters ------------------------------------------------------------

  putDeadLetter(letter: DeadLetter): void {
    this.#putDeadLetter.run(letter.id, letter.event.functionName, letter.createdAt, JSON.stringify(letter));
  }

  getDeadLetter(id: string): DeadLetter | undefined {
    const row = this.#getDeadLetter.get(id) as { body: string } | undefined;
    return row ? (JSON.parse(row.body) as DeadLetter) : undefined;
  }

  listDeadLetters(functionName: string | undefined, limit: number): DeadLetter[] {
    const rows = (
      functionName === undefined
        ? this.#listDeadLetters.all(limit)
        : this.#listDeadLettersByFunction.all(functionName, limit)
    ) as { body: string }[];
    return rows.map((row) => JSON.parse(row.body) as DeadLetter);
  }

  deadLetterSizes(functionName: string | undefined, limit: number): StoredSize[] {
    return (functionName === undefined
      ? this.#deadLetterSizes.all(limit)
      : this.#deadLetterSizesByFunction.all(functionName, limit)) as StoredSize[];
  }

  deleteDeadLetter(id: string): boolean {
    return this.#deleteDeadLetter.run(id).changes > 0;
  }

  pruneDeadLetters(before: number): number {
    return this.#pruneDeadLetters.run(before).changes;
  }

  /** Insert the redriven event and delete the dead letter in one transaction. */
  redrive(deadLetterId: string, event: QueuedEvent): InvocationRow | undefined {
    return this.#db.transaction(() => {
      if (this.#deleteDeadLetter.run(deadLetterId).changes === 0) return undefined;
      return this.insertEvent(event);
    }).immediate();
  }

  /** Run `fn` in one write transaction (one commit for many statements). */
  transaction<T>(fn: () => T): T {
    return this.#db.transaction(fn).immediate();
  }

  close(): Promise<void> {
    return this.#opened.close();
  }
}

/** The WHERE clause of a record listing. Few combinations: built rather than one statement per shape. */
function recordFilter(query: RecordQuery): { where: string; params: unknown[] } {
  const clauses: string[] = [];
  const params: unknown[] = [];
  if (query.functionName !== undefined) {
    clauses.push('function_name = ?');
    params.push(query.functionName);
  }
  if (query.status !== undefined) {
    clauses.push('status = ?');
    params.push(query.status);
  }
  return { where: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', params };
}
