import type { ItemReadStore, ShardRef, SourceStore, StoredItem, WriteCondition } from '../../backend/index.js';
// The constant's own file, not the backend's face: an environment thread loads this module for its
// table reads, and the face would bring every backend's code (36 modules, ~25 ms a cold start) with it.
import { LARGEST_ITEM_BYTES } from '../../backend/sources/item-page-budget.js';
import type { ResolvedSources } from '../../config/index.js';
// The errors' own files, not their face: environment threads load this module (see client/sources-client.ts).
import { ConditionalCheckFailedError } from '../../errors/conditional-check-failed-error.js';
import { InvalidParameterValueError } from '../../errors/invalid-parameter-value-error.js';
import { RequestTooLargeError } from '../../errors/request-too-large-error.js';
import { ResourceNotFoundError } from '../../errors/resource-not-found-error.js';
import { previewValue } from '../../errors/value-preview.js';
import { shardFor } from './shard-hash.js';
import { hasLoneSurrogate } from '../lone-surrogate.js';

/** DynamoDB's limits: 400 KB items, 2048-byte partition keys, 1024-byte sort keys. */
export const TABLE_LIMITS = {
  maxItemBytes: LARGEST_ITEM_BYTES, maxPartitionKeyBytes: 2048, maxSortKeyBytes: 1024, maxQueryLimit: 1000,
  /** BatchGetItem's 100 keys per call. */
  maxBatchGetKeys: 100,
  /** Puts per batchPut call (TransactWriteItems' 100). */
  maxBatchPutItems: 100,
  /** DynamoDB's 32 levels of nested lists and maps in an attribute value. */
  maxNestingDepth: 32,
} as const;

/** Conditions a handler can put on a write, so an at-least-once handler stays idempotent. */
export interface TableWriteCondition {
  /** Write only when no item has this key (DynamoDB `attribute_not_exists(pk)`). */
  ifNotExists?: boolean;
  /** Write only when the item's version is this (0: it must not exist). Versions start at 1 and grow by one per write. */
  expectedVersion?: number;
}

/** A query on one partition. */
export interface TableQuery {
  /** The partition key value. */
  partitionKey: string | number;
  /** Sort keys starting with this. */
  beginsWith?: string;
  /** Sort keys from / to (inclusive). */
  from?: string | number;
  to?: string | number;
  /** @defaultValue 100 */
  limit?: number;
  /** Newest sort key first. @defaultValue false */
  reverse?: boolean;
  /** Where this page starts: the `next` of the previous page of the same query. */
  cursor?: string;
}

/** One page of a query or scan. A page holds at most `limit` items and stops at 1 MB of them (DynamoDB's cap). */
export interface ItemsPage {
  items: VersionedItem[];
  /** Set when more may follow: pass it back as `cursor`. */
  next?: string;
}

/** An item with its version. */
export interface VersionedItem {
  item: Record<string, unknown>;
  version: number;
}

/**
 * The reads of the DynamoDB-like tables: what `Tables` does for get,
 * batchGet, scan and query, on any store that reads items — the host's, or
 * an environment thread's own read-only SQLite connection.
 */
export class TableReader {
  readonly #reads: ItemReadStore;
  readonly #config: ResolvedSources['tables'];

  constructor(reads: ItemReadStore, config: ResolvedSources['tables']) {
    this.#reads = reads;
    this.#config = config;
  }

