/**
 * The durable state of event sources: stream shards, table items (with their
 * change records), mapping checkpoints and definitions, shard leases, and
 * bucket objects. Both implementations (`sqlite`, `redis`) satisfy it and pass
 * one conformance suite (`test/conformance/sources.conformance.test.ts`);
 * nothing here names a driver type.
 *
 * Sequence numbers are decimal strings of one fixed width, so comparing two of
 * the same shard as strings orders them; `''` means "before the first record".
 */

// ---------------------------------------------------------------------------
// Streams
// ---------------------------------------------------------------------------

/** One record to append to a shard. */
export interface ShardRecordInput {
  readonly shard: number;
  readonly partitionKey: string;
  /** The record's data as stored (base64 for stream records, JSON text for table changes). */
  readonly data: string;
}

/** One stored record of a shard. */
export interface ShardRecord {
  readonly shard: number;
  readonly sequenceNumber: string;
  readonly partitionKey: string;
  readonly data: string;
  /** Epoch ms when the record became durable (Kinesis' ApproximateArrivalTimestamp). */
  readonly arrivedAt: number;
}

/** A shard address: a stream id (`kinesis:<name>` or `dynamodb:<table>`) and the shard's index. */
export interface ShardRef {
  readonly stream: string;
  readonly shard: number;
}

// ---------------------------------------------------------------------------
// Tables
// ---------------------------------------------------------------------------

/** An item as stored, with its version (1 after the first write, +1 per write). */
export interface StoredItem {
  readonly item: Record<string, unknown>;
  readonly version: number;
}

/** Conditions of a write; all given ones must hold. */
export interface WriteCondition {
  /** The item must not exist. */
  readonly ifNotExists?: boolean;
  /** The item must exist. */
  readonly ifExists?: boolean;
  /** The item's current version must be this (0: must not exist). */
  readonly expectedVersion?: number;
}

/** One atomic item write: the item (or its removal), the condition, and where its change record goes. */
export interface ItemWrite {
  readonly table: string;
  readonly pk: string;
  readonly sk: string;
  /** The new item, or `null` to delete. */
  readonly item: Record<string, unknown> | null;
  readonly condition?: WriteCondition;
  /** Shard of the table's change stream receiving the change record; none: no record. */
  readonly change?: ShardRef & { readonly keys: Record<string, unknown> };
}

/** What a write did. A failed condition changes nothing and reports the current item. */
export type ItemWriteResult =
  | { readonly ok: true; readonly old?: StoredItem; readonly version: number; readonly sequenceNumber?: string }
  | { readonly ok: false; readonly current?: StoredItem };

/** The change record data a table write appends (JSON text of this shape). */
export interface ItemChange {
  readonly eventName: 'INSERT' | 'MODIFY' | 'REMOVE';
  readonly keys: Record<string, unknown>;
  readonly oldImage: Record<string, unknown> | null;
  readonly newImage: Record<string, unknown> | null;
}

/** Sort-key range of a query; keys compare as strings. */
export interface ItemQuery {
  readonly table: string;
  readonly pk: string;
  readonly skBeginsWith?: string;
  /** Inclusive bounds. */
  readonly skFrom?: string;
  readonly skTo?: string;
  /** @defaultValue 100 */
  readonly limit?: number;
  /** Descending sort key. @defaultValue false */
  readonly reverse?: boolean;
  /** Start after this sort key, in the query's order: the `next` of the previous page. */
  readonly after?: string;
}

/**
 * One page of a Query or Scan. It ends at `limit` items or once it holds
 * 1 MB of them (`ITEM_PAGE_BYTES`, DynamoDB's cap); `next` is set when it
 * ended so, and is where the next page starts.
 */
export interface ItemPage {
  readonly items: StoredItem[];
  readonly next?: string;
}

// ---------------------------------------------------------------------------
// Checkpoints, mappings, leases
// ---------------------------------------------------------------------------

/** Where one poller of one mapping reads: a shard and, with ParallelizationFactor > 1, a lane of it. */
export interface CheckpointRef extends ShardRef {
  readonly mappingId: string;
  readonly lane: number;
}

// ---------------------------------------------------------------------------
// Objects
// ---------------------------------------------------------------------------

/** An object's metadata. */
export interface ObjectMeta {
  readonly key: string;
  readonly size: number;
  /** MD5 of the body, hex (S3's ETag without quotes). */
  readonly eTag: string;
  readonly contentType: string;
  readonly lastModified: number;
}

/**
 * A notification an object change causes, stored with the change in one
 * write and kept until it is queued (an outbox): a crash between the two
 * cannot lose it. Its id is the event's request id, so queueing it twice is
 * refused as a duplicate rather than run twice.
 */
export interface PendingNotification {
  readonly id: string;
  readonly functionName: string;
  /** The event, as JSON text. */
  readonly payload: string;
  /** Epoch ms of the change. */
  readonly createdAt: number;
}

/** Builds an object change's notifications from the object's metadata (the new one on put, the old one on delete). */
export type NotificationsOf = (meta: ObjectMeta) => readonly PendingNotification[];

