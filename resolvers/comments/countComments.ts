/** `Post.commentCount`: batch aware. */
import type { AppSyncEvent } from '../_shared/appsync.js';
import { db } from '../_shared/store.js';

export const batch = true;

export async function handler(events: Array<AppSyncEvent<Record<string, never>, { id: string }>>) {
  const ids = [...new Set(events.map((e) => e.source!.id))];
  const rows = ids.length === 0 ? [] : db.prepare(
    `SELECT post_id, count(*) AS n FROM comments WHERE post_id IN (${ids.map(() => '?').join(',')}) GROUP BY post_id`,
  ).all(...ids) as Array<{ post_id: string; n: number }>;
  const counts = new Map(rows.map((r) => [r.post_id, r.n]));
  return events.map((e) => counts.get(e.source!.id) ?? 0);
}