  names(): string[] {
    return Object.keys(this.#config);
  }

  /** The table's settings; throws ResourceNotFoundError for an unknown name. */
  settings(name: string): ResolvedSources['tables'][string] {
    // Own properties only: the worker's copy of the config is a plain object, and `constructor` is no table.
    const t = Object.hasOwn(this.#config, name) ? this.#config[name] : undefined;
    if (!t) throw new ResourceNotFoundError(`Requested resource not found: Table ${JSON.stringify(name)} not found (known: ${this.names().join(', ') || 'none'})`);
    return t;
  }

  /** Reads one item. */
  async get(name: string, keyAttrs: Record<string, unknown>): Promise<VersionedItem | undefined> {
    const key = this.key(this.settings(name), keyAttrs);
    return this.#reads.getItem(name, key.pk, key.sk);
  }

  /** Several items by key in one call (DynamoDB BatchGetItem, up to 100 keys), in the order asked; `null` for a missing one. */
  async batchGet(name: string, keys: Array<Record<string, unknown>>): Promise<Array<VersionedItem | null>> {
    const t = this.settings(name);
    if (!Array.isArray(keys) || keys.length > TABLE_LIMITS.maxBatchGetKeys) {
      throw new InvalidParameterValueError(`keys must be an array of at most ${TABLE_LIMITS.maxBatchGetKeys} keys (got ${Array.isArray(keys) ? keys.length : previewValue(keys)})`);
    }
    const found = await this.#reads.getItems(name, keys.map((k) => this.key(t, k)));
    return found.map((f) => f ?? null);
  }

  /**
   * One page of every item of a table (DynamoDB Scan): pass the returned
   * `next` back as `cursor` until there is none. A page holds about `limit`
   * items (1–1000, default 1000); the order is the backend's own, as in DynamoDB.
   */
  async scan(name: string, options: { cursor?: string; limit?: number } = {}): Promise<ItemsPage> {
    this.settings(name);
    const limit = options.limit ?? TABLE_LIMITS.maxQueryLimit;
    if (!Number.isInteger(limit) || limit < 1 || limit > TABLE_LIMITS.maxQueryLimit) throw new InvalidParameterValueError(`limit must be an integer from 1 to ${TABLE_LIMITS.maxQueryLimit} (got ${previewValue(options.limit)})`);
    if (options.cursor !== undefined && (typeof options.cursor !== 'string' || (options.cursor !== '' && !this.#reads.isScanCursor(options.cursor)))) {
      throw new InvalidParameterValueError(`cursor must be the "next" of the previous page (got ${previewValue(options.cursor)})`);
    }
    return this.#reads.scanItems(name, options.cursor ?? '', limit);
  }

  /**
   * One page of the items of one partition, by sort key (DynamoDB Query):
   * at most `limit` items (1–1000, default 100), stopping at 1 MB of them;
   * pass `next` back as `cursor` for the rest.
   */
  async query(name: string, q: TableQuery): Promise<ItemsPage> {
    const t = this.settings(name);
    if (!isPlainObject(q)) throw new InvalidParameterValueError(`query must be an object { partitionKey, beginsWith?, from?, to?, limit?, reverse?, cursor? } (got ${previewValue(q)})`);
    const pk = keyText(q.partitionKey, `${t.partitionKey} (partitionKey)`, TABLE_LIMITS.maxPartitionKeyBytes);
    const limit = q.limit ?? 100;
    if (!Number.isInteger(limit) || limit < 1 || limit > TABLE_LIMITS.maxQueryLimit) throw new InvalidParameterValueError(`limit must be an integer from 1 to ${TABLE_LIMITS.maxQueryLimit} (got ${previewValue(q.limit)})`);
    if (q.reverse !== undefined && q.reverse !== null && typeof q.reverse !== 'boolean') throw new InvalidParameterValueError(`reverse must be true or false (got ${previewValue(q.reverse)})`);
    const given = (v: unknown) => v !== undefined && v !== null;
    if ((given(q.beginsWith) || given(q.from) || given(q.to)) && !t.sortKey) {
      throw new InvalidParameterValueError(`table ${name} has no sort key: beginsWith, from and to do not apply`);
    }
    // Checked, not stringified: an object bound would otherwise become "[object Object]" and match nothing (or the wrong items).
    if (given(q.beginsWith) && typeof q.beginsWith !== 'string') throw new InvalidParameterValueError(`beginsWith must be a string (got ${previewValue(q.beginsWith)})`);
    const page = await this.#reads.queryItems({
      table: name, pk, limit, reverse: q.reverse === true,
      ...(given(q.beginsWith) && { skBeginsWith: stringKeyText(refuseLoneSurrogate(q.beginsWith!, 'beginsWith')) }),
      ...(given(q.from) && { skFrom: boundText(q.from, 'from') }),
      ...(given(q.to) && { skTo: boundText(q.to, 'to') }),
      ...(given(q.cursor) && { after: queryCursorKey(q.cursor) }),
    });
    // The cursor is the last sort key as stored, wrapped so that a missing one and an empty one differ.
    return page.next === undefined ? { items: page.items } : { items: page.items, next: JSON.stringify([page.next]) };
  }

  protected key(t: ResolvedSources['tables'][string], attrs: Record<string, unknown>): ItemKey {
    if (typeof attrs !== 'object' || attrs === null || Array.isArray(attrs)) throw new InvalidParameterValueError(`key must be an object holding ${t.partitionKey}`);
    const pkValue = ownValue(attrs, t.partitionKey);
    const pk = keyText(pkValue, t.partitionKey, TABLE_LIMITS.maxPartitionKeyBytes);
    let sk = '';
    let skValue: unknown;
    if (t.sortKey) {
      skValue = ownValue(attrs, t.sortKey);
      sk = keyText(skValue, t.sortKey, TABLE_LIMITS.maxSortKeyBytes);
    }
    return { pk, sk, pkValue, skValue, shard: shardFor(pk, t.shards) };
  }
}

/**
 * DynamoDB-like tables: items by partition (+ sort) key, conditional writes,
 * and a change record per write in DynamoDB Streams' shape, appended in the
 * same atomic step as the write (so a mapping never misses or invents one).
 */
export class Tables extends TableReader {
  readonly #store: SourceStore;
  readonly #notify: (stream: string, shards: number[]) => void;

  constructor(store: SourceStore, config: ResolvedSources['tables'], notify: (stream: string, shards: number[]) => void) {
    super(store, config);
    this.#store = store;
    this.#notify = notify;
  }

  /** The shards of a table's change stream as store refs. */
  shards(name: string): ShardRef[] {
    const t = this.settings(name);
    return Array.from({ length: t.shards }, (_, shard) => ({ stream: `dynamodb:${name}`, shard }));
  }

  /** Drops change records past the table's stream retention (24 hours, as DynamoDB Streams; runs on a timer). */
  async trim(now = Date.now()): Promise<number> {
    let removed = 0;
    for (const name of this.names()) {
      const cutoff = now - this.settings(name).retentionHours * 3_600_000;
      for (const ref of this.shards(name)) removed += await this.#store.trimShard(ref, cutoff);
    }
    return removed;
  }

  /** Writes a whole item (replacing any). Throws ConditionalCheckFailedError when the condition fails. */
  async put(name: string, item: Record<string, unknown>, condition: TableWriteCondition = {}): Promise<{ version: number }> {
    const t = this.settings(name);
    if (!isPlainObject(item)) throw new InvalidParameterValueError(`item must be an object of attributes (got ${previewValue(item)})`);
    const key = this.key(t, item);
    const checked = toCondition(condition);
    checkItem(item);
    const r = await this.#write(name, key, item, checked);
    return { version: r.version };
  }

  /**
   * Sets attributes of an item (a `null` value removes the attribute),
   * creating it when missing unless `expectedVersion` says otherwise.
   * Read-modify-write with the version as the guard: a concurrent writer makes
   * it read again (optimistic), unless the caller pinned a version.
   */
  async update(name: string, keyAttrs: Record<string, unknown>, changes: Record<string, unknown>, condition: TableWriteCondition = {}): Promise<VersionedItem> {
    const t = this.settings(name);
    const key = this.key(t, keyAttrs);
    if (!isPlainObject(changes)) throw new InvalidParameterValueError(`changes must be an object mapping attribute names to values (got ${previewValue(changes)})`);
    refuseKeyAttributes(t, changes, 'changes');
    const guard = toCondition(condition);
    for (let attempt = 0; ; attempt++) {
      const current = await this.#store.getItem(name, key.pk, key.sk);
      if (guard?.ifNotExists && current) throw conditionFailed(name);
      if (guard?.expectedVersion !== undefined && (current?.version ?? 0) !== guard.expectedVersion) throw conditionFailed(name);
      const next: Record<string, unknown> = { ...(current?.item ?? keyItem(t, key)) };
      for (const k of Object.keys(changes)) {
        const v = changes[k];
        if (v === null || v === undefined) delete next[k];
        else setAttribute(next, k, v);
      }
      checkItem(next);
      const result = await this.#store.writeItem({
        table: name, pk: key.pk, sk: key.sk, item: next, condition: { expectedVersion: current?.version ?? 0 }, change: this.#change(name, t, key),
      });
      if (result.ok) {
        this.#notify(`dynamodb:${name}`, [key.shard]);
        return { item: next, version: result.version };
      }
      if (guard?.expectedVersion !== undefined || attempt >= 20) throw conditionFailed(name);
    }
  }

