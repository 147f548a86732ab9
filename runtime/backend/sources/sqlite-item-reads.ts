import { resolve, join } from 'node:path';
import Database from 'better-sqlite3';
import type { ItemQuery, ItemReadStore, StoredItem } from './source-store.js';

interface ItemRow { item: string; version: number }

/**
 * The table reads on one SQLite connection: the host's store uses them on its
 * own connection, an environment thread on a read-only one of its own
 * (`SqliteItemReader`), so a handler's reads skip the hop to the main
 * thread and the JSON round trip of their answer.
 */
export class SqliteItemReads implements ItemReadStore {
  readonly #db: Database.Database;
  readonly #getItem: Database.Statement;
  readonly #scan: Database.Statement;
  readonly #checkOpen: () => void;
  /** A query's statement by its SQL: at most 16 shapes (which bounds are given, which order), each prepared once. */
  readonly #queries = new Map<string, Database.Statement>();

  /** `checkOpen` throws when the owner has closed the connection. */
  constructor(db: Database.Database, checkOpen: () => void = () => undefined) {
    this.#db = db;
    this.#checkOpen = checkOpen;
    this.#getItem = db.prepare('SELECT item, version FROM src_items WHERE tbl = ? AND pk = ? AND sk = ?');
    this.#scan = db.prepare('SELECT pk, sk, item, version FROM src_items WHERE tbl = ? AND (pk > ? OR (pk = ? AND sk > ?)) ORDER BY pk, sk LIMIT ?');
  }

  /** The item row as it is now (also the read inside the store's write transactions). */
  read(table: string, pk: string, sk: string): StoredItem | undefined {
    const row = this.#getItem.get(table, pk, sk) as ItemRow | undefined;
    return row && { item: JSON.parse(row.item) as Record<string, unknown>, version: row.version };
  }

  async getItem(table: string, pk: string, sk: string): Promise<StoredItem | undefined> {
    this.#checkOpen();
    return this.read(table, pk, sk);
  }

  async queryItems(q: ItemQuery): Promise<StoredItem[]> {
    this.#checkOpen();
    const where = ['tbl = ?', 'pk = ?'];
    const args: unknown[] = [q.table, q.pk];
    if (q.skBeginsWith !== undefined) {
      where.push('substr(sk, 1, length(?)) = ?');
      args.push(q.skBeginsWith, q.skBeginsWith);
    }
    if (q.skFrom !== undefined) {
      where.push('sk >= ?');
      args.push(q.skFrom);
    }
    if (q.skTo !== undefined) {
      where.push('sk <= ?');
      args.push(q.skTo);
    }
    args.push(q.limit ?? 100);
    const sql = `SELECT item, version FROM src_items WHERE ${where.join(' AND ')} ORDER BY sk ${q.reverse ? 'DESC' : 'ASC'} LIMIT ?`;
    let statement = this.#queries.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#queries.set(sql, statement);
    }
    const rows = statement.all(...args) as ItemRow[];
    return rows.map((r) => ({ item: JSON.parse(r.item) as Record<string, unknown>, version: r.version }));
  }

  async getItems(table: string, keys: ReadonlyArray<{ pk: string; sk: string }>): Promise<Array<StoredItem | undefined>> {
    this.#checkOpen();
    // One read transaction, so the items are of one moment.
    return this.#db.transaction(() => keys.map(({ pk, sk }) => this.read(table, pk, sk)))();
  }

  isScanCursor(cursor: string): boolean {
    try {
      const parsed = JSON.parse(cursor) as unknown;
      return Array.isArray(parsed) && parsed.length === 2 && parsed.every((part) => typeof part === 'string');
    } catch {
      return false;
    }
  }

  async scanItems(table: string, cursor: string, limit: number): Promise<{ items: StoredItem[]; next?: string }> {
    this.#checkOpen();
    // The cursor is the last [pk, sk] returned, as JSON: pages follow the primary key.
    const [pk, sk] = cursor === '' ? ['', ''] : JSON.parse(cursor) as [string, string];
    const rows = this.#scan.all(table, pk, pk, sk, limit) as Array<{ pk: string; sk: string; item: string; version: number }>;
    const items = rows.map((r) => ({ item: JSON.parse(r.item) as Record<string, unknown>, version: r.version }));
    const last = rows.at(-1);
    return rows.length === limit && last ? { items, next: JSON.stringify([last.pk, last.sk]) } : { items };
  }
}

/**
 * A read-only connection to the host's SQLite file, for the table reads of
 * an environment thread: `<stateDir>/neolith.db`, which the host keeps in WAL
 * mode, so readers never block its writer nor wait for it. The file must
 * exist: the host's store made it.
 */
export class SqliteItemReader extends SqliteItemReads {
  readonly #db: Database.Database;
  readonly #state: { closed: boolean };

  static open(stateDir: string): SqliteItemReader {
    const db = new Database(resolve(join(stateDir, 'neolith.db')), { readonly: true, fileMustExist: true });
    try {
      // A checkpoint resetting the WAL holds readers off for a moment: wait for it rather than fail the read.
      db.pragma('busy_timeout = 5000');
      return new SqliteItemReader(db, { closed: false });
    } catch (error) {
      db.close();
      throw error;
    }
  }

  private constructor(db: Database.Database, state: { closed: boolean }) {
    super(db, () => {
      if (state.closed) throw new Error('the table reader is closed');
    });
    this.#db = db;
    this.#state = state;
  }

  close(): void {
    this.#state.closed = true;
    this.#db.close();
  }
}
