/**
 * The reference app's persistent store: one SQLite file in the host's state
 * dir, opened at module scope (Lambda init: once per environment). Jobs keep
 * no state in module memory; several environments (and layouts) open the
 * same file at once, so the schema is created idempotently and seeding runs
 * under a write lock.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.env.NEOLITH_STATE_DIR ?? join(process.cwd(), '.neolith');
mkdirSync(dir, { recursive: true });

/** The open database, shared by every job of this environment. */
export const db: Database.Database = new Database(join(dir, 'app.db'));
db.pragma('busy_timeout = 5000');
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');

db.exec(`
  CREATE TABLE IF NOT EXISTS users (id TEXT PRIMARY KEY, seq INTEGER NOT NULL, name TEXT NOT NULL, email TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS posts (id TEXT PRIMARY KEY, seq INTEGER NOT NULL, author_id TEXT NOT NULL, title TEXT NOT NULL, body TEXT NOT NULL, created_at TEXT NOT NULL);
  CREATE INDEX IF NOT EXISTS posts_author ON posts (author_id, seq);
  CREATE TABLE IF NOT EXISTS comments (id TEXT PRIMARY KEY, seq INTEGER NOT NULL, post_id TEXT NOT NULL, author_id TEXT NOT NULL, body TEXT NOT NULL, created_at TEXT NOT NULL);
  CREATE INDEX IF NOT EXISTS comments_post ON comments (post_id, seq);
  CREATE TABLE IF NOT EXISTS products (sku TEXT PRIMARY KEY, name TEXT NOT NULL, price REAL NOT NULL);
  CREATE TABLE IF NOT EXISTS orders (id TEXT PRIMARY KEY, seq INTEGER NOT NULL, user_id TEXT NOT NULL, items TEXT NOT NULL, total REAL NOT NULL, status TEXT NOT NULL, created_at TEXT NOT NULL);
  CREATE INDEX IF NOT EXISTS orders_user ON orders (user_id, seq);
  CREATE TABLE IF NOT EXISTS order_attempts (request_id TEXT PRIMARY KEY, attempts INTEGER NOT NULL);
  CREATE TABLE IF NOT EXISTS notifications (id TEXT PRIMARY KEY, seq INTEGER NOT NULL, user_id TEXT NOT NULL, message TEXT NOT NULL, read INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL);
  CREATE INDEX IF NOT EXISTS notifications_user ON notifications (user_id, seq);
`);

const EPOCH = Date.UTC(2024, 0, 1);
/** Deterministic timestamps for seed rows: `n` minutes after 2024-01-01. */
const at = (n: number) => new Date(EPOCH + n * 60_000).toISOString();

/** Seed counts, exported for tests and docs. */
export const SEED = { users: 20, posts: 100, commentsPerPost: 3, products: 5, orders: 10, notificationsPerUser: 2 } as const;