  /** Deletes an item; resolves with the old one (undefined when there was none). */
  async delete(name: string, keyAttrs: Record<string, unknown>, condition: TableWriteCondition = {}): Promise<VersionedItem | undefined> {
    const key = this.key(this.settings(name), keyAttrs);
    const r = await this.#write(name, key, null, toCondition(condition));
    return r.old;
  }

  /**
   * Writes up to 100 items in one call, each under the same condition, each
   * on its own (BatchWriteItem's shape, with TransactWriteItems' conditions
   * per item but not its all-or-nothing): a failed condition is reported for
   * that item and the others are still written.
   */
  async batchPut(name: string, items: Array<Record<string, unknown>>, condition: TableWriteCondition = {}): Promise<Array<{ version: number } | { error: 'ConditionalCheckFailedException' }>> {
    const t = this.settings(name);
    if (!Array.isArray(items) || items.length > TABLE_LIMITS.maxBatchPutItems) {
      throw new InvalidParameterValueError(`items must be an array of at most ${TABLE_LIMITS.maxBatchPutItems} items (got ${Array.isArray(items) ? items.length : previewValue(items)})`);
    }
    // A malformed item refuses the call before anything is written, not after the items before it.
    items.forEach((item, i) => {
      if (!isPlainObject(item)) throw new InvalidParameterValueError(`items[${i}] must be an object of attributes (got ${previewValue(item)})`);
      this.key(t, item);
      checkItem(item);
    });
    const out: Array<{ version: number } | { error: 'ConditionalCheckFailedException' }> = [];
    for (const item of items) {
      try {
        out.push(await this.put(name, item, condition));
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedError)) throw error;
        out.push({ error: 'ConditionalCheckFailedException' });
      }
    }
    return out;
  }

  /**
   * Adds numbers to attributes, atomically (DynamoDB UpdateItem's `ADD`): a
   * missing attribute (or item) counts as 0. The atomic counter an
   * at-most-once id sequence needs, in one call.
   */
  async add(name: string, keyAttrs: Record<string, unknown>, amounts: Record<string, number>): Promise<VersionedItem> {
    const t = this.settings(name);
    const key = this.key(t, keyAttrs);
    if (!isPlainObject(amounts) || Object.values(amounts).some((v) => typeof v !== 'number' || !Number.isFinite(v))) {
      throw new InvalidParameterValueError(`amounts must be an object mapping attribute names to finite numbers (got ${previewValue(amounts)})`);
    }
    refuseKeyAttributes(t, amounts, 'amounts');
    for (let attempt = 0; attempt < 50; attempt++) {
      const current = await this.#store.getItem(name, key.pk, key.sk);
      const next: Record<string, unknown> = { ...(current?.item ?? keyItem(t, key)) };
      for (const k of Object.keys(amounts)) {
        // Own properties only: an attribute named like an Object.prototype member (`__proto__`, `toString`) starts at 0 too.
        const had = Object.hasOwn(next, k) ? next[k] : 0;
        if (typeof had !== 'number') throw new InvalidParameterValueError(`attribute ${k} must hold a number to add to (got ${previewValue(had)})`);
        const sum = had + amounts[k]!;
        // JSON would store Infinity as null: refused, as DynamoDB refuses a number out of its range.
        if (!Number.isFinite(sum)) throw new InvalidParameterValueError(`Number overflow: adding ${amounts[k]} to attribute ${k} (${had}) gives ${sum}; the sum must be a finite number (at most ${Number.MAX_VALUE} in magnitude)`);
        setAttribute(next, k, sum);
      }
      checkItem(next);
      // Optimistic: the version guards the read-modify-write; a concurrent writer makes it read again.
      const result = await this.#store.writeItem({
        table: name, pk: key.pk, sk: key.sk, item: next, condition: { expectedVersion: current?.version ?? 0 }, change: this.#change(name, t, key),
      });
      if (result.ok) {
        this.#notify(`dynamodb:${name}`, [key.shard]);
        return { item: next, version: result.version };
      }
    }
    throw conditionFailed(name);
  }

  async #write(name: string, key: ItemKey, item: Record<string, unknown> | null, condition: WriteCondition | undefined): Promise<{ version: number; old?: StoredItem }> {
    const t = this.settings(name);
    const r = await this.#store.writeItem({ table: name, pk: key.pk, sk: key.sk, item, change: this.#change(name, t, key), ...(condition && { condition }) });
    if (!r.ok) throw conditionFailed(name);
    if (r.sequenceNumber !== undefined) this.#notify(`dynamodb:${name}`, [key.shard]);
    return { version: r.version, ...(r.old && { old: r.old }) };
  }

  #change(name: string, t: ResolvedSources['tables'][string], key: ItemKey) {
    const keys: Record<string, unknown> = { [t.partitionKey]: key.pkValue };
    if (t.sortKey) keys[t.sortKey] = key.skValue;
    return { stream: `dynamodb:${name}`, shard: key.shard, keys };
  }

}

