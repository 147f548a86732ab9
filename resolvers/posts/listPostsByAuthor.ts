/**
 * `User.posts(limit)`. Deliberately NOT batch aware: the host runs it once
 * per item inside one batched invocation, so it still costs one invocation
 * per query level (and one Scan per user).
 */
import type { AppSyncEvent } from '../_shared/appsync.js';
import { allBySeq, posts, toPost } from '../_shared/store.js';

export async function handler(event: AppSyncEvent<{ limit?: number }, { id: string }>) {
  const limit = Math.min(Math.max(event.arguments.limit ?? 10, 0), 100);
  return (await allBySeq(posts)).filter((p) => p.authorId === event.source!.id).slice(0, limit).map(toPost);
}
