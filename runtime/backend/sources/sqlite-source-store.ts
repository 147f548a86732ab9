import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { openDatabase, type OpenDatabase } from '../sqlite/open-database.js';
import { rowSequence, sequenceRow } from './sequence-number.js';
import { SqliteItemReads } from './sqlite-item-reads.js';
import type {
  CheckpointRef, ItemPage, ItemQuery, ItemWrite, ItemWriteResult, NotificationsOf, ObjectMeta, PendingNotification, ShardRecord, ShardRecordInput, ShardRef,
  SourceStore, StoredItem,
} from './source-store.js';
import { startsWithBytes } from './sqlite-byte-prefix.js';
import { StatementsByLimit } from '../sqlite/statements-by-limit.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS src_records (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, stream TEXT NOT NULL, shard INTEGER NOT NULL,
  pk TEXT NOT NULL, data TEXT NOT NULL, at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS src_records_shard ON src_records (stream, shard, seq);
CREATE TABLE IF NOT EXISTS src_items (
  tbl TEXT NOT NULL, pk TEXT NOT NULL, sk TEXT NOT NULL, item TEXT NOT NULL, version INTEGER NOT NULL,
  PRIMARY KEY (tbl, pk, sk)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS src_checkpoints (
  mapping TEXT NOT NULL, stream TEXT NOT NULL, shard INTEGER NOT NULL, lane INTEGER NOT NULL, seq TEXT NOT NULL,
  PRIMARY KEY (mapping, stream, shard, lane)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS src_mappings (id TEXT PRIMARY KEY, def TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS src_leases (key TEXT PRIMARY KEY, owner TEXT NOT NULL, until INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS src_objects (
  bucket TEXT NOT NULL, key TEXT NOT NULL, size INTEGER NOT NULL, etag TEXT NOT NULL, ctype TEXT NOT NULL,
  modified INTEGER NOT NULL, PRIMARY KEY (bucket, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS src_outbox (id TEXT PRIMARY KEY, fn TEXT NOT NULL, payload TEXT NOT NULL, at INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS src_outbox_at ON src_outbox (at);
`;

interface ObjectRow { key: string; size: number; etag: string; ctype: string; modified: number; file?: string | null }
interface RecordRow { seq: number; shard: number; pk: string; data: string; at: number }

/**
 * Event-source state in the host's SQLite file (`<stateDir>/neolith.db`,
 * tables `src_*`), object bodies as files under `<stateDir>/buckets/`.
 * better-sqlite3 is synchronous: every method is one transaction, done
 * before it returns, so a SIGKILL right after loses nothing acknowledged.
 */
export class SqliteSourceStore implements SourceStore {
  readonly kind = 'sqlite' as const;
  readonly #db: Database.Database;
  readonly #objectsDir: string;
  readonly #s;
  readonly #reads: SqliteItemReads;
  #closed = false;
  readonly #opened: OpenDatabase;

  constructor(stateDir: string) {
    this.#objectsDir = join(stateDir, 'buckets');
    this.#opened = openDatabase(stateDir, 'NORMAL');
    const db = this.#opened.db;
    try {
      db.exec(SCHEMA);
      addObjectFileColumn(db);
    } catch (error) {
      this.#opened.close().catch((closeError: Error) => process.emitWarning(closeError));
      throw error;
    }
    this.#db = db;
    this.#reads = new SqliteItemReads(db, () => this.#open());
    this.#s = {
      append: db.prepare('INSERT INTO src_records (stream, shard, pk, data, at) VALUES (?, ?, ?, ?, ?)'),
      read: new StatementsByLimit(db, 'SELECT seq, shard, pk, data, at FROM src_records WHERE stream = ? AND shard = ? AND seq > ? ORDER BY seq'),
      last: db.prepare('SELECT max(seq) AS seq FROM src_records WHERE stream = ? AND shard = ?'),
      before: db.prepare('SELECT max(seq) AS seq FROM src_records WHERE stream = ? AND shard = ? AND at < ?'),
      trim: db.prepare('DELETE FROM src_records WHERE stream = ? AND shard = ? AND at < ?'),
      putItem: db.prepare('INSERT INTO src_items (tbl, pk, sk, item, version) VALUES (?, ?, ?, ?, ?) ON CONFLICT (tbl, pk, sk) DO UPDATE SET item = excluded.item, version = excluded.version'),
      deleteItem: db.prepare('DELETE FROM src_items WHERE tbl = ? AND pk = ? AND sk = ?'),
      getCheckpoint: db.prepare('SELECT seq FROM src_checkpoints WHERE mapping = ? AND stream = ? AND shard = ? AND lane = ?'),
      setCheckpoint: db.prepare('INSERT INTO src_checkpoints (mapping, stream, shard, lane, seq) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET seq = excluded.seq'),
      deleteCheckpoints: db.prepare('DELETE FROM src_checkpoints WHERE mapping = ?'),
      putMapping: db.prepare('INSERT INTO src_mappings (id, def) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET def = excluded.def'),
      listMappings: db.prepare('SELECT id, def FROM src_mappings ORDER BY id'),
      deleteMapping: db.prepare('DELETE FROM src_mappings WHERE id = ?'),
      lease: db.prepare(`INSERT INTO src_leases (key, owner, until) VALUES (@key, @owner, @until)
        ON CONFLICT (key) DO UPDATE SET owner = @owner, until = @until WHERE src_leases.owner = @owner OR src_leases.until < @now`),
      release: db.prepare('DELETE FROM src_leases WHERE key = ? AND owner = ?'),
      putObject: db.prepare(`INSERT INTO src_objects (bucket, key, size, etag, ctype, modified, file) VALUES (?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (bucket, key) DO UPDATE SET size = excluded.size, etag = excluded.etag, ctype = excluded.ctype, modified = excluded.modified, file = excluded.file`),
      headObject: db.prepare('SELECT key, size, etag, ctype, modified, file FROM src_objects WHERE bucket = ? AND key = ?'),
      deleteObject: db.prepare('DELETE FROM src_objects WHERE bucket = ? AND key = ? RETURNING key, size, etag, ctype, modified, file'),
      listObjects: new StatementsByLimit(db, `SELECT key, size, etag, ctype, modified FROM src_objects WHERE bucket = ? AND ${startsWithBytes('key')} AND key > ? ORDER BY key`),
      putNotification: db.prepare('INSERT INTO src_outbox (id, fn, payload, at) VALUES (?, ?, ?, ?)'),
      pendingNotifications: new StatementsByLimit(db, 'SELECT id, fn, payload, at FROM src_outbox WHERE at < ? ORDER BY at'),
      forgetNotification: db.prepare('DELETE FROM src_outbox WHERE id = ?'),
    };
    try {
      removeOrphanBodies(db, this.#objectsDir, Date.now() - ORPHAN_AGE_MS);
    } catch (error) {
      // Housekeeping: a folder it may not read must not stop the store from opening.
      process.emitWarning(`neolith: could not remove orphaned bucket files under ${this.#objectsDir}: ${(error as Error).message}`);
    }
  }

  async waitUntilReady(): Promise<void> {
    this.#open();
  }

  // -- streams ---------------------------------------------------------------

  async appendRecords(stream: string, records: readonly ShardRecordInput[]): Promise<string[]> {
    this.#open();
    const now = Date.now();
    return this.#db.transaction(() => records.map((r) => rowSequence(this.#s.append.run(stream, r.shard, r.partitionKey, r.data, now).lastInsertRowid)))();
  }

  async readShard(ref: ShardRef, after: string, limit: number): Promise<ShardRecord[]> {
    this.#open();
    const rows = this.#s.read.limit(limit).all(ref.stream, ref.shard, sequenceRow(after)) as RecordRow[];
    return rows.map((r) => ({ shard: r.shard, sequenceNumber: rowSequence(r.seq), partitionKey: r.pk, data: r.data, arrivedAt: r.at }));
  }

  async lastSequence(ref: ShardRef): Promise<string> {
    this.#open();
    const row = this.#s.last.get(ref.stream, ref.shard) as { seq: number | null };
    return row.seq === null ? '' : rowSequence(row.seq);
  }

  async sequenceBefore(ref: ShardRef, timestamp: number): Promise<string> {
    this.#open();
    const row = this.#s.before.get(ref.stream, ref.shard, timestamp) as { seq: number | null };
    return row.seq === null ? '' : rowSequence(row.seq);
  }

  async trimShard(ref: ShardRef, before: number): Promise<number> {
    this.#open();
    return this.#s.trim.run(ref.stream, ref.shard, before).changes;
  }

  // -- tables ----------------------------------------------------------------

  getItem(table: string, pk: string, sk: string): Promise<StoredItem | undefined> {
    return this.#reads.getItem(table, pk, sk);
  }

  async writeItem(w: ItemWrite): Promise<ItemWriteResult> {
    this.#open();
    return this.#db.transaction((): ItemWriteResult => {
      const found = this.#reads.readWithText(w.table, w.pk, w.sk);
      const old = found?.stored;
      if (!conditionHolds(w, old)) return { ok: false, ...(old && { current: old }) };
      let unchanged = false;
      if (w.item === null) {
        if (!old) return { ok: true, version: 0 };
        this.#s.deleteItem.run(w.table, w.pk, w.sk);
      } else {
        const text = JSON.stringify(w.item);
        // A write that leaves the item as it was is no change (DynamoDB Streams records none).
        unchanged = found?.text === text;
        this.#s.putItem.run(w.table, w.pk, w.sk, text, (old?.version ?? 0) + 1);
      }
      const version = w.item === null ? 0 : (old?.version ?? 0) + 1;
      if (!w.change || unchanged) return { ok: true, version, ...(old && { old }) };
      const data = JSON.stringify({
        eventName: w.item === null ? 'REMOVE' : old ? 'MODIFY' : 'INSERT',
        keys: w.change.keys, oldImage: old?.item ?? null, newImage: w.item,
      });
      const seq = this.#s.append.run(w.change.stream, w.change.shard, w.pk, data, Date.now()).lastInsertRowid;
      return { ok: true, version, sequenceNumber: rowSequence(seq), ...(old && { old }) };
    }).immediate();
  }

  queryItems(q: ItemQuery): Promise<ItemPage> {
    return this.#reads.queryItems(q);
  }

  getItems(table: string, keys: ReadonlyArray<{ pk: string; sk: string }>): Promise<Array<StoredItem | undefined>> {
    return this.#reads.getItems(table, keys);
  }

  isScanCursor(cursor: string): boolean {
    return this.#reads.isScanCursor(cursor);
  }

  scanItems(table: string, cursor: string, limit: number): Promise<{ items: StoredItem[]; next?: string }> {
    return this.#reads.scanItems(table, cursor, limit);
  }

  // -- checkpoints, mappings, leases ------------------------------------------

  async getCheckpoint(ref: CheckpointRef): Promise<string | undefined> {
    this.#open();
    const row = this.#s.getCheckpoint.get(ref.mappingId, ref.stream, ref.shard, ref.lane) as { seq: string } | undefined;
    return row?.seq;
  }

  async setCheckpoint(ref: CheckpointRef, sequenceNumber: string): Promise<void> {
    this.#open();
    this.#s.setCheckpoint.run(ref.mappingId, ref.stream, ref.shard, ref.lane, sequenceNumber);
  }

  async deleteCheckpoints(mappingId: string): Promise<void> {
    this.#open();
    this.#s.deleteCheckpoints.run(mappingId);
  }

  async putMapping(id: string, definition: string): Promise<void> {
    this.#open();
    this.#s.putMapping.run(id, definition);
  }

  async listMappings(): Promise<Array<{ id: string; definition: string }>> {
    this.#open();
    return (this.#s.listMappings.all() as Array<{ id: string; def: string }>).map((r) => ({ id: r.id, definition: r.def }));
  }

  async deleteMapping(id: string): Promise<boolean> {
    this.#open();
    return this.#s.deleteMapping.run(id).changes > 0;
  }

  async tryLease(key: string, owner: string, ttlMs: number): Promise<boolean> {
    this.#open();
    const now = Date.now();
    return this.#s.lease.run({ key, owner, until: now + ttlMs, now }).changes > 0;
  }

  async releaseLease(key: string, owner: string): Promise<void> {
    if (this.#closed) return;
    this.#s.release.run(key, owner);
  }

  // -- objects ---------------------------------------------------------------

  async putObject(bucket: string, key: string, body: Buffer, contentType: string, notify?: NotificationsOf): Promise<ObjectMeta> {
    this.#open();
    const meta: ObjectMeta = { key, size: body.length, eTag: createHash('md5').update(body).digest('hex'), contentType, lastModified: Date.now() };
    // Built before anything is written, so a builder that throws changes nothing.
    const notifications = notify?.(meta) ?? [];
    // Each version of a body has its own file, named in the row: the row, the notifications and
    // which body is current change in one transaction. A crash before the commit leaves an unnamed
    // file and the old object intact; no reader ever sees a body under another version's metadata.
    const file = `${this.#keyHash(key)}.${randomUUID()}`;
    const path = join(this.#objectsDir, bucket, file);
    mkdirSync(join(this.#objectsDir, bucket), { recursive: true });
    // Written aside then renamed: a file under its final name is always whole.
    writeFileSync(`${path}.tmp`, body);
    renameSync(`${path}.tmp`, path);
    let replaced: ObjectRow | undefined;
    try {
      this.#db.transaction(() => {
        replaced = this.#s.headObject.get(bucket, key) as ObjectRow | undefined;
        this.#s.putObject.run(bucket, key, meta.size, meta.eTag, meta.contentType, meta.lastModified, file);
        this.#putNotifications(notifications);
      }).immediate();
    } catch (error) {
      rmSync(path, { force: true });
      throw error;
    }
    if (replaced) this.#removeBody(bucket, replaced);
    return meta;
  }

  async getObject(bucket: string, key: string): Promise<{ meta: ObjectMeta; body: Buffer } | undefined> {
    this.#open();
    // A put or delete between the row read and the file read removes the file read: read the row again.
    for (let tries = 0; tries < 3; tries++) {
      const row = this.#s.headObject.get(bucket, key) as ObjectRow | undefined;
      if (!row) return undefined;
      try {
        return { meta: toMeta(row), body: readFileSync(this.#bodyPath(bucket, row)) };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    return undefined;
  }

  async headObject(bucket: string, key: string): Promise<ObjectMeta | undefined> {
    this.#open();
    const row = this.#s.headObject.get(bucket, key) as ObjectRow | undefined;
    return row && toMeta(row);
  }

  async deleteObject(bucket: string, key: string, notify?: NotificationsOf): Promise<ObjectMeta | undefined> {
    this.#open();
    const row = this.#db.transaction(() => {
      const deleted = this.#s.deleteObject.get(bucket, key) as ObjectRow | undefined;
      if (deleted && notify) this.#putNotifications(notify(toMeta(deleted)));
      return deleted;
    }).immediate();
    // After the commit: a crash in between leaves a file no row names, never a row without its body.
    if (row) this.#removeBody(bucket, row);
    return row && toMeta(row);
  }

  async listObjects(bucket: string, prefix: string, limit: number, startAfter = ''): Promise<ObjectMeta[]> {
    this.#open();
    return (this.#s.listObjects.limit(limit).all(bucket, prefix, prefix, startAfter) as ObjectRow[]).map(toMeta);
  }

  // -- the notification outbox -------------------------------------------------

  #putNotifications(notifications: readonly PendingNotification[]): void {
    for (const n of notifications) this.#s.putNotification.run(n.id, n.functionName, n.payload, n.createdAt);
  }

  async pendingNotifications(before: number, limit: number): Promise<PendingNotification[]> {
    this.#open();
    const rows = this.#s.pendingNotifications.limit(limit).all(before) as Array<{ id: string; fn: string; payload: string; at: number }>;
    return rows.map((r) => ({ id: r.id, functionName: r.fn, payload: r.payload, createdAt: r.at }));
  }

  async forgetNotifications(ids: readonly string[]): Promise<void> {
    this.#open();
    this.#db.transaction(() => {
      for (const id of ids) this.#s.forgetNotification.run(id);
    })();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#opened.close();
  }

  /** Keys may hold "/", "..", anything: files are named by the key's hash, never by the key. */
  #keyHash(key: string): string {
    return createHash('sha256').update(key).digest('hex');
  }

  /** The row's body file; rows written before bodies had versions name none, and use the key's hash alone. */
  #bodyPath(bucket: string, row: ObjectRow): string {
    return join(this.#objectsDir, bucket, row.file ?? this.#keyHash(row.key));
  }

  #removeBody(bucket: string, row: ObjectRow): void {
    rmSync(this.#bodyPath(bucket, row), { force: true });
  }

  #open(): void {
    if (this.#closed) throw new Error('the sqlite source store is closed');
  }
}

/** Whether a write's condition holds against the current item (shared by both stores' semantics). */
export function conditionHolds(w: Pick<ItemWrite, 'condition'>, current: StoredItem | undefined): boolean {
  const c = w.condition;
  if (!c) return true;
  if (c.ifNotExists && current) return false;
  if (c.ifExists && !current) return false;
  if (c.expectedVersion !== undefined && (current?.version ?? 0) !== c.expectedVersion) return false;
  return true;
}

/** How old a body file no row names must be to be removed: older than any put still under way. */
const ORPHAN_AGE_MS = 60 * 60 * 1000;

/**
 * Removes body files no row names (a put that died between writing its file
 * and committing, or a delete between its commit and the removal) once they
 * are older than `before`: another process sharing the state dir may be
 * writing a younger one right now.
 */
function removeOrphanBodies(db: Database.Database, objectsDir: string, before: number): void {
  let buckets: string[];
  try {
    buckets = readdirSync(objectsDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  const named = db.prepare('SELECT bucket, file FROM src_objects WHERE file IS NOT NULL').all() as Array<{ bucket: string; file: string }>;
  const live = new Set(named.map((r) => `${r.bucket}/${r.file}`));
  const legacy = db.prepare('SELECT 1 FROM src_objects WHERE bucket = ? AND file IS NULL LIMIT 1');
  for (const bucket of buckets) {
    const dir = join(objectsDir, bucket);
    let files: string[];
    try {
      files = readdirSync(dir);
    } catch {
      continue; // not a folder, or gone
    }
    // Rows from before body versions name no file: leave such a bucket's unversioned files alone.
    const hasLegacy = legacy.get(bucket) !== undefined;
    for (const file of files) {
      if (live.has(`${bucket}/${file}`) || (hasLegacy && !file.includes('.'))) continue;
      const path = join(dir, file);
      try {
        if (statSync(path).mtimeMs < before) rmSync(path, { force: true });
      } catch {
        // Removed meanwhile.
      }
    }
  }
}

/** Stores made before bodies had versions lack the column that names an object's body file. */
function addObjectFileColumn(db: Database.Database): void {
  const columns = db.prepare('SELECT name FROM pragma_table_info(?)').all('src_objects') as Array<{ name: string }>;
  if (columns.some((c) => c.name === 'file')) return;
  try {
    db.exec('ALTER TABLE src_objects ADD COLUMN file TEXT');
  } catch (error) {
    // Another process sharing the state dir added it first.
    if (!/duplicate column name/.test((error as Error).message)) throw error;
  }
}

function toMeta(row: ObjectRow): ObjectMeta {
  return { key: row.key, size: row.size, eTag: row.etag, contentType: row.ctype, lastModified: row.modified };
}