interface ItemKey {
  pk: string;
  sk: string;
  pkValue: unknown;
  skValue: unknown;
  shard: number;
}

function keyText(value: unknown, attr: string, maxBytes: number): string {
  if ((typeof value !== 'string' || value.length === 0) && !(typeof value === 'number' && Number.isFinite(value))) {
    throw new InvalidParameterValueError(`One or more parameter values were invalid: key attribute ${attr} must be a non-empty string or a finite number (got ${typeof value === 'number' ? value : previewValue(value)})`);
  }
  if (typeof value === 'number') return numberKeyText(value);
  refuseLoneSurrogate(value, `key attribute ${attr}`);
  // DynamoDB's limit is on the value; the escape stringKeyText may add is this store's own.
  if (Buffer.byteLength(value) > maxBytes) throw new InvalidParameterValueError(`key attribute ${attr} must be at most ${maxBytes} bytes (got ${Buffer.byteLength(value)})`);
  return stringKeyText(value);
}

/** Marks a stored key as a number, so `1` and `"1"` stay distinct keys (DynamoDB's N and S). */
const NUMBER_KEY = '\u0001';

/**
 * A string key as stored: itself, or, when it starts with NUMBER_KEY, one
 * more NUMBER_KEY in front. A number's text has a hex digit after its
 * NUMBER_KEY and an escaped string has NUMBER_KEY there, while any other
 * string does not start with NUMBER_KEY: no string key can pose as a number
 * (`"\u0001c014000000000000"` is not 5) nor as another string. Strings keep
 * their order (the escaped ones share one prefix, which sorts where their
 * first character did), so sort key ranges and prefixes still hold. Only keys
 * starting with U+0001 are stored differently from before this escape.
 */
