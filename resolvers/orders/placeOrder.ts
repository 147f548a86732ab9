/**
 * `Mutation.placeOrder(input)`: the async mutation (`invocation: EVENT`).
 * Slow (about a second: a pretend payment) and sometimes failing, to show
 * retries. Failure is deterministic: `failAttempts: n` fails the first n
 * attempts, `alwaysFail: true` every one; without them the first attempt of
 * one order in four fails (by request id). Idempotent per request id, since
 * async delivery is at-least-once.
 *
 * The input is checked first — its shape (1–100 items, each quantity an
 * integer 1–1000, `delayMs` 0–5000), the caller (a signed-in caller orders
 * only for itself), the user and the products — before an attempt is
 * counted, the pretend payment waits or a failure is injected. So a bad
 * order fails at once with its own `ValidationError`, `Forbidden` or
 * `NotFoundError` on every attempt, never with a payment error that looks
 * transient. (Lambda retries every failed Event attempt; the retries of a bad
 * order fail the same way, in no time.)
 */
import { createHash } from 'node:crypto';
import { AppError, type AppSyncEvent, type LambdaContext } from '../_shared/appsync.js';
import { requireSelf } from '../_shared/caller.js';
import { checkId, checkInt, LIMITS, show } from '../_shared/input.js';
import { counters, isConditionFailed, nextSeq, orders, products, toOrder, users, type Order } from '../_shared/store.js';

interface PlaceOrderInput {
  userId: string;
  items: Array<{ sku: string; quantity: number }>;
  delayMs: number;
  failAttempts?: number;
  alwaysFail: boolean;
}

/** Margin left before the function's timeout when the pretend payment waits. */
const TIMEOUT_MARGIN_MS = 1000;

export async function handler(event: AppSyncEvent<{ input: unknown }>, context: LambdaContext) {
  const input = checkInput(event.arguments?.input);
  requireSelf(event, input.userId, 'place orders for');
  const requestId = context.awsRequestId;
  // A retry after the order was written (the attempt failed later): the order stands.
  const existing = await orders.get({ id: requestId });
  if (existing) return toOrder(existing.item);
  const [user, found] = await Promise.all([users.get({ id: input.userId }), products.batchGet(input.items.map((i) => ({ sku: i.sku })))]);
  if (!user) throw new AppError('NotFoundError', `no user ${input.userId}`);
  const priced = input.items.map((item, i) => {
    const product = found[i];
    if (!product) throw new AppError('NotFoundError', `no product ${item.sku}`);
    return { sku: item.sku, quantity: item.quantity, price: product.item.price };
  });

  // Count attempts in a table: the same request id comes back on each retry.
  const attempt = (await counters.add({ name: `placeOrder:${requestId}` }, { value: 1 })).item.value;
  // The pretend payment never runs into the function's timeout.
  const delay = Math.min(input.delayMs, Math.max(context.getRemainingTimeInMillis() - TIMEOUT_MARGIN_MS, 0));
  await new Promise((resolve) => setTimeout(resolve, delay));
  const unlucky = createHash('sha1').update(requestId).digest()[0]! % 4 === 0;
  const failFirst = input.failAttempts ?? (unlucky ? 1 : 0);
  if (input.alwaysFail || attempt <= failFirst) {
    throw new AppError('PaymentDeclinedError', `payment declined for order ${requestId} (attempt ${attempt})`);
  }

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

/** The input's shape and sizes, or a `ValidationError` naming the first broken rule. */
function checkInput(value: unknown): PlaceOrderInput {
  const invalid = (message: string) => new AppError('ValidationError', message);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(`input must be an object (got ${show(value)})`);
  const input = value as Record<string, unknown>;
  const userId = checkId(input.userId, 'userId');
  const items = input.items;
  if (!Array.isArray(items) || items.length < 1 || items.length > LIMITS.orderItems) {
    throw invalid(`items must hold 1 to ${LIMITS.orderItems} items (got ${Array.isArray(items) ? items.length : show(items)})`);
  }
  const checked = items.map((item: unknown, i) => {
    if (typeof item !== 'object' || item === null) throw invalid(`items[${i}] must be an object (got ${show(item)})`);
    const { sku, quantity } = item as Record<string, unknown>;
    // Characters are code points, as the inputSchema's maxLength counts them.
    if (typeof sku !== 'string' || sku.length === 0 || [...sku].length > LIMITS.skuChars) {
      throw invalid(`items[${i}].sku must be a string of 1 to ${LIMITS.skuChars} characters (got ${show(sku)})`);
    }
    return { sku, quantity: checkInt(quantity, `items[${i}].quantity`, 1, LIMITS.quantity) };
  });
  const delayMs = checkInt(input.delayMs, 'delayMs', 0, LIMITS.delayMs, 1000);
  const failAttempts = input.failAttempts === undefined || input.failAttempts === null
    ? undefined : checkInt(input.failAttempts, 'failAttempts', 0, LIMITS.failAttempts);
  const alwaysFail = input.alwaysFail ?? false;
  if (typeof alwaysFail !== 'boolean') throw invalid(`alwaysFail must be a boolean (got ${show(alwaysFail)})`);
  return { userId, items: checked, delayMs, ...(failAttempts !== undefined && { failAttempts }), alwaysFail };
}
