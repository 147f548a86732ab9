/** `Query.post(id)` and `Comment.post`. Batch aware: one BatchGetItem; given a single context, answers one post. */
import { batchHandler, ItemError, type AppSyncEvent } from '../_shared/appsync.js';
import { byIds, posts, toPost } from '../_shared/store.js';

export const batch = true;

export const handler = batchHandler(async (events: Array<AppSyncEvent<{ id?: string }, { postId?: string }>>) => {
  const ids = events.map((e) => e.arguments?.id ?? e.source?.postId);
  return (await byIds(posts, ids)).map((p) => (p === null || p instanceof ItemError ? p : toPost(p)));
});
