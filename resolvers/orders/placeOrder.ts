/**
 * `Mutation.placeOrder(input)`: the async mutation (`invocation: EVENT`).
 * Slow (about a second: a pretend payment) and sometimes failing, to show
 * retries. Failure is deterministic: `failAttempts: n` fails the first n
 * attempts, `alwaysFail: true` every one; without them the first attempt of
 * one order in four fails (by request id). Idempotent per request id, since
 * async delivery is at-least-once.
 */
import { createHash } from 'node:crypto';
import { AppError, type AppSyncEvent, type LambdaContext } from '../_shared/appsync.js';
import { db, nextSeq, toOrder, type OrderRow } from '../_shared/store.js';

interface PlaceOrderInput {
  userId: string;
  items: Array<{ sku: string; quantity: number }>;
  delayMs?: number;
  failAttempts?: number;
  alwaysFail?: boolean;
}

export async function handler(event: AppSyncEvent<{ input: PlaceOrderInput }>, context: LambdaContext) {
  const input = event.arguments.input;
  const requestId = context.awsRequestId;
  // Count attempts in the store: the same request id comes back on each retry.
  const attempt = db.transaction(() => {
    db.prepare('INSERT INTO order_attempts (request_id, attempts) VALUES (?, 1) ON CONFLICT (request_id) DO UPDATE SET attempts = attempts + 1').run(requestId);
    return (db.prepare('SELECT attempts FROM order_attempts WHERE request_id = ?').get(requestId) as { attempts: number }).attempts;
  }).immediate();
  await new Promise((resolve) => setTimeout(resolve, Math.min(Math.max(input.delayMs ?? 1000, 0), 10_000)));

  const unlucky = createHash('sha1').update(requestId).digest()[0]! % 4 === 0;
  const failFirst = input.failAttempts ?? (unlucky ? 1 : 0);
  if (input.alwaysFail || attempt <= failFirst) {
    throw new AppError('PaymentDeclinedError', `payment declined for order ${requestId} (attempt ${attempt})`);
  }
  const existing = db.prepare('SELECT * FROM orders WHERE id = ?').get(requestId) as OrderRow | undefined;
  if (existing) return toOrder(existing);
  if (input.items.length === 0) throw new AppError('ValidationError', 'an order needs at least one item');
  const created = db.transaction(() => {
    if (!db.prepare('SELECT 1 FROM users WHERE id = ?').get(input.userId)) throw new AppError('NotFoundError', `no user ${input.userId}`);
    const priced = input.items.map((item) => {
      const product = db.prepare('SELECT price FROM products WHERE sku = ?').get(item.sku) as { price: number } | undefined;
      if (!product) throw new AppError('NotFoundError', `no product ${item.sku}`);
      return { sku: item.sku, quantity: item.quantity, price: product.price };
    });
    const now = new Date().toISOString();
    const row: OrderRow = {
      id: requestId, user_id: input.userId, items: JSON.stringify(priced),
      total: priced.reduce((t, x) => t + x.quantity * x.price, 0), status: 'PLACED', created_at: now,
    };
    db.prepare('INSERT OR IGNORE INTO orders (id, seq, user_id, items, total, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(row.id, nextSeq('orders'), row.user_id, row.items, row.total, row.status, now);
    const n = nextSeq('notifications');
    db.prepare('INSERT INTO notifications (id, seq, user_id, message, read, created_at) VALUES (?, ?, ?, ?, 0, ?)')
      .run(`n${n}`, n, input.userId, `Your order ${requestId} was placed`, now);
    return row;
  }).immediate();
  return toOrder(created);
}
