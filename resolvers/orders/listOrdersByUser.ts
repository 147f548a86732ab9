/** `User.orders`: batch aware, one Scan. */
import type { AppSyncEvent } from '../_shared/appsync.js';
import { allBySeq, orders, toOrder } from '../_shared/store.js';

export const batch = true;

export async function handler(events: Array<AppSyncEvent<Record<string, never>, { id: string }>>) {
  const all = await allBySeq(orders);
  return events.map((e) => all.filter((o) => o.userId === e.source!.id).map(toOrder));
}
