import { resolve, join } from 'node:path';
import Database from 'better-sqlite3';
import { ItemPageBudget } from './item-page-budget.js';
import type { ItemPage, ItemQuery, ItemReadStore, StoredItem } from './source-store.js';
import { startsWithBytes } from './sqlite-byte-prefix.js';

interface ItemRow { item: string; version: number }
/** A page's row, raw (an array: no object per row): the item's JSON, its version, then its key. */
type PageRow = [item: string, version: number, ...key: string[]];
type QueryRow = [item: string, version: number, sk: string];
type ScanRow = [item: string, version: number, pk: string, sk: string];

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
  readonly #readAll: (table: string, keys: ReadonlyArray<{ pk: string; sk: string }>) => Array<StoredItem | undefined>;
  readonly #checkOpen: () => void;
  /** A query's statement by its SQL: at most 32 shapes (which bounds are given, which order, whether after a key), each prepared once. */
  readonly #queries = new Map<string, Database.Statement>();

  /** `checkOpen` throws when the owner has closed the connection. */
  constructor(db: Database.Database, checkOpen: () => void = () => undefined) {
    this.#db = db;
    this.#checkOpen = checkOpen;
    this.#getItem = db.prepare('SELECT item, version FROM src_items WHERE tbl = ? AND pk = ? AND sk = ?');
    // The rows come in key order and #page stops at the limit: no LIMIT, which as a bound parameter would
    // make SQLite prepare the statement again on every call (see StatementsByLimit). The row value lets
    // the primary key seek straight to the cursor; `pk > ? OR (pk = ? AND sk > ?)` read the table from its start.
    this.#scan = db.prepare('SELECT item, version, pk, sk FROM src_items WHERE tbl = ? AND (pk, sk) > (?, ?) ORDER BY pk, sk').raw();
    // One read transaction, so the items are of one moment.
    this.#readAll = db.transaction((table: string, keys: ReadonlyArray<{ pk: string; sk: string }>) => keys.map(({ pk, sk }) => this.read(table, pk, sk)));
  }

  /** The item row as it is now (also the read inside the store's write transactions). */
  read(table: string, pk: string, sk: string): StoredItem | undefined {
    return this.readWithText(table, pk, sk)?.stored;
  }

  /** `read`, with the item's JSON text as stored (a writer compares it with what it would store). */
  readWithText(table: string, pk: string, sk: string): { stored: StoredItem; text: string } | undefined {
    const row = this.#getItem.get(table, pk, sk) as ItemRow | undefined;
    return row && { stored: { item: JSON.parse(row.item) as Record<string, unknown>, version: row.version }, text: row.item };
  }

  async getItem(table: string, pk: string, sk: string): Promise<StoredItem | undefined> {
    this.#checkOpen();
    return this.read(table, pk, sk);
  }

  async queryItems(q: ItemQuery): Promise<ItemPage> {
    this.#checkOpen();
    const clauses = ['tbl = ?', 'pk = ?'];
    const args: unknown[] = [q.table, q.pk];
    if (q.skBeginsWith !== undefined) {
      clauses.push(startsWithBytes('sk'));
      args.push(q.skBeginsWith, q.skBeginsWith);
    }
    if (q.skFrom !== undefined) {
      clauses.push('sk >= ?');
      args.push(q.skFrom);
    }
    if (q.skTo !== undefined) {
      clauses.push('sk <= ?');
      args.push(q.skTo);
    }
    const order = q.reverse ? 'DESC' : 'ASC';
    const sql = `SELECT item, version, sk FROM src_items WHERE ${clauses.join(' AND ')}`;
    // No LIMIT (see the scan's): #page stops reading at the limit.
    const statement = q.after === undefined
      ? this.#statement(`${sql} ORDER BY sk ${order}`)
      : this.#statement(`${sql} AND sk ${q.reverse ? '<' : '>'} ? ORDER BY sk ${order}`);
    const limit = q.limit ?? 100;
    checkPageLimit(limit);
    const rows = (q.after === undefined ? statement.iterate(...args) : statement.iterate(...args, q.after)) as IterableIterator<QueryRow>;
    return this.#page(rows, limit, (last) => last[2]);
  }

  /** A query's statement, prepared once per shape, answering raw rows. */
  #statement(sql: string): Database.Statement {
    let statement = this.#queries.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql).raw();
      this.#queries.set(sql, statement);
    }
    return statement;
  }

  async getItems(table: string, keys: ReadonlyArray<{ pk: string; sk: string }>): Promise<Array<StoredItem | undefined>> {
    this.#checkOpen();
    // One key is one statement, a read transaction of its own: BEGIN and COMMIT would double its cost.
    if (keys.length === 1) return [this.read(table, keys[0]!.pk, keys[0]!.sk)];
    return this.#readAll(table, keys);
  }

  isScanCursor(cursor: string): boolean {
    try {
      const parsed = JSON.parse(cursor) as unknown;
      return Array.isArray(parsed) && parsed.length === 2 && parsed.every((part) => typeof part === 'string');
    } catch {
      return false;
    }
  }

  async scanItems(table: string, cursor: string, limit: number): Promise<ItemPage> {
    this.#checkOpen();
    // The cursor is the last [pk, sk] returned, as JSON: pages follow the primary key.
    const [pk, sk] = cursor === '' ? ['', ''] : JSON.parse(cursor) as [string, string];
    checkPageLimit(limit);
    return this.#page(this.#scan.iterate(table, pk, sk) as IterableIterator<ScanRow>, limit, (last) => JSON.stringify([last[2], last[3]]));
  }

  /**
   * A page of the rows a statement yields, read one at a time and stopped at
   * `limit` or 1 MB (`ItemPageBudget`), so the rows past the cap are never
   * loaded; `cursorOf` makes the `next` of a page that ended at a row.
   */
  #page<R extends PageRow>(rows: IterableIterator<R>, limit: number, cursorOf: (last: R) => string): ItemPage {
    const budget = new ItemPageBudget(limit);
    const items: StoredItem[] = [];
    // Leaving the loop early ends the statement (the iterator's return()).
    for (const row of rows) {
      items.push({ item: JSON.parse(row[0]) as Record<string, unknown>, version: row[1] });
      if (!budget.add(row[0])) return { items, next: cursorOf(row) };
    }
    return { items };
  }
}

/**
 * Checked before a page's statement starts (a throw after would leave it running): the page loop reads
 * a row before it counts one, so it cannot make a page of none (the tables API takes 1–1000).
 */
function checkPageLimit(limit: number): void {
  if (!(limit >= 1)) throw new RangeError(`a page holds at least one item (limit ${limit})`);
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
