/** `User.orders`: batch aware. */
import type { AppSyncEvent } from '../_shared/appsync.js';
import { db, toOrder, type OrderRow } from '../_shared/store.js';

export const batch = true;

export async function handler(events: Array<AppSyncEvent<Record<string, never>, { id: string }>>) {
  const ids = [...new Set(events.map((e) => e.source!.id))];
  const rows = ids.length === 0 ? [] : db.prepare(
    `SELECT * FROM orders WHERE user_id IN (${ids.map(() => '?').join(',')}) ORDER BY seq`,
  ).all(...ids) as OrderRow[];
  return events.map((e) => rows.filter((r) => r.user_id === e.source!.id).map(toOrder));
}
