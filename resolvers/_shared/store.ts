/**
 * The reference app's data, in the host's DynamoDB-like tables (declared in
 * `neolith.config.ts`, reached through `neolith/client`: inside an environment
 * over its own message channel to the host, elsewhere over HTTP — a round
 * trip, not an invocation). Jobs keep no state in module memory.
 *
 * Every table is keyed by `id` (or `sku`, `name`, `email`) and lists are
 * read with one Scan and ordered by `seq` in the job: the reference app's
 * tables are small, and one round trip beats one query per parent. A bigger
 * app would key child tables by their parent (partition) and `seq` (sort).
 *
 * Seeding runs at init (module scope: once per environment) and is
 * idempotent: every seed item is a conditional `ifNotExists` put (100 a
 * round trip), and a
 * `seed` marker, written last, lets later environments skip the work.
 */
import { table } from 'neolith/client';
import { attempt, type ItemError } from './appsync.js';
import { checkId } from './input.js';

/** Items as stored; the GraphQL shapes are these minus `seq` (and `seed`). */
export interface User { id: string; seq: number; name: string; email: string; createdAt: string; avatarKey?: string; thumbnailKey?: string }
export interface Post { id: string; seq: number; authorId: string; title: string; body: string; createdAt: string }
export interface Comment { id: string; seq: number; postId: string; authorId: string; body: string; createdAt: string }
export interface OrderItem { sku: string; quantity: number; price: number }
export interface Order { id: string; seq: number; userId: string; items: OrderItem[]; total: number; status: string; createdAt: string; seed?: boolean }
export interface Notification { id: string; seq: number; userId: string; message: string; read: boolean; createdAt: string }
export interface Product { sku: string; name: string; price: number }

/** The tables (see `tables` in neolith.config.ts). */
export const users = table<User>('users');
/** Email → user id claims: a conditional put on the email keeps emails unique. */
export const userEmails = table<{ email: string; userId: string }>('user-emails');
export const posts = table<Post>('posts');
export const comments = table<Comment>('comments');
export const products = table<Product>('products');
export const orders = table<Order>('orders');
export const notifications = table<Notification>('notifications');
/** Atomic counters: the next `seq` of each entity, attempts of an order request. */
export const counters = table<{ name: string; value: number }>('counters');
/** What the `user-events` topic's second subscriber records, per user by time. */
export const userActivity = table<{ userId: string; at: string; type: string; messageId: string }>('user-activity');

/** Seed counts, exported for tests and docs. */
export const SEED = { users: 20, posts: 100, commentsPerPost: 3, products: 5, orders: 10, notificationsPerUser: 2 } as const;

/** The next `seq` of a kind of entity (ids are `<prefix><seq>`): one atomic ADD. */
export async function nextSeq(kind: 'users' | 'posts' | 'comments' | 'orders' | 'notifications'): Promise<number> {
  return (await counters.add({ name: kind }, { value: 1 })).item.value;
}

/**
 * Writes a notification. `id` makes it idempotent (a handler retried by an
 * at-least-once source writes it once); by default a fresh `n<seq>`.
 */
export async function notify(userId: string, message: string, id?: string): Promise<Notification> {
  const seq = await nextSeq('notifications');
  const n: Notification = { id: id ?? `n${seq}`, seq, userId, message, read: false, createdAt: new Date().toISOString() };
  try {
    await notifications.put(n, { ifNotExists: true });
  } catch (error) {
    if (!isConditionFailed(error)) throw error;
  }
  return n;
}

/** True when a conditional write failed because the item is there already. */
export function isConditionFailed(error: unknown): boolean {
  return (error as { code?: string } | null)?.code === 'ConditionalCheckFailedException';
}

/** Every item of a table, ordered by `seq`. */
export async function allBySeq<T extends { seq: number }>(t: { scanAll(): Promise<Array<{ item: T }>> }): Promise<T[]> {
  return (await t.scanAll()).map((v) => v.item).sort((a, b) => a.seq - b.seq);
}

/**
 * Reads items by id in one BatchGetItem per 100 ids, in the order asked (null
 * for a missing id). An id that breaks the id rule (see `checkId`) answers
 * its own `ItemError` and is never sent to the table, so one bad id does not
 * fail the others.
 */
export async function byIds<T extends { id: string }>(
  t: { batchGet(keys: Array<Partial<T>>): Promise<Array<{ item: T } | null>> }, ids: readonly unknown[],
): Promise<Array<T | null | ItemError>> {
  const checked = ids.map((id) => attempt(() => checkId(id)));
  const unique = [...new Set(checked.filter((id): id is string => typeof id === 'string'))];
  const found = new Map<string, T>();
  for (let i = 0; i < unique.length; i += 100) {
    const page = await t.batchGet(unique.slice(i, i + 100).map((id) => ({ id }) as Partial<T>));
    for (const hit of page) if (hit) found.set(hit.item.id, hit.item);
  }
  return checked.map((id) => (typeof id === 'string' ? found.get(id) ?? null : id));
}