function stringKeyText(value: string): string {
  return value.startsWith(NUMBER_KEY) ? NUMBER_KEY + value : value;
}

/**
 * A number as text whose string order is its numeric order (DynamoDB sorts N
 * sort keys numerically): the IEEE 754 bits, sign flipped for positives and
 * all bits flipped for negatives, as 16 hex digits.
 */
export function numberKeyText(value: number): string {
  const bits = new DataView(new ArrayBuffer(8));
  bits.setFloat64(0, value === 0 ? 0 : value); // -0 and 0 are one key
  let high = bits.getUint32(0);
  let low = bits.getUint32(4);
  if (high & 0x8000_0000) {
    high = ~high >>> 0;
    low = ~low >>> 0;
  } else {
    high = (high | 0x8000_0000) >>> 0;
  }
  return NUMBER_KEY + high.toString(16).padStart(8, '0') + low.toString(16).padStart(8, '0');
}

/** A query bound as stored-key text: numbers in their ordered form, strings escaped as keys are. */
function boundText(value: unknown, name: 'from' | 'to'): string {
  if (typeof value === 'number' && Number.isFinite(value)) return numberKeyText(value);
  if (typeof value === 'string') return stringKeyText(refuseLoneSurrogate(value, name));
  throw new InvalidParameterValueError(`${name} must be a string or a finite number, as the sort key is (got ${previewValue(value)})`);
}

