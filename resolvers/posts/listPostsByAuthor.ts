/**
 * `User.posts(limit)`. Deliberately NOT batch aware: the host runs it once
 * per item inside one batched invocation, so it still costs one invocation
 * per query level.
 */
import type { AppSyncEvent } from '../_shared/appsync.js';
import { db, toPost, type PostRow } from '../_shared/store.js';

export async function handler(event: AppSyncEvent<{ limit?: number }, { id: string }>) {
  const limit = Math.min(Math.max(event.arguments.limit ?? 10, 0), 100);
  const rows = db.prepare('SELECT * FROM posts WHERE author_id = ? ORDER BY seq LIMIT ?').all(event.source!.id, limit) as PostRow[];
  return rows.map(toPost);
}
