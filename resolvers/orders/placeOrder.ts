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
import { counters, isConditionFailed, nextSeq, orders, products, toOrder, users, type Order } from '../_shared/store.js';

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
  // Count attempts in a table: the same request id comes back on each retry.
  const attempt = (await counters.add({ name: `placeOrder:${requestId}` }, { value: 1 })).item.value;
  await new Promise((resolve) => setTimeout(resolve, Math.min(Math.max(input.delayMs ?? 1000, 0), 10_000)));

  const unlucky = createHash('sha1').update(requestId).digest()[0]! % 4 === 0;
  const failFirst = input.failAttempts ?? (unlucky ? 1 : 0);
  if (input.alwaysFail || attempt <= failFirst) {
    throw new AppError('PaymentDeclinedError', `payment declined for order ${requestId} (attempt ${attempt})`);
  }
  const existing = await orders.get({ id: requestId });
  if (existing) return toOrder(existing.item);
  if (input.items.length === 0) throw new AppError('ValidationError', 'an order needs at least one item');
  const [user, found] = await Promise.all([users.get({ id: input.userId }), products.batchGet(input.items.map((i) => ({ sku: i.sku })))]);
  if (!user) throw new AppError('NotFoundError', `no user ${input.userId}`);
  const priced = input.items.map((item, i) => {
    const product = found[i];
    if (!product) throw new AppError('NotFoundError', `no product ${item.sku}`);
    return { sku: item.sku, quantity: item.quantity, price: product.item.price };
  });
  const order: Order = {
    id: requestId, seq: await nextSeq('orders'), userId: input.userId, items: priced,
    total: priced.reduce((t, x) => t + x.quantity * x.price, 0), status: 'PLACED', createdAt: new Date().toISOString(),
  };
  // The write lands in the orders table's change stream: its mapping invokes
  // notifications/onOrderChange, which tells the user (the job does not).
  try {
    await orders.put(order, { ifNotExists: true });
  } catch (error) {
    if (!isConditionFailed(error)) throw error;
    return toOrder((await orders.get({ id: requestId }))!.item); // a concurrent attempt won
  }
  return toOrder(order);
}
