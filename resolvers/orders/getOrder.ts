/** `Query.order(id)`: a signed-in caller reads only its own orders (`Forbidden` otherwise). */
import type { AppSyncEvent } from '../_shared/appsync.js';
import { requireSelf } from '../_shared/caller.js';
import { checkId } from '../_shared/input.js';
import { orders, toOrder } from '../_shared/store.js';

export async function handler(event: AppSyncEvent<{ id?: string }>) {
  const found = await orders.get({ id: checkId(event.arguments?.id) });
  if (!found) return null;
  requireSelf(event, found.item.userId, 'read the orders of');
  return toOrder(found.item);
}