/**
 * Keys are stored as UTF-8, where a lone surrogate has no encoding: it
 * would become U+FFFD, so two keys would meet as one and a prefix would
 * match other keys than JavaScript's startsWith does. DynamoDB refuses such
 * strings too.
 */
function refuseLoneSurrogate(value: string, what: string): string {
  if (hasLoneSurrogate(value)) throw new InvalidParameterValueError(`${what} must be well-formed Unicode text: it holds a lone surrogate (got ${previewValue(value)})`);
  return value;
}


/**
 * The stored sort key a query cursor (`JSON.stringify([sk])`) holds. Only its
 * shape is checked: a key outside the query's bounds just ends the page early.
 */
function queryCursorKey(cursor: unknown): string {
  let parsed: unknown;
  try {
    parsed = typeof cursor === 'string' && cursor.length <= QUERY_CURSOR_CHARS ? JSON.parse(cursor) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!Array.isArray(parsed) || parsed.length !== 1 || typeof parsed[0] !== 'string' || hasLoneSurrogate(parsed[0])) {
    throw new InvalidParameterValueError(`cursor must be the "next" of the previous page of this query (got ${previewValue(cursor)})`);
  }
  return parsed[0];
}

/** Longest query cursor: a sort key of maxSortKeyBytes, its escape, all of it \u-escaped in JSON. */
const QUERY_CURSOR_CHARS = 6 * (TABLE_LIMITS.maxSortKeyBytes + 2) + 4;

/**
 * Checks an item before it is serialised: lists and maps nested at most 32
 * levels (DynamoDB's limit; deeper JSON would overflow the stack in
 * JSON.stringify), finite numbers only (JSON would store Infinity and NaN as
 * null), no values JSON cannot hold, and at most 400 KB. Recursive, as the
 * depth it may reach is capped at 32; it stops after as many values as the
 * size limit has bytes, so a shared or cyclic structure cannot make it run long.
 */
function checkItem(item: Record<string, unknown>): void {
  const budget = { values: TABLE_LIMITS.maxItemBytes };
  for (const attr of Object.keys(item)) checkValue(item[attr], 0, attr, budget);
  const size = Buffer.byteLength(JSON.stringify(item));
  if (size > TABLE_LIMITS.maxItemBytes) throw tooLarge(`${size} bytes`);
}