/** Item → GraphQL shape mappers. */
export const toUser = (u: User) => ({
  id: u.id, name: u.name, email: u.email, createdAt: u.createdAt,
  avatarUrl: u.avatarKey ? `/buckets/avatars/${u.avatarKey}` : null,
  thumbnailUrl: u.thumbnailKey ? `/buckets/avatars/${u.thumbnailKey}` : null,
});
export const toPost = (p: Post) => ({ id: p.id, authorId: p.authorId, title: p.title, body: p.body, createdAt: p.createdAt });
export const toComment = (c: Comment) => ({ id: c.id, postId: c.postId, authorId: c.authorId, body: c.body, createdAt: c.createdAt });
export const toOrder = (o: Order) => ({ id: o.id, userId: o.userId, items: o.items, total: o.total, status: o.status, createdAt: o.createdAt });
export const toNotification = (n: Notification) => ({ id: n.id, userId: n.userId, message: n.message, read: n.read, createdAt: n.createdAt });

// ---------------------------------------------------------------------------
// Seed
// ---------------------------------------------------------------------------

const EPOCH = Date.UTC(2024, 0, 1);
/** Deterministic timestamps for seed items: `n` minutes after 2024-01-01. */
const at = (n: number) => new Date(EPOCH + n * 60_000).toISOString();

/** Every seed write, as [table, item] pairs. */
type Seedable = { batchPut(items: never[], condition?: { ifNotExists?: boolean }): Promise<unknown> };

function seedItems(): Array<[Seedable, Record<string, unknown>]> {
  const out: Array<[Seedable, Record<string, unknown>]> = [];
  const names = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Margaret', 'Ken', 'Dennis', 'Frances'];
  for (let i = 1; i <= SEED.users; i++) {
    const name = `${names[(i - 1) % names.length]} ${Math.ceil(i / names.length)}`;
    out.push([users, { id: `u${i}`, seq: i, name, email: `user${i}@example.com`, createdAt: at(i) }]);
    out.push([userEmails, { email: `user${i}@example.com`, userId: `u${i}` }]);
  }
  let c = 0;
  for (let i = 1; i <= SEED.posts; i++) {
    out.push([posts, { id: `p${i}`, seq: i, authorId: `u${((i - 1) % SEED.users) + 1}`, title: `Post number ${i}`, body: `The body of post ${i}.`, createdAt: at(100 + i) }]);
    for (let k = 0; k < SEED.commentsPerPost; k++) {
      c++;
      out.push([comments, { id: `c${c}`, seq: c, postId: `p${i}`, authorId: `u${((i + k) % SEED.users) + 1}`, body: `Comment ${k + 1} on post ${i}`, createdAt: at(1000 + c) }]);
    }
  }
  for (const [sku, name, price] of [['BOOK', 'A book', 12.5], ['MUG', 'A mug', 8], ['SHIRT', 'A shirt', 20], ['PEN', 'A pen', 1.25], ['LAMP', 'A lamp', 35]] as const) {
    out.push([products, { sku, name, price }]);
  }
  for (let i = 1; i <= SEED.orders; i++) {
    const items = [{ sku: 'BOOK', quantity: i % 3 + 1, price: 12.5 }, { sku: 'PEN', quantity: 2, price: 1.25 }];
    // `seed: true` tells notifications/onOrderChange these are not new orders.
    out.push([orders, {
      id: `o${i}`, seq: i, userId: `u${((i - 1) % SEED.users) + 1}`, items, total: items.reduce((t, x) => t + x.quantity * x.price, 0),
      status: 'PLACED', createdAt: at(2000 + i), seed: true,
    }]);
  }
  let m = 0;
  for (let i = 1; i <= SEED.users; i++) {
    for (let k = 0; k < SEED.notificationsPerUser; k++) {
      m++;
      out.push([notifications, { id: `n${m}`, seq: m, userId: `u${i}`, message: k === 0 ? 'Welcome to neolith!' : `You have ${i} new followers`, read: k === 0, createdAt: at(3000 + m) }]);
    }
  }
  const seqs = { users: SEED.users, posts: SEED.posts, comments: c, orders: SEED.orders, notifications: m };
  for (const [name, value] of Object.entries(seqs)) out.push([counters, { name, value }]);
  return out;
}

async function seed(): Promise<void> {
  if (await counters.get({ name: 'seed' })) return;
  // Per table, 100 conditional puts a round trip: environments starting together each try
  // every item; the first write of an item wins, the others are reported and ignored.
  const byTable = new Map<Seedable, Array<Record<string, unknown>>>();
  for (const [t, item] of seedItems()) byTable.set(t, [...(byTable.get(t) ?? []), item]);
  await Promise.all([...byTable].map(async ([t, items]) => {
    for (let i = 0; i < items.length; i += 100) await t.batchPut(items.slice(i, i + 100) as never[], { ifNotExists: true });
  }));
  await counters.put({ name: 'seed', value: 1 }, { ifNotExists: true }).catch((error: unknown) => {
    if (!isConditionFailed(error)) throw error;
  });
}

await seed();
