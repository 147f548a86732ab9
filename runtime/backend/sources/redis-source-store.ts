import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { ioredis } from '../redis/redis-packages.js';
import { ITEM_PAGE_BYTES, LARGEST_ITEM_BYTES } from './item-page-budget.js';
import { lexRange } from './redis-lex-range.js';
import { sequenceStreamId, streamIdSequence } from './sequence-number.js';
import type {
  CheckpointRef, ItemPage, ItemQuery, ItemWrite, ItemWriteResult, NotificationsOf, ObjectMeta, PendingNotification, ShardRecord, ShardRecordInput, ShardRef,
  SourceStore, StoredItem,
} from './source-store.js';

/**
 * One query page: the partition's sort keys in range, then their items and
 * versions until `limit` or until they hold 1 MB, all in Redis, so no item
 * past the cap leaves it. Lua's `#` is a string's length in bytes.
 *
 * KEYS: items hash, versions hash, sort-key zset
 * ARGV: min, max, reverse ('1'/'0'), limit, cap bytes, field prefix (a field is the prefix and the sort key)
 * Returns { bodies and versions, interleaved; the sort key the page stopped at, when it did }.
 */
const QUERY_PAGE = `
local sks
if ARGV[3] == '1' then
  sks = redis.call('ZREVRANGEBYLEX', KEYS[3], ARGV[2], ARGV[1], 'LIMIT', 0, ARGV[4])
else
  sks = redis.call('ZRANGEBYLEX', KEYS[3], ARGV[1], ARGV[2], 'LIMIT', 0, ARGV[4])
end
local cap = tonumber(ARGV[5])
local out = {}
local bytes = 0
for _, sk in ipairs(sks) do
  local field = ARGV[6] .. sk
  local body = redis.call('HGET', KEYS[1], field)
  if body then
    out[#out + 1] = body
    out[#out + 1] = redis.call('HGET', KEYS[2], field) or '1'
    bytes = bytes + #body
    if bytes >= cap then return {out, sk} end
  end
end
if #sks == tonumber(ARGV[4]) then return {out, sks[#sks]} end
return {out}
`;

/**
 * One scan page: HSCAN in steps, each sized so that items as large as the
 * largest seen on the page so far (the largest allowed, before any) do not
 * take it past 1 MB, and at most 32. HSCAN cannot resume inside a reply, so
 * a step's items all go on the page: only items larger than those before
 * them (at most 32 of them), bucket chains (COUNT is a hint) and a hash Redis
 * stores compactly (which comes whole) take a page past the cap.
 *
 * KEYS: items hash, versions hash
 * ARGV: cursor, limit, cap bytes, largest item bytes allowed
 * Returns { the cursor to go on from ('0': done), bodies and versions interleaved }.
 */
const SCAN_PAGE = `
local cursor = ARGV[1]
local limit = tonumber(ARGV[2])
local cap = tonumber(ARGV[3])
local largest = tonumber(ARGV[4])
local seen = 0
local out = {}
local n = 0
local bytes = 0
repeat
  local size = largest
  if seen > 0 then size = seen end
  local count = math.max(1, math.min(limit - n, 32, math.floor((cap - bytes) / size)))
  local reply = redis.call('HSCAN', KEYS[1], cursor, 'COUNT', count)
  cursor = reply[1]
  local flat = reply[2]
  if #flat > 0 then
    local fields = {}
    for i = 1, #flat, 2 do fields[#fields + 1] = flat[i] end
    local versions = redis.call('HMGET', KEYS[2], unpack(fields))
    for i = 1, #flat, 2 do
      local body = flat[i + 1]
      out[#out + 1] = body
      out[#out + 1] = versions[(i + 1) / 2] or '1'
      n = n + 1
      bytes = bytes + #body
      if #body > seen then seen = #body end
    end
  end
until cursor == '0' or n >= limit or bytes >= cap
return {cursor, out}
`;

