import { randomUUID } from 'node:crypto';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { bullmq, ioredis } from './redis-packages.js';
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
  resolveRedisBackendOptions,
  type RedisBackendOptions,
  type ResolvedRedisBackendOptions,
} from '../backend-options.js';
import { RedisConsumer } from './redis-consumer.js';
import { RedisKeys } from './redis-keys.js';
import { parseChangeMessage, RedisRecords } from './redis-records.js';
import { closeEach } from '../close-each.js';

const DEFAULT_LIST_LIMIT = 100;
/** Longest a redrive may take before another caller may redrive the same letter. */
const REDRIVE_LOCK_MS = 60_000;
const DEAD_LETTER_PRUNE_BATCH = 200;
const PUT_DEAD_LETTER_LUA = `
if not redis.call('SET', KEYS[1], ARGV[1], 'NX') then return 0 end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[3])
return 1`;
const RELEASE_LOCK_LUA = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/** Our own rejection, already typed; passes through the driver-error mapping untouched. */
class Coded extends Error {
  constructor(readonly backendCode: BackendErrorCode, readonly id?: string) {
    super(backendCode);
  }
}

/**
 * The distributed backend: BullMQ for the queue (retries, delays, stalled-job
 * recovery), Redis hashes for records, Redis pub/sub for record changes, so
 * several hosts on one Redis share the work and see each other's changes.
 *
 * Connections: one command connection without an offline queue (a Redis
 * outage rejects at once with `BackendUnavailableError`, it never hangs),
 * shared by the BullMQ `Queue`; one subscriber; each consumer's BullMQ
 * workers (up to 8, see RedisConsumer) own theirs, two each.
 */
export class RedisBackend implements Backend {
  readonly kind = 'redis' as const;
  readonly #options: ResolvedRedisBackendOptions;
  readonly #keys: RedisKeys;
  readonly #client: Redis;
  readonly #subscriber: Redis;
  readonly #records: RedisRecords;
  readonly #attemptClient: Redis;
  /** The records as consumers write them, over `#attemptClient`. */
  readonly #attemptRecords: RedisRecords;
  readonly #queue: Queue<QueuedEvent>;
  readonly #subscribed: Promise<void>;
  readonly #listeners = new Set<RecordListener>();
  readonly #consumers = new Set<RedisConsumer>();
  readonly #pruneTimer: NodeJS.Timeout;
  #ready: Promise<void> | undefined;
  /** Once connected, calls fail fast during an outage instead of waiting for Redis. */
  #everReady = false;
  #closing: Promise<void> | undefined;
  #closed = false;

