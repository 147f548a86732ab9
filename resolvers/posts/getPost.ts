/** `Query.post(id)` and `Comment.post`. Batch aware: one BatchGetItem. */
import type { AppSyncEvent } from '../_shared/appsync.js';
import { byIds, posts, toPost } from '../_shared/store.js';

export const batch = true;

export async function handler(events: Array<AppSyncEvent<{ id?: string }, { postId?: string }>>) {
  const ids = events.map((e) => e.arguments.id ?? e.source?.postId ?? '');
  return (await byIds(posts, ids)).map((p) => (p ? toPost(p) : null));
}