/**
 * Checks the condition, writes or deletes the item, keeps the sort-key index,
 * and XADDs the change record: one script, so a condition and the write it
 * guards cannot interleave with another host's write. The change record's
 * JSON is concatenated from JSON texts (old item, new item, keys) so the
 * script never decodes an item.
 *
 * KEYS: items hash, versions hash, sort-key zset, change stream (or any key)
 * ARGV: field, sk, new item JSON ('' = delete), ifNotExists, ifExists,
 *       expectedVersion ('' = none), change ('1'/'0'), partition key, keys JSON
 */
const WRITE_ITEM = `
local old = redis.call('HGET', KEYS[1], ARGV[1])
local ver = 0
if old then ver = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0') else old = nil end
if ARGV[4] == '1' and old then return {0, old, ver} end
if ARGV[5] == '1' and not old then return {0, '', 0} end
if ARGV[6] ~= '' and tonumber(ARGV[6]) ~= ver then return {0, old or '', ver} end
local newver = 0
local ev
if ARGV[3] == '' then
  if not old then return {1, '', 0, 0, ''} end
  redis.call('HDEL', KEYS[1], ARGV[1])
  redis.call('HDEL', KEYS[2], ARGV[1])
  redis.call('ZREM', KEYS[3], ARGV[2])
  ev = 'REMOVE'
else
  newver = ver + 1
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
  redis.call('HSET', KEYS[2], ARGV[1], newver)
  redis.call('ZADD', KEYS[3], 0, ARGV[2])
  if old then ev = 'MODIFY' else ev = 'INSERT' end
end
local id = ''
-- A write that leaves the item as it was is no change (DynamoDB Streams records none).
if ARGV[7] == '1' and not (old and old == ARGV[3]) then
  local data = '{"eventName":"' .. ev .. '","keys":' .. ARGV[9] .. ',"oldImage":' .. (old or 'null') .. ',"newImage":' .. (ARGV[3] ~= '' and ARGV[3] or 'null') .. '}'
  id = redis.call('XADD', KEYS[4], '*', 'pk', ARGV[8], 'd', data)
end
return {1, old or '', ver, newver, id}
`;

/** Takes the lease when free or already ours, renewing it. */
const TAKE_LEASE = `
local cur = redis.call('GET', KEYS[1])
if cur and cur ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
`;
const RELEASE_LEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
`;

/**
 * Deletes an object and, when it existed, stores its notifications: one
 * script, so a delete that found nothing stores none.
 *
 * KEYS: metadata hash, body key, outbox hash, outbox zset
 * ARGV: object key, then (id, notification JSON, epoch ms) per notification
 */
const DELETE_OBJECT = `
if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('DEL', KEYS[2])
for i = 2, #ARGV, 3 do
  redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 1])
  redis.call('ZADD', KEYS[4], ARGV[i + 2], ARGV[i])
