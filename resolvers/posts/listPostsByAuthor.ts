/**
 * `User.posts(limit)`. Deliberately NOT batch aware: the host runs it once
 * per item inside one batched invocation, so it still costs one invocation
 * per query level (and one Scan per user). `limit` 1–100 (default 10).
 */
import type { AppSyncEvent } from '../_shared/appsync.js';
import { checkId, checkLimit } from '../_shared/input.js';
import { allBySeq, posts, toPost } from '../_shared/store.js';

export async function handler(event: AppSyncEvent<{ limit?: number }, { id?: string }>) {
  const authorId = checkId(event.source?.id, 'source.id');
  const limit = checkLimit(event.arguments?.limit, 10);
  return (await allBySeq(posts)).filter((p) => p.authorId === authorId).slice(0, limit).map(toPost);
}
