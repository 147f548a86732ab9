/** `Post.comments(limit)`: batch aware, one SQL query for every post of the request. */
import type { AppSyncEvent } from '../_shared/appsync.js';
import { db, toComment, type CommentRow } from '../_shared/store.js';

export const batch = true;

export async function handler(events: Array<AppSyncEvent<{ limit?: number }, { id: string }>>) {
  const postIds = [...new Set(events.map((e) => e.source!.id))];
  const rows = postIds.length === 0 ? [] : db.prepare(
    `SELECT * FROM comments WHERE post_id IN (${postIds.map(() => '?').join(',')}) ORDER BY seq`,
  ).all(...postIds) as CommentRow[];
  const byPost = new Map<string, CommentRow[]>();
  for (const row of rows) byPost.set(row.post_id, [...(byPost.get(row.post_id) ?? []), row]);
  return events.map((e) => (byPost.get(e.source!.id) ?? []).slice(0, Math.max(e.arguments.limit ?? 20, 0)).map(toComment));
}