// ---------------------------------------------------------------------------
// The store
// ---------------------------------------------------------------------------

/**
 * The table reads of a store: all a `TableReader` needs, so an environment
 * thread can read the SQLite tables itself (see `SqliteItemReader`).
 */
export interface ItemReadStore {
  getItem(table: string, pk: string, sk: string): Promise<StoredItem | undefined>;
  /** One page of one partition by sort key; `next` is the last sort key on it (pass it back as `after`). */
  queryItems(query: ItemQuery): Promise<ItemPage>;
  /** Several items at once (DynamoDB BatchGetItem), in the order asked; `undefined` for a missing one. */
  getItems(table: string, keys: ReadonlyArray<{ pk: string; sk: string }>): Promise<Array<StoredItem | undefined>>;
  /**
   * One page of every item of a table (DynamoDB Scan). `cursor` is `''` for
   * the first page, else the `next` of the previous one; no `next` means
   * done. A page holds at most `limit` items and stops once it holds 1 MB
   * of them; order is the store's own. (Redis cannot stop inside one HSCAN
   * reply: its pages may pass both a little, and a small hash comes whole.)
   */
  scanItems(table: string, cursor: string, limit: number): Promise<ItemPage>;
  /** Whether `cursor` has the shape of a `next` this store returns (a caller's bad cursor is its error, not the store's). */
  isScanCursor(cursor: string): boolean;
}

/** Durable state of streams, tables, checkpoints, mappings and buckets. */
export interface SourceStore extends ItemReadStore {
  readonly kind: 'sqlite' | 'redis';
  /** Resolves once the store answers. */
  waitUntilReady(): Promise<void>;

  // -- streams -------------------------------------------------------------
  /** Appends records (in order) and resolves with their sequence numbers once durable. */
  appendRecords(stream: string, records: readonly ShardRecordInput[]): Promise<string[]>;
  /** Up to `limit` records of the shard after `after` (exclusive; `''` from the start), oldest first. */
  readShard(ref: ShardRef, after: string, limit: number): Promise<ShardRecord[]>;
  /** The shard's newest sequence number, `''` when empty. */
  lastSequence(ref: ShardRef): Promise<string>;
  /** The newest sequence number that arrived before `timestamp` (epoch ms), `''` when none. */
  sequenceBefore(ref: ShardRef, timestamp: number): Promise<string>;
  /** Deletes records that arrived before `before` (epoch ms); returns how many. */
  trimShard(ref: ShardRef, before: number): Promise<number>;

  // -- tables (the reads are ItemReadStore's) --------------------------------
  /** Checks the condition, writes, and appends the change record, atomically. */
  writeItem(write: ItemWrite): Promise<ItemWriteResult>;

  // -- checkpoints ---------------------------------------------------------
  /** The last processed sequence number; `undefined` when never set. */
  getCheckpoint(ref: CheckpointRef): Promise<string | undefined>;
  setCheckpoint(ref: CheckpointRef, sequenceNumber: string): Promise<void>;
  /** Forgets every checkpoint of a mapping (on delete). */
  deleteCheckpoints(mappingId: string, shards: readonly ShardRef[]): Promise<void>;

  // -- mapping definitions -------------------------------------------------
  /** Stores a mapping definition (JSON text) under its UUID. */
  putMapping(id: string, definition: string): Promise<void>;
  listMappings(): Promise<Array<{ id: string; definition: string }>>;
  deleteMapping(id: string): Promise<boolean>;

  // -- leases --------------------------------------------------------------
  /**
   * Takes or renews the lease `key` for `owner` for `ttlMs`; false when
   * another owner holds it. Hosts sharing a store poll each shard lane once.
   */
  tryLease(key: string, owner: string, ttlMs: number): Promise<boolean>;
  releaseLease(key: string, owner: string): Promise<void>;

  // -- objects -------------------------------------------------------------
  /** Stores an object and, in the same write, the notifications `notify` builds from its metadata. */
  putObject(bucket: string, key: string, body: Buffer, contentType: string, notify?: NotificationsOf): Promise<ObjectMeta>;
  getObject(bucket: string, key: string): Promise<{ meta: ObjectMeta; body: Buffer } | undefined>;
  headObject(bucket: string, key: string): Promise<ObjectMeta | undefined>;
  /**
   * Returns the deleted object's metadata, `undefined` when there was none;
   * when there was one, stores the notifications `notify` builds from it in
   * the same write.
   */
  deleteObject(bucket: string, key: string, notify?: NotificationsOf): Promise<ObjectMeta | undefined>;
  /** Objects whose key starts with `prefix` and sorts after `startAfter` (S3's start-after), by key. */
  listObjects(bucket: string, prefix: string, limit: number, startAfter?: string): Promise<ObjectMeta[]>;

  // -- the notification outbox ------------------------------------------------
  /** Stored notifications of changes made before `before` (epoch ms), oldest first. */
  pendingNotifications(before: number, limit: number): Promise<PendingNotification[]>;
  /** Forgets notifications once queued (or refused for good). */
  forgetNotifications(ids: readonly string[]): Promise<void>;

  /** Closes connections. Idempotent. */
  close(): Promise<void>;
}
