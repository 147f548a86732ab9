/** `Post.commentCount`: batch aware, one Scan for every post of the request. */
import type { AppSyncEvent } from '../_shared/appsync.js';
import { comments } from '../_shared/store.js';

export const batch = true;

export async function handler(events: Array<AppSyncEvent<Record<string, never>, { id: string }>>) {
  const counts = new Map<string, number>();
  for (const { item } of await comments.scanAll()) counts.set(item.postId, (counts.get(item.postId) ?? 0) + 1);
  return events.map((e) => counts.get(e.source!.id) ?? 0);
}