// IMMEDIATE takes the write lock before counting, so two environments never both seed.
db.transaction(() => {
  const { n } = db.prepare('SELECT count(*) AS n FROM users').get() as { n: number };
  if (n > 0) return;
  const names = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Margaret', 'Ken', 'Dennis', 'Frances'];
  const user = db.prepare('INSERT INTO users (id, seq, name, email, created_at) VALUES (?, ?, ?, ?, ?)');
  for (let i = 1; i <= SEED.users; i++) {
    const name = `${names[(i - 1) % names.length]} ${Math.ceil(i / names.length)}`;
    user.run(`u${i}`, i, name, `user${i}@example.com`, at(i));
  }
  const post = db.prepare('INSERT INTO posts (id, seq, author_id, title, body, created_at) VALUES (?, ?, ?, ?, ?, ?)');
  const comment = db.prepare('INSERT INTO comments (id, seq, post_id, author_id, body, created_at) VALUES (?, ?, ?, ?, ?, ?)');
  let c = 0;
  for (let i = 1; i <= SEED.posts; i++) {
    post.run(`p${i}`, i, `u${((i - 1) % SEED.users) + 1}`, `Post number ${i}`, `The body of post ${i}.`, at(100 + i));
    for (let k = 0; k < SEED.commentsPerPost; k++) {
      c++;
      comment.run(`c${c}`, c, `p${i}`, `u${((i + k) % SEED.users) + 1}`, `Comment ${k + 1} on post ${i}`, at(1000 + c));
    }
  }
  const product = db.prepare('INSERT INTO products (sku, name, price) VALUES (?, ?, ?)');
  [['BOOK', 'A book', 12.5], ['MUG', 'A mug', 8], ['SHIRT', 'A shirt', 20], ['PEN', 'A pen', 1.25], ['LAMP', 'A lamp', 35]]
    .forEach(([sku, name, price]) => product.run(sku, name, price));
  const order = db.prepare('INSERT INTO orders (id, seq, user_id, items, total, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
  for (let i = 1; i <= SEED.orders; i++) {
    const items = [{ sku: 'BOOK', quantity: i % 3 + 1, price: 12.5 }, { sku: 'PEN', quantity: 2, price: 1.25 }];
    order.run(`o${i}`, i, `u${((i - 1) % SEED.users) + 1}`, JSON.stringify(items), items.reduce((t, x) => t + x.quantity * x.price, 0), 'PLACED', at(2000 + i));
  }
  const note = db.prepare('INSERT INTO notifications (id, seq, user_id, message, read, created_at) VALUES (?, ?, ?, ?, ?, ?)');
  let m = 0;
  for (let i = 1; i <= SEED.users; i++) {
    for (let k = 0; k < SEED.notificationsPerUser; k++) {
      m++;
      note.run(`n${m}`, m, `u${i}`, k === 0 ? 'Welcome to neolith!' : `You have ${i} new followers`, k === 0 ? 1 : 0, at(3000 + m));
    }
  }
}).immediate();

/** Next value of a table's `seq` column (ids are `<prefix><seq>`). */
export function nextSeq(table: 'users' | 'posts' | 'comments' | 'orders' | 'notifications'): number {
  return (db.prepare(`SELECT coalesce(max(seq), 0) + 1 AS s FROM ${table}`).get() as { s: number }).s;
}

/** Row → GraphQL shape mappers. */
export interface UserRow { id: string; name: string; email: string; created_at: string }
export const toUser = (r: UserRow) => ({ id: r.id, name: r.name, email: r.email, createdAt: r.created_at });
export interface PostRow { id: string; author_id: string; title: string; body: string; created_at: string }
export const toPost = (r: PostRow) => ({ id: r.id, authorId: r.author_id, title: r.title, body: r.body, createdAt: r.created_at });
export interface CommentRow { id: string; post_id: string; author_id: string; body: string; created_at: string }
export const toComment = (r: CommentRow) => ({ id: r.id, postId: r.post_id, authorId: r.author_id, body: r.body, createdAt: r.created_at });
export interface OrderRow { id: string; user_id: string; items: string; total: number; status: string; created_at: string }
export const toOrder = (r: OrderRow) => ({ id: r.id, userId: r.user_id, items: JSON.parse(r.items) as unknown, total: r.total, status: r.status, createdAt: r.created_at });
export interface NotificationRow { id: string; user_id: string; message: string; read: number; created_at: string }
export const toNotification = (r: NotificationRow) => ({ id: r.id, userId: r.user_id, message: r.message, read: r.read === 1, createdAt: r.created_at });

/** Reads rows by id and returns them in the order asked (null for a missing id). */
export function byIds<R extends { id: string }>(table: string, ids: readonly string[]): Array<R | null> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return ids.map(() => null);
  const rows = db.prepare(`SELECT * FROM ${table} WHERE id IN (${unique.map(() => '?').join(',')})`).all(...unique) as R[];
  const found = new Map(rows.map((r) => [r.id, r]));
  return ids.map((id) => found.get(id) ?? null);
}