end
return 1
`;

/** Options of {@link RedisSourceStore}. */
export interface RedisSourceStoreOptions {
  /** @defaultValue 'redis://127.0.0.1:6379' */
  readonly redisUrl?: string;
  /** Namespace of every key. @defaultValue 'neolith' */
  readonly prefix?: string;
  /** @defaultValue 5000 */
  readonly commandTimeoutMs?: number;
}

type StreamEntry = [id: string, fields: string[]];

/**
 * Event-source state in Redis. Each shard is a Redis Stream (XADD appends,
 * XRANGE reads after a checkpoint, XTRIM MINID applies retention); each
 * mapping lane's checkpoint is a consumer group on its shard's stream, whose
 * `last-delivered-id` is moved with XGROUP SETID only after a batch is done —
 * so the checkpoint survives hosts and any host sharing the prefix resumes
 * from it. Items live in a hash per table with a sort-key zset per partition.
 */
export class RedisSourceStore implements SourceStore {
  readonly kind = 'redis' as const;
  readonly #client: Redis;
  readonly #p: string;
  readonly #url: string;
  readonly #timeoutMs: number;
  #closed: Promise<void> | undefined;

  constructor(options: RedisSourceStoreOptions = {}) {
    this.#url = options.redisUrl ?? 'redis://127.0.0.1:6379';
    this.#p = `${options.prefix ?? 'neolith'}:src`;
    this.#timeoutMs = options.commandTimeoutMs ?? 5000;
    this.#client = new (ioredis().Redis)(this.#url, {
      maxRetriesPerRequest: 1, commandTimeout: this.#timeoutMs, connectTimeout: this.#timeoutMs, lazyConnect: false,
    });
    this.#client.on('error', () => {}); // surfaced by the commands that fail
    this.#client.defineCommand('writeItem', { numberOfKeys: 4, lua: WRITE_ITEM });
    this.#client.defineCommand('takeLease', { numberOfKeys: 1, lua: TAKE_LEASE });
    this.#client.defineCommand('releaseLease', { numberOfKeys: 1, lua: RELEASE_LEASE });
    this.#client.defineCommand('deleteObject', { numberOfKeys: 4, lua: DELETE_OBJECT });
    this.#client.defineCommand('queryPage', { numberOfKeys: 3, lua: QUERY_PAGE });
    this.#client.defineCommand('scanPage', { numberOfKeys: 2, lua: SCAN_PAGE });
  }

  async waitUntilReady(): Promise<void> {
    await this.#client.ping();
  }

  #shardKey(ref: ShardRef): string {
    return `${this.#p}:s:${ref.stream}:${ref.shard}`;
  }

  // -- streams ---------------------------------------------------------------

  async appendRecords(stream: string, records: readonly ShardRecordInput[]): Promise<string[]> {
    const multi = this.#client.multi();
    for (const r of records) multi.xadd(this.#shardKey({ stream, shard: r.shard }), '*', 'pk', r.partitionKey, 'd', r.data);
    const results = (await multi.exec()) ?? [];
    return results.map(([error, id]) => {
      if (error) throw error;
      return streamIdSequence(id as string);
    });
  }

  async readShard(ref: ShardRef, after: string, limit: number): Promise<ShardRecord[]> {
    const start = after === '' ? '-' : `(${sequenceStreamId(after)}`;
    const entries = (await this.#client.xrange(this.#shardKey(ref), start, '+', 'COUNT', limit)) as StreamEntry[];
    return entries.map(([id, fields]) => toRecord(ref.shard, id, fields));
  }

  async lastSequence(ref: ShardRef): Promise<string> {
    const [entry] = (await this.#client.xrevrange(this.#shardKey(ref), '+', '-', 'COUNT', 1)) as StreamEntry[];
    return entry ? streamIdSequence(entry[0]) : '';
  }

  async sequenceBefore(ref: ShardRef, timestamp: number): Promise<string> {
    const [entry] = (await this.#client.xrevrange(this.#shardKey(ref), `(${timestamp}-0`, '-', 'COUNT', 1)) as StreamEntry[];
    return entry ? streamIdSequence(entry[0]) : '';
  }

  async trimShard(ref: ShardRef, before: number): Promise<number> {
    return this.#client.xtrim(this.#shardKey(ref), 'MINID', `${before}-0`);
  }

  // -- tables ----------------------------------------------------------------

  #itemKeys(table: string, pk: string): [string, string, string] {
    return [`${this.#p}:t:${table}:items`, `${this.#p}:t:${table}:versions`, `${this.#p}:t:${table}:sk:${pk}`];
  }

  async getItem(table: string, pk: string, sk: string): Promise<StoredItem | undefined> {
    const [items, versions] = this.#itemKeys(table, pk);
    const field = itemField(pk, sk);
    const [[, item], [, version]] = (await this.#client.multi().hget(items, field).hget(versions, field).exec()) as Array<[unknown, string | null]>;
    return item ? { item: JSON.parse(item) as Record<string, unknown>, version: Number(version ?? 1) } : undefined;
  }

  async writeItem(w: ItemWrite): Promise<ItemWriteResult> {
    const keys = this.#itemKeys(w.table, w.pk);
    const stream = w.change ? this.#shardKey(w.change) : keys[0];
    const c = w.condition ?? {};
    const out = (await (this.#client as unknown as { writeItem: (...args: unknown[]) => Promise<unknown[]> }).writeItem(
      ...keys, stream, itemField(w.pk, w.sk), w.sk, w.item === null ? '' : JSON.stringify(w.item),
      c.ifNotExists ? '1' : '0', c.ifExists ? '1' : '0', c.expectedVersion === undefined ? '' : String(c.expectedVersion),
      w.change ? '1' : '0', w.pk, JSON.stringify(w.change?.keys ?? {}),
    )) as [number, string, number, number?, string?];
    const [ok, oldText, oldVersion, version = 0, id = ''] = out;
    const old = oldText ? { item: JSON.parse(oldText) as Record<string, unknown>, version: Number(oldVersion) } : undefined;
    if (ok !== 1) return { ok: false, ...(old && { current: old }) };
    return { ok: true, version: Number(version), ...(old && { old }), ...(id && { sequenceNumber: streamIdSequence(id) }) };
  }

  async queryItems(q: ItemQuery): Promise<ItemPage> {
    const [items, versions, index] = this.#itemKeys(q.table, q.pk);
    const { min, max } = lexRange(q);
    const [flat, stoppedAt] = (await (this.#client as unknown as { queryPage: (...args: unknown[]) => Promise<[string[], string?]> }).queryPage(
      items, versions, index, min, max, q.reverse ? '1' : '0', q.limit ?? 100, ITEM_PAGE_BYTES, itemField(q.pk, ''),
    ));
    const page = { items: storedItems(flat) };
    return stoppedAt === undefined ? page : { ...page, next: stoppedAt };
  }

  async getItems(table: string, keys: ReadonlyArray<{ pk: string; sk: string }>): Promise<Array<StoredItem | undefined>> {
    if (keys.length === 0) return [];
    const [items, versions] = this.#itemKeys(table, '');
    const fields = keys.map(({ pk, sk }) => itemField(pk, sk));
    // MULTI: bodies and versions of one moment.
    const [[, bodies], [, vers]] = (await this.#client.multi().hmget(items, ...fields).hmget(versions, ...fields).exec()) as Array<[unknown, Array<string | null>]>;
    return bodies.map((body, i) => (body ? { item: JSON.parse(body) as Record<string, unknown>, version: Number(vers[i] ?? 1) } : undefined));
  }

  isScanCursor(cursor: string): boolean {
    // HSCAN's cursor: an unsigned 64-bit number.
    return /^\d{1,20}$/.test(cursor);
  }

  async scanItems(table: string, cursor: string, limit: number): Promise<ItemPage> {
    const [items, versions] = this.#itemKeys(table, '');
    // HSCAN's cursor is the page cursor; COUNT is a hint, as Scan's page size is in DynamoDB.
    const [next, flat] = (await (this.#client as unknown as { scanPage: (...args: unknown[]) => Promise<[string, string[]]> }).scanPage(
      items, versions, cursor === '' ? '0' : cursor, limit, ITEM_PAGE_BYTES, LARGEST_ITEM_BYTES,
    ));
    const page = { items: storedItems(flat) };
    return next === '0' ? page : { ...page, next };
  }

  // -- checkpoints: consumer groups --------------------------------------------

  async getCheckpoint(ref: CheckpointRef): Promise<string | undefined> {
    let groups: unknown[];
    try {
      groups = (await this.#client.xinfo('GROUPS', this.#shardKey(ref))) as unknown[];
    } catch (error) {
      if (/no such key/i.test((error as Error).message)) return undefined;
      throw error;
    }
    const name = groupName(ref);
    for (const group of groups as string[][]) {
      const fields = new Map<string, string>();
      for (let i = 0; i < group.length; i += 2) fields.set(String(group[i]), String(group[i + 1]));
      if (fields.get('name') === name) {
        const id = fields.get('last-delivered-id') ?? '0-0';
        return id === '0-0' ? '' : streamIdSequence(id);
      }
    }
    return undefined;
  }

  async setCheckpoint(ref: CheckpointRef, sequenceNumber: string): Promise<void> {
    const key = this.#shardKey(ref);
    const id = sequenceStreamId(sequenceNumber);
    try {
      await this.#client.xgroup('SETID', key, groupName(ref), id);
    } catch (error) {
      if (!/NOGROUP|no such key|requires the key to exist/i.test((error as Error).message)) throw error;
      await this.#client.xgroup('CREATE', key, groupName(ref), id, 'MKSTREAM');
    }
  }

  async deleteCheckpoints(mappingId: string, shards: readonly ShardRef[]): Promise<void> {
    for (const ref of shards) {
      let groups: string[][];
      try {
        groups = (await this.#client.xinfo('GROUPS', this.#shardKey(ref))) as string[][];
      } catch {
        continue;
      }
      for (const group of groups) {
        const name = String(group[group.indexOf('name') + 1]);
        if (name.startsWith(`${mappingId}/`)) await this.#client.xgroup('DESTROY', this.#shardKey(ref), name);
      }
    }
  }

  // -- mappings, leases ----------------------------------------------------------

  async putMapping(id: string, definition: string): Promise<void> {
    await this.#client.hset(`${this.#p}:mappings`, id, definition);
  }

  async listMappings(): Promise<Array<{ id: string; definition: string }>> {
    const all = await this.#client.hgetall(`${this.#p}:mappings`);
    return Object.entries(all).sort(([a], [b]) => a.localeCompare(b)).map(([id, definition]) => ({ id, definition }));
  }

  async deleteMapping(id: string): Promise<boolean> {
    return (await this.#client.hdel(`${this.#p}:mappings`, id)) > 0;
  }

  async tryLease(key: string, owner: string, ttlMs: number): Promise<boolean> {
    const taken = await (this.#client as unknown as { takeLease: (...a: unknown[]) => Promise<number> }).takeLease(`${this.#p}:lease:${key}`, owner, ttlMs);
    return taken === 1;
  }

  async releaseLease(key: string, owner: string): Promise<void> {
    if (this.#closed) return;
    await (this.#client as unknown as { releaseLease: (...a: unknown[]) => Promise<number> }).releaseLease(`${this.#p}:lease:${key}`, owner);
  }

  // -- objects -------------------------------------------------------------------

  async putObject(bucket: string, key: string, body: Buffer, contentType: string, notify?: NotificationsOf): Promise<ObjectMeta> {
    const meta: ObjectMeta = { key, size: body.length, eTag: createHash('md5').update(body).digest('hex'), contentType, lastModified: Date.now() };
    const write = this.#client.multi().set(this.#bodyKey(bucket, key), body).hset(`${this.#p}:o:${bucket}`, key, JSON.stringify(meta));
    for (const n of notify?.(meta) ?? []) {
      write.hset(this.#outboxKey, n.id, outboxEntry(n)).zadd(this.#outboxTimesKey, n.createdAt, n.id);
    }
    execAll(await write.exec(), 'putObject');
    return meta;
  }

  async getObject(bucket: string, key: string): Promise<{ meta: ObjectMeta; body: Buffer } | undefined> {
    // One MULTI: the metadata (its ETag) and the body of the same moment, even with a put in between.
    const replies = await this.#client.multi().hget(`${this.#p}:o:${bucket}`, key).getBuffer(this.#bodyKey(bucket, key)).exec();
    execAll(replies, 'getObject');
    const text = replies[0]![1] as string | null;
    const body = replies[1]![1] as Buffer | null;
    return text && body ? { meta: JSON.parse(text) as ObjectMeta, body } : undefined;
  }

  async headObject(bucket: string, key: string): Promise<ObjectMeta | undefined> {
    const text = await this.#client.hget(`${this.#p}:o:${bucket}`, key);
    return text ? (JSON.parse(text) as ObjectMeta) : undefined;
  }

  async deleteObject(bucket: string, key: string, notify?: NotificationsOf): Promise<ObjectMeta | undefined> {
    const meta = await this.headObject(bucket, key);
    if (!meta) return undefined;
    const notifications = (notify?.(meta) ?? []).flatMap((n) => [n.id, outboxEntry(n), n.createdAt]);
    const removed = await (this.#client as Redis & ScriptedObjects).deleteObject(
      `${this.#p}:o:${bucket}`, this.#bodyKey(bucket, key), this.#outboxKey, this.#outboxTimesKey, key, ...notifications,
    );
    return removed === 1 ? meta : undefined;
  }

  async listObjects(bucket: string, prefix: string, limit: number, startAfter = ''): Promise<ObjectMeta[]> {
    const all = await this.#client.hgetall(`${this.#p}:o:${bucket}`);
    return Object.entries(all)
      .filter(([key]) => key.startsWith(prefix) && key > startAfter)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .slice(0, limit)
      .map(([, text]) => JSON.parse(text) as ObjectMeta);
  }

  // -- the notification outbox -------------------------------------------------

  async pendingNotifications(before: number, limit: number): Promise<PendingNotification[]> {
    const ids = await this.#client.zrangebyscore(this.#outboxTimesKey, '-inf', `(${before}`, 'LIMIT', 0, limit);
    if (ids.length === 0) return [];
    const entries = await this.#client.hmget(this.#outboxKey, ...ids);
    return ids.flatMap((id, i) => {
      const text = entries[i];
      if (!text) return []; // forgotten by another host in between
      const { functionName, payload, createdAt } = JSON.parse(text) as Omit<PendingNotification, 'id'>;
      return [{ id, functionName, payload, createdAt }];
    });
  }

  async forgetNotifications(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    execAll(await this.#client.multi().hdel(this.#outboxKey, ...ids).zrem(this.#outboxTimesKey, ...ids).exec(), 'forgetNotifications');
  }

  close(): Promise<void> {
    this.#closed ??= this.#client.quit().then(() => undefined, () => this.#client.disconnect());
    return this.#closed;
  }

  get #outboxKey(): string {
    return `${this.#p}:ox`;
  }

  /** The outbox's ids by the time of their change, so the oldest are found first. */
  get #outboxTimesKey(): string {
    return `${this.#p}:oxt`;
  }

  #bodyKey(bucket: string, key: string): string {
    return `${this.#p}:ob:${bucket}:${key}`;
  }
}

/** Items from a page script's reply: body, version, body, version… */
function storedItems(flat: readonly string[]): StoredItem[] {
  const out: StoredItem[] = [];
  for (let i = 0; i < flat.length; i += 2) out.push({ item: JSON.parse(flat[i]!) as Record<string, unknown>, version: Number(flat[i + 1]) });
  return out;
}

/**
 * An item's field in its table's hash. `pk NUL sk` when the partition key
 * holds no NUL (every field stored so far); otherwise `NUL length NUL pk sk`,
 * which no plain field can be, as partition keys are never empty. So
 * `("a\0b", "c")` and `("a", "b\0c")` are different items. Fields are never
 * parsed back: items carry their keys.
 */
function itemField(pk: string, sk: string): string {
  return pk.includes('\u0000') ? `\u0000${pk.length}\u0000${pk}${sk}` : `${pk}\u0000${sk}`;
}

function groupName(ref: CheckpointRef): string {
  return `${ref.mappingId}/${ref.lane}`;
}

function toRecord(shard: number, id: string, fields: string[]): ShardRecord {
  let pk = '';
  let data = '';
  for (let i = 0; i < fields.length; i += 2) {
    if (fields[i] === 'pk') pk = fields[i + 1]!;
    else if (fields[i] === 'd') data = fields[i + 1]!;
  }
  return { shard, sequenceNumber: streamIdSequence(id), partitionKey: pk, data, arrivedAt: Number(id.split('-')[0]) };
}

interface ScriptedObjects {
  deleteObject(...args: (string | number)[]): Promise<number>;
}

function outboxEntry(n: PendingNotification): string {
  return JSON.stringify({ functionName: n.functionName, payload: n.payload, createdAt: n.createdAt });
}

/** A MULTI's replies: throws the first command's error (ioredis resolves with them). */
function execAll(replies: Array<[Error | null, unknown]> | null, what: string): asserts replies {
  if (!replies) throw new Error(`${what} transaction was aborted`);
  for (const [error] of replies) if (error) throw error;
}
