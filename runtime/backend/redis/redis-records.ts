import type { Redis } from 'ioredis';
import type { InvocationRecord, InvocationStatus, RecordQuery, StoredSize } from '../backend.js';
import { cjsonSafeJson } from './cjson-safe-json.js';
import { RedisKeys } from './redis-keys.js';
import { DELETE_RECORD_LUA, PRUNE_RECORDS_LUA, PUT_RECORD_LUA } from './record-scripts.js';

/** Result of a record write; see `PUT_RECORD_LUA`. */
export type PutRecordResult =
  | { readonly written: true }
  | { readonly written: false; readonly reason: 'exists' | 'final' | 'missing' };

/** Result of a record write that reads the record back, as written. */
export type PutRecordReadResult =
  | { readonly written: true; readonly record: InvocationRecord }
  | { readonly written: false; readonly reason: 'exists' | 'final' | 'missing' };

/** The fields a patch may change. */
export type RecordPatch = Partial<Pick<InvocationRecord, 'attempts' | 'result' | 'error' | 'logTail'>> & {
  readonly status: InvocationStatus;
  readonly updatedAt: number;
};

interface ScriptedRedis {
  neolithPutRecord(...args: (string | number)[]): Promise<number | string>;
  neolithPruneRecords(...args: (string | number)[]): Promise<number>;
  neolithDeleteRecord(...args: (string | number)[]): Promise<number>;
}

const PRUNE_BATCH = 500;

/** The change message the record script publishes. */
export function parseChangeMessage(message: string): InvocationRecord {
  const parsed = JSON.parse(message) as { record: InvocationRecord; identity?: unknown };
  return parsed.identity === undefined ? parsed.record : { ...parsed.record, identity: parsed.identity };
}

/**
 * Invocation records in Redis: one hash per record (`json`, `status`, `fn`,
 * `identity`), sorted-set indexes, a pub/sub message per change. Owned by
 * `RedisBackend`, shared with its consumers; uses the backend's command
 * connection, so a Redis outage rejects at once instead of queueing.
 */
export class RedisRecords {
  readonly #redis: Redis & ScriptedRedis;
  readonly #keys: RedisKeys;

  constructor(redis: Redis, keys: RedisKeys) {
    redis.defineCommand('neolithPutRecord', { numberOfKeys: 9, lua: PUT_RECORD_LUA });
    redis.defineCommand('neolithPruneRecords', { numberOfKeys: 7, lua: PRUNE_RECORDS_LUA });
    redis.defineCommand('neolithDeleteRecord', { numberOfKeys: 8, lua: DELETE_RECORD_LUA });
    this.#redis = redis as Redis & ScriptedRedis;
    this.#keys = keys;
  }

  async create(record: InvocationRecord): Promise<PutRecordResult> {
    const { identity, ...rest } = record;
    return this.#put('create', record, rest, identity === undefined ? '' : JSON.stringify(identity), 'code');
  }

  /** Change a record; never touches a final one. */
  async patch(base: Pick<InvocationRecord, 'id' | 'functionName' | 'createdAt'>, patch: RecordPatch): Promise<PutRecordResult> {
    return this.#put('patch', { ...base, ...patch }, patch, '', 'code');
  }

  /** `patch`, answering with the whole record as written (one more reply to send and parse). */
  async patchAndRead(base: Pick<InvocationRecord, 'id' | 'functionName' | 'createdAt'>, patch: RecordPatch): Promise<PutRecordReadResult> {
    return this.#put('patch', { ...base, ...patch }, patch, '', 'record');
  }