/** One value of attribute `attr` at `depth` (see checkItem); `budget.values` counts down the values seen. */
function checkValue(value: unknown, depth: number, attr: string, budget: { values: number }): void {
  if (--budget.values < 0) throw tooLarge(`more than ${TABLE_LIMITS.maxItemBytes} values`);
  switch (typeof value) {
    case 'number':
      if (!Number.isFinite(value)) throw new InvalidParameterValueError(`attribute ${attr} must hold finite numbers only (got ${value}, which JSON would store as null)`);
      return;
    case 'bigint':
    case 'symbol':
    case 'function':
      throw new InvalidParameterValueError(`attribute ${attr} must hold JSON values only (got a ${typeof value})`);
    case 'object': {
      if (value === null) return;
      if (depth >= TABLE_LIMITS.maxNestingDepth) {
        throw new InvalidParameterValueError(`Nesting Levels have exceeded supported limits: attribute ${attr} nests lists and maps more than ${TABLE_LIMITS.maxNestingDepth} levels deep`);
      }
      if (Array.isArray(value)) {
        for (const v of value) checkValue(v, depth + 1, attr, budget);
      } else {
        const map = value as Record<string, unknown>;
        for (const k of Object.keys(map)) checkValue(map[k], depth + 1, attr, budget);
      }
      return;
    }
    default:
  }
}

function tooLarge(got: string): RequestTooLargeError {
  return new RequestTooLargeError(`Item size has exceeded the maximum allowed size of ${TABLE_LIMITS.maxItemBytes} bytes (got ${got})`);
}

function toCondition(c: TableWriteCondition): WriteCondition | undefined {
  if (typeof c !== 'object' || c === null || Array.isArray(c)) throw new InvalidParameterValueError(`condition must be an object { ifNotExists?, expectedVersion? } (got ${previewValue(c)})`);
  if (c.ifNotExists !== undefined && typeof c.ifNotExists !== 'boolean') {
    // A string "false" would otherwise count as true.
    throw new InvalidParameterValueError(`ifNotExists must be true or false (got ${previewValue(c.ifNotExists)})`);
  }
  if (c.expectedVersion !== undefined && (!Number.isInteger(c.expectedVersion) || c.expectedVersion < 0)) {
    throw new InvalidParameterValueError(`expectedVersion must be a non-negative integer (got ${previewValue(c.expectedVersion)})`);
  }
  if (!c.ifNotExists && c.expectedVersion === undefined) return undefined;
  return { ...(c.ifNotExists && { ifNotExists: true }), ...(c.expectedVersion !== undefined && { expectedVersion: c.expectedVersion }) };
}

/** A JSON object's own attributes: not an array, a Map or a class instance, whose keys would become attributes "0", "1", ... or none. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** An attribute of the caller's object, never one inherited from Object.prototype (a key named `constructor`). */
function ownValue(attrs: Record<string, unknown>, name: string): unknown {
  return Object.hasOwn(attrs, name) ? attrs[name] : undefined;
}

/** Sets an attribute as an own property: `next.__proto__ = v` would set the prototype and the attribute would vanish. */
function setAttribute(item: Record<string, unknown>, name: string, value: unknown): void {
  Object.defineProperty(item, name, { value, enumerable: true, writable: true, configurable: true });
}

/** The key attributes alone: what an update or add of a missing item starts from (not the rest of the caller's key object). */
function keyItem(t: ResolvedSources['tables'][string], key: ItemKey): Record<string, unknown> {
  const item: Record<string, unknown> = {};
  setAttribute(item, t.partitionKey, key.pkValue);
  if (t.sortKey) setAttribute(item, t.sortKey, key.skValue);
  return item;
}

/** DynamoDB: "Cannot update attribute ... This attribute is part of the key". */
function refuseKeyAttributes(t: ResolvedSources['tables'][string], attrs: Record<string, unknown>, what: string): void {
  for (const attr of [t.partitionKey, t.sortKey]) {
    if (attr !== undefined && Object.hasOwn(attrs, attr)) throw new InvalidParameterValueError(`${what} must not set the key attribute ${attr}`);
  }
}

function conditionFailed(table: string): ConditionalCheckFailedError {
  return new ConditionalCheckFailedError(`The conditional request failed (table ${table})`);
}
