/** `Query.posts(limit, offset)`: oldest first by sequence, stable for tests. One Scan. `limit` 1–100 (default 20). */
import type { AppSyncEvent } from '../_shared/appsync.js';
import { checkLimit, checkOffset } from '../_shared/input.js';
import { allBySeq, posts, toPost } from '../_shared/store.js';

export async function handler(event: AppSyncEvent<{ limit?: number; offset?: number }>) {
  const limit = checkLimit(event.arguments?.limit, 20);
  const offset = checkOffset(event.arguments?.offset);
  return (await allBySeq(posts)).slice(offset, offset + limit).map(toPost);
}
