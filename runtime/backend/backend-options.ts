import type { ConsumeOptions } from './backend.js';
import { InvalidParameterValueError } from '../errors/index.js';
import { logBackendError } from './attempt-plan.js';

/**
 * Options of the two backends, their defaults, and the one validation at the
 * boundary; a broken rule throws `InvalidParameterValueError`. Field docs carry the defaults.
 */

/** Options both backends take. */
export interface CommonBackendOptions {
  /**
   * How long final records (SUCCEEDED, FAILED, EXPIRED) are kept after their
   * last change.
   * @defaultValue 86400 (one day)
   */
  readonly retentionSeconds?: number;
  /**
   * How long a dead letter is kept after it was stored, as an SQS queue keeps
   * a message (at most 14 days there).
   * @defaultValue 1209600 (14 days)
   */
  readonly deadLetterRetentionSeconds?: number;
  /**
   * How often old final records and dead letters are pruned.
   * @defaultValue 60000
   */
  readonly pruneIntervalMs?: number;
  /**
   * How often one event may be taken back from a host that died while
   * running it before it FAILS with `Neolith.EventStalled`:
   * guards against an event that kills its host. Redis counts with BullMQ's
   * `stalledCounter`, SQLite with a column.
   * @defaultValue 3
   */
  readonly maxStalledCount?: number;
  /**
   * Errors nobody awaits (a failed background prune, a dropped change message).
   * @defaultValue logs with `console.error`
   */
  readonly onError?: (error: unknown) => void;
}

/** The embedded backend: one SQLite file. */
export interface SqliteBackendOptions extends CommonBackendOptions {
  readonly kind: 'sqlite';
  /** Directory holding `neolith.db`; created when missing. */
  readonly stateDir: string;
  /**
   * `NORMAL` survives a process crash (SIGKILL) in WAL mode; `FULL` also
   * survives power loss, at a cost per commit.
   * @defaultValue 'NORMAL'
   */
  readonly synchronous?: 'NORMAL' | 'FULL';
  /**
   * How often a consumer looks for events written by other processes and for
   * expired leases. Events enqueued in this process wake it at once.
   * @defaultValue 1000
   */
  readonly pollIntervalMs?: number;
  /**
   * Visibility timeout of a claim. A running consumer renews it every third
   * of this; a claim not renewed for this long is taken back.
   * @defaultValue 30000
   */
  readonly leaseMs?: number;
}

/** The distributed backend: BullMQ queue, Redis records, Redis pub/sub. */
export interface RedisBackendOptions extends CommonBackendOptions {
  readonly kind: 'redis';
  /** @defaultValue 'redis://127.0.0.1:6379' */
  readonly redisUrl?: string;
  /**
   * Namespace of every key and channel, so hosts sharing one Redis can run
   * separate apps (tests use a random UUID).
   * @defaultValue 'neolith'
   */
  readonly prefix?: string;
  /**
   * Time to wait for Redis at start, and per command, before
   * `BackendUnavailableError`.
   * @defaultValue 5000
   */
  readonly commandTimeoutMs?: number;
  /**
   * BullMQ `lockDuration`: how long a claim lives without renewal; a host
   * that vanished loses its events to others after about this long.
   * @defaultValue 30000
   */
  readonly lockDurationMs?: number;
  /**
   * BullMQ `stalledInterval`: how often workers look for claims whose host vanished.
   * @defaultValue 30000
   */
  readonly stalledIntervalMs?: number;
}

/** What `createBackend` takes. */
export type BackendOptions = SqliteBackendOptions | RedisBackendOptions;

/** Defaults of the common options. */
export const DEFAULT_COMMON_BACKEND_OPTIONS = {
  retentionSeconds: 86_400,
  deadLetterRetentionSeconds: 1_209_600,
  pruneIntervalMs: 60_000,
  maxStalledCount: 3,
} as const;

/** Defaults of the sqlite options. */
export const DEFAULT_SQLITE_BACKEND_OPTIONS = {
  ...DEFAULT_COMMON_BACKEND_OPTIONS,
  synchronous: 'NORMAL',
  pollIntervalMs: 1000,
  leaseMs: 30_000,
} as const;

/** Defaults of the redis options. */
export const DEFAULT_REDIS_BACKEND_OPTIONS = {
  ...DEFAULT_COMMON_BACKEND_OPTIONS,
  redisUrl: 'redis://127.0.0.1:6379',
  prefix: 'neolith',
  commandTimeoutMs: 5000,
  lockDurationMs: 30_000,
  stalledIntervalMs: 30_000,
} as const;

