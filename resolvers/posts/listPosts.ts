/** `Query.posts(limit, offset)`: newest first by sequence, stable for tests. */
import type { AppSyncEvent } from '../_shared/appsync.js';
import { db, toPost, type PostRow } from '../_shared/store.js';

export async function handler(event: AppSyncEvent<{ limit?: number; offset?: number }>) {
  const limit = Math.min(Math.max(event.arguments.limit ?? 20, 0), 500);
  const rows = db.prepare('SELECT * FROM posts ORDER BY seq LIMIT ? OFFSET ?').all(limit, event.arguments.offset ?? 0) as PostRow[];
  return rows.map(toPost);
}
