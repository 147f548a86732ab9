/** `Query.order(id)`. */
import type { AppSyncEvent } from '../_shared/appsync.js';
import { db, toOrder, type OrderRow } from '../_shared/store.js';

export async function handler(event: AppSyncEvent<{ id: string }>) {
  const row = db.prepare('SELECT * FROM orders WHERE id = ?').get(event.arguments.id) as OrderRow | undefined;
  return row ? toOrder(row) : null;
}
