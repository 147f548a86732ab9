import type { AsyncRetryPolicy, InvocationError, InvocationRecord, InvocationStatus, QueuedEvent } from '../backend.js';

/**
 * One table holds an event and its record: the queue state (`available_at`,
 * lease) and the record fields change in the same statement, so a record can
 * never disagree with the queue. Partial indexes keep claiming fast however
 * many final records are retained.
 */
export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS invocations (
  id             TEXT PRIMARY KEY,
  function_name  TEXT NOT NULL,
  job            TEXT,
  status         TEXT NOT NULL,
  attempts       INTEGER NOT NULL DEFAULT 0,
  failures       INTEGER NOT NULL DEFAULT 0,
  stalls         INTEGER NOT NULL DEFAULT 0,
  created_at     INTEGER NOT NULL,
  updated_at     INTEGER NOT NULL,
  available_at   INTEGER NOT NULL,
  lease_owner    TEXT,
  lease_until    INTEGER,
  payload        TEXT NOT NULL,
  identity       TEXT,
  client_context TEXT,
  policy         TEXT NOT NULL,
  result         TEXT,
  error          TEXT,
  log_tail       TEXT
) STRICT;
CREATE INDEX IF NOT EXISTS invocations_ready_by_function ON invocations (function_name, available_at) WHERE status = 'QUEUED';
DROP INDEX IF EXISTS invocations_ready;
CREATE INDEX IF NOT EXISTS invocations_leased ON invocations (lease_until) WHERE status = 'RUNNING';
CREATE INDEX IF NOT EXISTS invocations_by_function ON invocations (function_name, created_at);
CREATE INDEX IF NOT EXISTS invocations_by_status ON invocations (status, updated_at);
CREATE INDEX IF NOT EXISTS invocations_by_created ON invocations (created_at);
CREATE TABLE IF NOT EXISTS dead_letters (
  id            TEXT PRIMARY KEY,
  function_name TEXT NOT NULL,
  created_at    INTEGER NOT NULL,
  body          TEXT NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS dead_letters_by_created ON dead_letters (created_at);
`;

/** What the claim loop reads of a ready event before claiming it (the claim returns the whole row). */
export interface ReadyRow {
  id: string;
  function_name: string;
  available_at: number;
  created_at: number;
  policy: string;
}

/** A row of `invocations` as better-sqlite3 returns it. */
export interface InvocationRow {
  id: string;
  function_name: string;
  job: string | null;
  status: InvocationStatus;
  attempts: number;
  failures: number;
  stalls: number;
  created_at: number;
  updated_at: number;
  available_at: number;
  lease_owner: string | null;
  lease_until: number | null;
  payload: string;
  identity: string | null;
  client_context: string | null;
  policy: string;
  result: string | null;
  error: string | null;
  log_tail: string | null;
}

/** The record view of a row. */
export function rowToRecord(row: InvocationRow): InvocationRecord {
  return {
    id: row.id,
    functionName: row.function_name,
    ...(row.job !== null ? { job: row.job } : {}),
    status: row.status,
    attempts: row.attempts,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    ...(row.result !== null ? { result: row.result } : {}),
    ...(row.error !== null ? { error: JSON.parse(row.error) as InvocationError } : {}),
    ...(row.log_tail !== null ? { logTail: row.log_tail } : {}),
    ...(row.identity !== null ? { identity: JSON.parse(row.identity) as unknown } : {}),
  };
}

/** The queued-event view of a row. */
export function rowToEvent(row: InvocationRow): QueuedEvent {
  return {
    requestId: row.id,
    functionName: row.function_name,
    ...(row.job !== null ? { job: row.job } : {}),
    payload: row.payload,
    ...(row.identity !== null ? { identity: JSON.parse(row.identity) as unknown } : {}),
    ...(row.client_context !== null ? { clientContext: row.client_context } : {}),
    policy: JSON.parse(row.policy) as AsyncRetryPolicy,
    acceptedAt: row.created_at,
  };
}
