/** `Query.posts(limit, offset)`: oldest first by sequence, stable for tests. One Scan. */
import type { AppSyncEvent } from '../_shared/appsync.js';
import { allBySeq, posts, toPost } from '../_shared/store.js';

export async function handler(event: AppSyncEvent<{ limit?: number; offset?: number }>) {
  const limit = Math.min(Math.max(event.arguments.limit ?? 20, 0), 500);
  const offset = Math.max(event.arguments.offset ?? 0, 0);
  return (await allBySeq(posts)).slice(offset, offset + limit).map(toPost);
}
