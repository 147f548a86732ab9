/** `Post.commentCount`: batch aware, one Scan for every post of the request. */
import { attempt, batchHandler, type AppSyncEvent } from '../_shared/appsync.js';
import { checkId } from '../_shared/input.js';
import { comments } from '../_shared/store.js';

export const batch = true;

export const handler = batchHandler(async (events: Array<AppSyncEvent<Record<string, never>, { id?: string }>>) => {
  const postIds = events.map((e) => attempt(() => checkId(e.source?.id, 'source.id')));
  const counts = new Map<string, number>();
  for (const { item } of await comments.scanAll()) counts.set(item.postId, (counts.get(item.postId) ?? 0) + 1);
  return postIds.map((id) => (typeof id === 'string' ? counts.get(id) ?? 0 : id));
});
