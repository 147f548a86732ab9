/**
 * `Query.order(id)`: a signed-in caller reads only its own orders. Another
 * user's order answers `null`, exactly as a missing one: the answer tells
 * neither that the order exists nor whose it is.
 */
import type { AppSyncEvent } from '../_shared/appsync.js';
import { mayActFor } from '../_shared/caller.js';
import { checkId } from '../_shared/input.js';
import { orders, toOrder } from '../_shared/store.js';

export async function handler(event: AppSyncEvent<{ id?: string }>) {
  const found = await orders.get({ id: checkId(event.arguments?.id) });
  if (!found || !mayActFor(event, found.item.userId)) return null;
  return toOrder(found.item);
}