/** Sqlite options with every default applied. */
export type ResolvedSqliteBackendOptions = Required<Omit<SqliteBackendOptions, 'onError'>> & {
  readonly onError: (error: unknown) => void;
};

/** Redis options with every default applied. */
export type ResolvedRedisBackendOptions = Required<Omit<RedisBackendOptions, 'onError'>> & {
  readonly onError: (error: unknown) => void;
};


function requireInteger(path: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    const rule = min === 0 ? 'a non-negative integer' : `an integer ≥ ${min}`;
    throw new InvalidParameterValueError(`backend.${path} must be ${rule} (got ${String(value)})`);
  }
}

function requireString(path: string, value: unknown): void {
  if (typeof value !== 'string' || value.length === 0) {
    throw new InvalidParameterValueError(`backend.${path} must be a non-empty string (got ${JSON.stringify(value)})`);
  }
}

/** Validate sqlite options once and apply defaults. */
export function resolveSqliteBackendOptions(options: SqliteBackendOptions): ResolvedSqliteBackendOptions {
  const resolved = { ...DEFAULT_SQLITE_BACKEND_OPTIONS, onError: logBackendError, ...stripUndefined(options) };
  requireString('stateDir', resolved.stateDir);
  requireInteger('retentionSeconds', resolved.retentionSeconds, 0);
  requireInteger('deadLetterRetentionSeconds', resolved.deadLetterRetentionSeconds, 0);
  requireInteger('pruneIntervalMs', resolved.pruneIntervalMs, 1);
  requireInteger('pollIntervalMs', resolved.pollIntervalMs, 1);
  requireInteger('leaseMs', resolved.leaseMs, 3);
  requireInteger('maxStalledCount', resolved.maxStalledCount, 1);
  if (resolved.synchronous !== 'NORMAL' && resolved.synchronous !== 'FULL') {
    throw new InvalidParameterValueError(`backend.synchronous must be 'NORMAL' or 'FULL' (got ${JSON.stringify(resolved.synchronous)})`);
  }
  return resolved;
}

/** Validate redis options once and apply defaults. */
export function resolveRedisBackendOptions(options: RedisBackendOptions): ResolvedRedisBackendOptions {
  const resolved = { ...DEFAULT_REDIS_BACKEND_OPTIONS, onError: logBackendError, ...stripUndefined(options) };
  requireString('redisUrl', resolved.redisUrl);
  if (!/^rediss?:\/\//.test(resolved.redisUrl)) {
    throw new InvalidParameterValueError(`backend.redisUrl must start with redis:// or rediss:// (got ${JSON.stringify(resolved.redisUrl)})`);
  }
  requireString('prefix', resolved.prefix);
  if (resolved.prefix.includes('{') || resolved.prefix.includes('}')) {
    throw new InvalidParameterValueError(`backend.prefix must not contain braces (got ${JSON.stringify(resolved.prefix)})`);
  }
  requireInteger('retentionSeconds', resolved.retentionSeconds, 0);
  requireInteger('deadLetterRetentionSeconds', resolved.deadLetterRetentionSeconds, 0);
  requireInteger('pruneIntervalMs', resolved.pruneIntervalMs, 1);
  requireInteger('commandTimeoutMs', resolved.commandTimeoutMs, 1);
  requireInteger('lockDurationMs', resolved.lockDurationMs, 100);
  requireInteger('stalledIntervalMs', resolved.stalledIntervalMs, 50);
  requireInteger('maxStalledCount', resolved.maxStalledCount, 1);
  return resolved;
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** {@link ConsumeOptions} with its defaults applied, checked once for both backends. */
export interface ResolvedConsumeOptions {
  readonly concurrency: number;
  readonly canStart: (functionName: string) => boolean;
  readonly onFinal: ConsumeOptions['onFinal'];
  readonly onError: (error: unknown) => void;
  readonly blockedRetryMs: number;
}

/** How soon an event refused by `canStart` is offered again, unless the caller says. */
const DEFAULT_BLOCKED_RETRY_MS = 50;

/** Validates `consume` options and fills their defaults. */
export function resolveConsumeOptions(options: ConsumeOptions): ResolvedConsumeOptions {
  if (!Number.isInteger(options.concurrency) || options.concurrency < 1) {
    throw new RangeError(`consume options.concurrency must be a positive integer (got ${String(options.concurrency)})`);
  }
  return {
    concurrency: options.concurrency,
    canStart: options.canStart ?? (() => true),
    onFinal: options.onFinal,
    onError: options.onError ?? logBackendError,
    blockedRetryMs: options.blockedRetryMs ?? DEFAULT_BLOCKED_RETRY_MS,
  };
}