  constructor(options: RedisBackendOptions) {
    this.#options = resolveRedisBackendOptions(options);
    const { redisUrl, commandTimeoutMs, prefix } = this.#options;
    this.#keys = new RedisKeys(prefix);
    const commandOptions = { enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: commandTimeoutMs, connectTimeout: commandTimeoutMs };
    this.#client = new (ioredis().Redis)(redisUrl, commandOptions);
    // The consumers' record writes (many attempts end in one tick) go out in one socket write
    // per tick: 10–18% more events/s with 64 callers. Not the callers' connection: there, a lone
    // Event accept would wait a turn of the event loop for each of its two commands.
    this.#attemptClient = new (ioredis().Redis)(redisUrl, { ...commandOptions, enableAutoPipelining: true });
    // ioredis reconnects by itself; connection errors surface through the calls that fail.
    this.#client.on('error', () => undefined);
    this.#attemptClient.on('error', () => undefined);
    this.#subscriber = new (ioredis().Redis)(redisUrl, { connectTimeout: commandTimeoutMs, maxRetriesPerRequest: null });
    this.#subscriber.on('error', () => undefined);
    // The change feed, by hand rather than @graphql-yoga/redis-event-target: its newest release wants
    // ioredis 5, and each change is published by the script that writes the record, not after it.
    this.#subscriber.on('message', (_channel: string, message: string) => this.#dispatch(message));
    this.#subscribed = this.#subscriber.subscribe(this.#keys.channel).then(() => undefined);
    this.#subscribed.catch(() => undefined);
    this.#records = new RedisRecords(this.#client, this.#keys);
    this.#attemptRecords = new RedisRecords(this.#attemptClient, this.#keys);
    this.#queue = new (bullmq().Queue)<QueuedEvent>(this.#keys.queueName, {
      connection: this.#client,
      prefix: this.#keys.bullPrefix,
    });
    this.#queue.on('error', () => undefined);
    this.#pruneTimer = setInterval(() => {
      this.pruneRecords().catch(this.#options.onError);
      this.pruneDeadLetters().catch(this.#options.onError);
    }, this.#options.pruneIntervalMs).unref();
  }

  /**
   * Resolves once Redis answers and the change feed is subscribed; rejects
   * with `BackendUnavailableError` after `commandTimeoutMs`. A failure is not
   * memoised, so the next call tries again once Redis is back.
   */
  waitUntilReady(): Promise<void> {
    if (this.#closed) return Promise.reject(this.#error('BACKEND_CLOSED', 'open'));
    // After an outage, wait for the reconnection again.
    if ([this.#client, this.#attemptClient, this.#subscriber].some((client) => client.status !== 'ready')) this.#ready = undefined;
    this.#ready ??= this.#connect().then(
      () => {
        this.#everReady = true;
      },
      (error: unknown) => {
        this.#ready = undefined;
        throw error;
      },
    );
    return this.#ready;
  }

  async #connect(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`Redis at ${this.#options.redisUrl} did not answer within ${this.#options.commandTimeoutMs} ms`)),
        this.#options.commandTimeoutMs,
      );
    });
    const ready = (client: Redis): Promise<void> =>
      client.status === 'ready'
        ? Promise.resolve()
        : new Promise<void>((resolve) => client.once('ready', () => resolve()));
    try {
      await Promise.race([
        Promise.all([ready(this.#client), ready(this.#attemptClient), ready(this.#subscriber), this.#subscribed, this.#queue.waitUntilReady()]),
        timeout,
      ]);
    } catch (error) {
      throw this.#error('BACKEND_UNAVAILABLE', 'open', undefined, error);
    } finally {
      clearTimeout(timer);
    }
  }

  // -- queue -----------------------------------------------------------------

  async enqueue(event: AsyncEvent): Promise<InvocationRecord> {
    // A value JSON cannot hold is the caller's error (a TypeError, as on SQLite), not an unavailable Redis.
    JSON.stringify(event.identity);
    return this.#call('enqueue', event.requestId, () => this.#enqueue(event, undefined));
  }

  async #enqueue(event: AsyncEvent, deadLetterId: string | undefined): Promise<InvocationRecord> {
    const acceptedAt = Date.now();
    const queued: QueuedEvent = { ...event, acceptedAt };
    const record: InvocationRecord = {
      id: event.requestId,
      functionName: event.functionName,
      ...(event.job !== undefined ? { job: event.job } : {}),
      status: 'QUEUED',
      attempts: 0,
      createdAt: acceptedAt,
      updatedAt: acceptedAt,
      ...(event.identity !== undefined ? { identity: event.identity } : {}),
    };
    // Record first: a worker may take the job the moment it is added.
    const created = await this.#records.create(record);
    if (!created.written) throw new Coded('DUPLICATE_REQUEST_ID', event.requestId);
    try {
      await this.#queue.add('event', queued, {
        jobId: this.#keys.jobId(event.requestId),
        attempts: event.policy.maxRetries + 1,
        backoff: { type: 'neolith' },
        removeOnComplete: true,
        removeOnFail: true,
      });
    } catch (error) {
      // Nothing is acknowledged that is not queued: undo the record, best effort.
      await this.#records.delete(event.requestId, event.functionName).catch(() => undefined);
      throw error;
    }
    if (deadLetterId !== undefined) await this.#deleteDeadLetter(deadLetterId);
    return record;
  }

  consume(handler: EventHandler, options: ConsumeOptions): Consumer {
    if (this.#closed) throw this.#error('BACKEND_CLOSED', 'consume');
    const consumer = new RedisConsumer(
      {
        redisUrl: this.#options.redisUrl,
        bullPrefix: this.#keys.bullPrefix,
        queueName: this.#keys.queueName,
        records: this.#attemptRecords,
        lockDurationMs: this.#options.lockDurationMs,
        stalledIntervalMs: this.#options.stalledIntervalMs,
        maxStalledCount: this.#options.maxStalledCount,
        onClosed: (closed) => this.#consumers.delete(closed),
      },
      handler,
      options,
    );
    this.#consumers.add(consumer);
    return consumer;
  }

  async stats(): Promise<QueueStats> {
    const { queued, running, oldest, deadLetters } = await this.#call('stats', undefined, () => this.#records.stats());
    return { queued, running, oldestQueuedAgeMs: oldest === undefined ? 0 : Math.max(0, Date.now() - oldest), deadLetters };
  }

  // -- records ---------------------------------------------------------------

  getRecord(id: string): Promise<InvocationRecord | undefined> {
    return this.#call('getRecord', id, () => this.#records.get(id));
  }

  listRecords(query: RecordQuery = {}): Promise<InvocationRecord[]> {
    return this.#call('listRecords', undefined, () => this.#records.list(query, query.limit ?? DEFAULT_LIST_LIMIT));
  }

  recordSizes(query: RecordQuery = {}): Promise<StoredSize[]> {
    return this.#call('recordSizes', undefined, () => this.#records.sizes(query, query.limit ?? DEFAULT_LIST_LIMIT));
  }

  watchRecords(listener: RecordListener): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  pruneRecords(options: PruneOptions = {}): Promise<number> {
    const before = options.before ?? Date.now() - this.#options.retentionSeconds * 1000;
    return this.#call('pruneRecords', undefined, () => this.#records.prune(before));
  }

  // -- dead letters ------------------------------------------------------------

  putDeadLetter(input: DeadLetterInput): Promise<DeadLetter> {
    const letter: DeadLetter = { ...input, id: input.id ?? randomUUID(), createdAt: Date.now() };
    return this.#call('putDeadLetter', letter.id, async () => {
      const keys = this.#keys;
      // One script: the letter and its index entries together, and never over an existing letter (as SQLite's primary key).
      const stored = await this.#client.eval(
        PUT_DEAD_LETTER_LUA, 3,
        keys.deadLetter(letter.id), keys.deadLetterIndex, keys.deadLetterFunctionIndex(letter.event.functionName),
        JSON.stringify(letter), letter.createdAt, letter.id,
      );
      if (stored === 0) throw new Coded('DUPLICATE_DEAD_LETTER', letter.id);
      return letter;
    });
  }

  listDeadLetters(query: DeadLetterQuery = {}): Promise<DeadLetter[]> {
    return this.#call('listDeadLetters', undefined, async () => {
      const ids = await this.#deadLetterIds(query);
      if (ids.length === 0) return [];
      const bodies = await this.#client.mget(ids.map((id) => this.#keys.deadLetter(id)));
      return bodies.filter((body): body is string => body !== null).map((body) => JSON.parse(body) as DeadLetter);
    });
  }

  deadLetterSizes(query: DeadLetterQuery = {}): Promise<StoredSize[]> {
    return this.#call('deadLetterSizes', undefined, async () => {
      const ids = await this.#deadLetterIds(query);
      if (ids.length === 0) return [];
      const pipeline = this.#client.pipeline();
      for (const id of ids) pipeline.strlen(this.#keys.deadLetter(id));
      const lengths = (await pipeline.exec()) ?? [];
      const sizes: StoredSize[] = [];
      ids.forEach((id, i) => {
        const [error, bytes] = lengths[i] ?? [new Error('no reply')];
        if (error) throw error;
        // 0: deleted since the index was read (a letter is never empty).
        if ((bytes as number) > 0) sizes.push({ id, bytes: bytes as number });
      });
      return sizes;
    });
  }

  /** The ids of a dead-letter page, newest first. */
  #deadLetterIds(query: DeadLetterQuery): Promise<string[]> {
    const index = query.functionName === undefined ? this.#keys.deadLetterIndex : this.#keys.deadLetterFunctionIndex(query.functionName);
    return this.#client.zrevrange(index, 0, (query.limit ?? DEFAULT_LIST_LIMIT) - 1);
  }

  getDeadLetter(id: string): Promise<DeadLetter | undefined> {
    return this.#call('getDeadLetter', id, async () => {
      const body = await this.#client.get(this.#keys.deadLetter(id));
      return body === null ? undefined : (JSON.parse(body) as DeadLetter);
    });
  }

  redriveDeadLetter(id: string, options: RedriveOptions = {}): Promise<InvocationRecord> {
    return this.#call('redriveDeadLetter', id, async () => {
      // One redrive at a time per letter: a second caller finds it gone, as on SQLite. The lock lapses
      // by itself if this host dies midway, so the letter stays redrivable.
      const lock = this.#keys.deadLetterRedrive(id);
      const token = randomUUID();
      if ((await this.#client.set(lock, token, 'PX', REDRIVE_LOCK_MS, 'NX')) === null) throw new Coded('DEAD_LETTER_NOT_FOUND', id);
      try {
        const body = await this.#client.get(this.#keys.deadLetter(id));
        if (body === null) throw new Coded('DEAD_LETTER_NOT_FOUND', id);
        const letter = JSON.parse(body) as DeadLetter;
        const { acceptedAt: _previousAcceptance, ...original } = letter.event;
        // Enqueue, then delete: a crash in between redrives twice rather than never.
        return await this.#enqueue({ ...original, ...(options.policy && { policy: options.policy }), requestId: options.requestId ?? randomUUID() }, id);
      } finally {
        // Only our own lock: after REDRIVE_LOCK_MS it may be another caller's.
        await this.#client.eval(RELEASE_LOCK_LUA, 1, lock, token);
      }
    });
  }

  deleteDeadLetter(id: string): Promise<boolean> {
    return this.#call('deleteDeadLetter', id, () => this.#deleteDeadLetter(id));
  }

  pruneDeadLetters(options: PruneOptions = {}): Promise<number> {
    const before = options.before ?? Date.now() - this.#options.deadLetterRetentionSeconds * 1000;
    return this.#call('pruneDeadLetters', undefined, async () => {
      let total = 0;
      for (;;) {
        const ids = await this.#client.zrangebyscore(this.#keys.deadLetterIndex, '-inf', `(${before}`, 'LIMIT', 0, DEAD_LETTER_PRUNE_BATCH);
        if (ids.length === 0) return total;
        for (const id of ids) if (await this.#deleteDeadLetter(id)) total++;
        // A letter whose body is gone (deleted between the two reads) leaves only its index entry.
        await this.#client.zrem(this.#keys.deadLetterIndex, ...ids);
      }
    });
  }

  async #deleteDeadLetter(id: string): Promise<boolean> {
    const keys = this.#keys;
    const body = await this.#client.get(keys.deadLetter(id));
    if (body === null) return false;
    const letter = JSON.parse(body) as DeadLetter;
    const replies = await this.#client
      .multi()
      .del(keys.deadLetter(id))
      .zrem(keys.deadLetterIndex, id)
      .zrem(keys.deadLetterFunctionIndex(letter.event.functionName), id)
      .exec();
    return Number(replies?.[0]?.[1] ?? 0) > 0;
  }

  // -- lifecycle ---------------------------------------------------------------

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  /**
   * Drop every connection without giving claims back, as a SIGKILL would:
   * another backend's stalled check recovers the events. For crash tests.
   */
  async abandon(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#pruneTimer);
    await Promise.allSettled([...this.#consumers].map((consumer) => consumer.abandon()));
    this.#consumers.clear();
    this.#listeners.clear();
    this.#subscriber.disconnect();
    await this.#queue.close().catch(() => undefined);
    this.#client.disconnect();
    this.#attemptClient.disconnect();
  }

  async #close(): Promise<void> {
    this.#closed = true;
    await closeEach([
      () => clearInterval(this.#pruneTimer),
      // Consumers the owner did not close gracefully give their events back now.
      ...[...this.#consumers].map((consumer) => () => consumer.close({ drainTimeoutMs: 0 })),
      () => this.#listeners.clear(),
      () => this.#queue.close(),
      () => this.#subscriber.disconnect(),
      () => quitOrDisconnect(this.#client),
      () => quitOrDisconnect(this.#attemptClient),
    ], this.#options.onError);
  }


  // -- internals ---------------------------------------------------------------

  /** Run one operation: refuse when closed, wait for Redis, map every failure to a code, then to an error. */
  async #call<T>(operation: string, id: string | undefined, fn: () => Promise<T>): Promise<T> {
    if (this.#closed) throw this.#error('BACKEND_CLOSED', operation, id);
    if (!this.#everReady) await this.waitUntilReady();
    try {
      return await fn();
    } catch (error) {
      if (error instanceof Coded) throw this.#error(error.backendCode, operation, error.id ?? id);
      if (this.#closed) throw this.#error('BACKEND_CLOSED', operation, id, error);
      throw this.#error('BACKEND_UNAVAILABLE', operation, id, error);
    }
  }

  #error(code: BackendErrorCode, operation: string, id?: string, cause?: unknown): Error {
    return toBackendError(code, {
      kind: 'redis',
      operation,
      ...(id !== undefined ? { id } : {}),
      ...(cause !== undefined ? { cause } : {}),
    });
  }

  #dispatch(message: string): void {
    if (this.#listeners.size === 0) return;
    let record: InvocationRecord;
    try {
      record = parseChangeMessage(message);
    } catch (error) {
      this.#options.onError(error);
      return;
    }
    for (const listener of this.#listeners) {
      try {
        listener(record);
      } catch (error) {
        this.#options.onError(error);
      }
    }
  }
}

/** A connected client says goodbye (its replies drain first); one that is not just drops. */
function quitOrDisconnect(client: Redis): Promise<unknown> | void {
  return client.status === 'ready' ? client.quit() : client.disconnect();
}
