/** `Query.order(id)`. */
import type { AppSyncEvent } from '../_shared/appsync.js';
import { orders, toOrder } from '../_shared/store.js';

export async function handler(event: AppSyncEvent<{ id: string }>) {
  const found = await orders.get({ id: event.arguments.id });
  return found ? toOrder(found.item) : null;
}
