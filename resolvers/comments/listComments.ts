/** `Post.comments(limit)`: batch aware, one Scan for every post of the request. */
import type { AppSyncEvent } from '../_shared/appsync.js';
import { allBySeq, comments, toComment, type Comment } from '../_shared/store.js';

export const batch = true;

export async function handler(events: Array<AppSyncEvent<{ limit?: number }, { id: string }>>) {
  const wanted = new Set(events.map((e) => e.source!.id));
  const byPost = new Map<string, Comment[]>();
  for (const c of await allBySeq(comments)) {
    if (wanted.has(c.postId)) byPost.set(c.postId, [...(byPost.get(c.postId) ?? []), c]);
  }
  return events.map((e) => (byPost.get(e.source!.id) ?? []).slice(0, Math.max(e.arguments.limit ?? 20, 0)).map(toComment));
}