  async #put(
    mode: 'create' | 'patch',
    record: Pick<InvocationRecord, 'id' | 'functionName' | 'createdAt' | 'updatedAt' | 'status'>,
    json: object,
    identity: string,
    reply: 'record',
  ): Promise<PutRecordReadResult>;
  async #put(
    mode: 'create' | 'patch',
    record: Pick<InvocationRecord, 'id' | 'functionName' | 'createdAt' | 'updatedAt' | 'status'>,
    json: object,
    identity: string,
    reply: 'code',
  ): Promise<PutRecordResult>;
  async #put(
    mode: 'create' | 'patch',
    record: Pick<InvocationRecord, 'id' | 'functionName' | 'createdAt' | 'updatedAt' | 'status'>,
    json: object,
    identity: string,
    reply: 'record' | 'code',
  ): Promise<PutRecordReadResult | PutRecordResult> {
    const keys = this.#keys;
    const code = await this.#redis.neolithPutRecord(
      keys.record(record.id),
      keys.allIndex,
      keys.functionIndex(record.functionName),
      keys.finalIndex,
      ...keys.statusIndexes,
      mode,
      record.id,
      record.createdAt,
      record.updatedAt,
      record.status,
      cjsonSafeJson(withoutEmptyTrace(json)),
      keys.channel,
      record.functionName,
      identity,
      reply,
    );
    if (typeof code === 'string') return { written: true, record: parseChangeMessage(code) };
    if (code === 1) return { written: true };
    return { written: false, reason: code === 0 ? 'exists' : code === -1 ? 'final' : 'missing' };
  }

  async delete(id: string, functionName: string): Promise<void> {
    const keys = this.#keys;
    await this.#redis.neolithDeleteRecord(
      keys.record(id),
      keys.allIndex,
      keys.functionIndex(functionName),
      ...keys.statusIndexes,
      id,
    );
  }

  async get(id: string): Promise<InvocationRecord | undefined> {
    const [json, identity] = await this.#redis.hmget(this.#keys.record(id), 'json', 'identity');
    return json ? toRecord(json, identity) : undefined;
  }

  async list(query: RecordQuery, limit: number): Promise<InvocationRecord[]> {
    // Both filters walk pages of ids: the status may change between the index read and the record
    // read, and the record has the last word.
    const recheck = query.functionName !== undefined ? query.status : undefined;
    return this.#page(query, limit, (ids) => this.#read(ids, recheck));
  }

  /** `list`'s ids and the length of each record's stored text, without reading one. */
  async sizes(query: RecordQuery, limit: number): Promise<StoredSize[]> {
    return this.#page(query, limit, async (ids) => {
      if (ids.length === 0) return [];
      const pipeline = this.#redis.pipeline();
      for (const id of ids) pipeline.hstrlen(this.#keys.record(id), 'json').hstrlen(this.#keys.record(id), 'identity');
      const replies = (await pipeline.exec()) ?? [];
      const sizes: StoredSize[] = [];
      ids.forEach((id, i) => {
        const [jsonError, json] = replies[2 * i] ?? [new Error('no reply')];
        const [identityError, identity] = replies[2 * i + 1] ?? [new Error('no reply')];
        if (jsonError || identityError) throw jsonError ?? identityError;
        // 0: pruned between the two reads.
        if ((json as number) > 0) sizes.push({ id, bytes: (json as number) + (identity as number) });
      });
      return sizes;
    });
  }

  /** One page, newest first, of what `take` makes of the ids the query's index holds. */
  async #page<T>(query: RecordQuery, limit: number, take: (ids: string[]) => Promise<T[]>): Promise<T[]> {
    const keys = this.#keys;
    if (query.functionName !== undefined && query.status !== undefined) {
      return this.#walkBoth(keys.functionIndex(query.functionName), keys.statusIndex(query.status), limit, take);
    }
    const index =
      query.functionName !== undefined
        ? keys.functionIndex(query.functionName)
        : query.status !== undefined
          ? keys.statusIndex(query.status)
          : keys.allIndex;
    return take(await this.#redis.zrevrange(index, 0, limit - 1));
  }

  /**
   * Both filters: walk the smaller index, newest first, and keep the ids the
   * other one holds (one ZMSCORE a page), so a rare status among many
   * records of a function is found however far back it is.
   */
  async #walkBoth<T>(functionIndex: string, statusIndex: string, limit: number, take: (ids: string[]) => Promise<T[]>): Promise<T[]> {
    const [byFunction, byStatus] = await Promise.all([this.#redis.zcard(functionIndex), this.#redis.zcard(statusIndex)]);
    const [walk, other] = byFunction <= byStatus ? [functionIndex, statusIndex] : [statusIndex, functionIndex];
    const page = Math.max(limit, 500);
    const found: T[] = [];
    // Pages are by rank in an index that changes meanwhile (a status index): an entry may show up twice.
    const seen = new Set<string>();
    for (let start = 0; found.length < limit; start += page) {
      const ids = await this.#redis.zrevrange(walk, start, start + page - 1);
      if (ids.length === 0) break;
      const scores = await this.#redis.zmscore(other, ...ids);
      const matched = ids.filter((id, i) => scores[i] !== null && !seen.has(id));
      for (const id of matched) seen.add(id);
      for (const item of await take(matched)) {
        found.push(item);
        if (found.length === limit) break;
      }
      if (ids.length < page) break;
    }
    return found;
  }

  async #read(ids: string[], status: InvocationStatus | undefined): Promise<InvocationRecord[]> {
    if (ids.length === 0) return [];
    const keys = this.#keys;
    const pipeline = this.#redis.pipeline();
    for (const id of ids) pipeline.hmget(keys.record(id), 'json', 'identity');
    const replies = (await pipeline.exec()) ?? [];
    const records: InvocationRecord[] = [];
    for (const [error, value] of replies) {
      if (error) throw error;
      const [json, identity] = value as [string | null, string | null];
      if (!json) continue; // pruned between the two reads
      const record = toRecord(json, identity);
      if (status === undefined || record.status === status) records.push(record);
    }
    return records;
  }

  async prune(before: number): Promise<number> {
    const keys = this.#keys;
    let total = 0;
    for (;;) {
      const count = await this.#redis.neolithPruneRecords(
        keys.finalIndex,
        keys.allIndex,
        ...keys.statusIndexes,
        before,
        keys.recordPrefix,
        keys.functionIndexPrefix,
        PRUNE_BATCH,
      );
      total += count;
      if (count < PRUNE_BATCH) return total;
    }
  }

  /** Queue gauges and the dead-letter count, in one transaction (the letters are counted, not read). */
  async stats(): Promise<{ queued: number; running: number; oldest: number | undefined; deadLetters: number }> {
    const keys = this.#keys;
    const replies = await this.#redis
      .multi()
      .zcard(keys.statusIndex('QUEUED'))
      .zcard(keys.statusIndex('RUNNING'))
      .zrange(keys.statusIndex('QUEUED'), '0', '0', 'WITHSCORES')
      .zcard(keys.deadLetterIndex)
      .exec();
    if (!replies) throw new Error('stats transaction was aborted');
    for (const [error] of replies) if (error) throw error;
    const oldest = (replies[2]?.[1] as string[] | undefined)?.[1];
    return {
      queued: Number(replies[0]?.[1] ?? 0),
      running: Number(replies[1]?.[1] ?? 0),
      oldest: oldest === undefined ? undefined : Number(oldest),
      deadLetters: Number(replies[3]?.[1] ?? 0),
    };
  }
}

function toRecord(json: string, identity: string | null): InvocationRecord {
  const record = JSON.parse(json) as InvocationRecord;
  return identity === null ? record : { ...record, identity: JSON.parse(identity) as unknown };
}

/** Lua's cjson turns an empty array into `{}`; an empty trace carries nothing anyway. */
function withoutEmptyTrace(json: object): object {
  const error = (json as { error?: { trace?: readonly string[] } }).error;
  if (!error?.trace || error.trace.length > 0) return json;
  const { trace: _trace, ...rest } = error;
  return { ...json, error: rest };
}
