/** `Query.post(id)` and `Comment.post`. Batch aware. */
import type { AppSyncEvent } from '../_shared/appsync.js';
import { byIds, toPost, type PostRow } from '../_shared/store.js';

export const batch = true;

export async function handler(events: Array<AppSyncEvent<{ id?: string }, { postId?: string }>>) {
  const ids = events.map((e) => e.arguments.id ?? e.source?.postId ?? '');
  return byIds<PostRow>('posts', ids).map((row) => (row ? toPost(row) : null));
}
