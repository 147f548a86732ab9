/**
 * `Post.comments(limit)`: batch aware, one Scan for every post of the request.
 * `limit` is 1–100 (default 20), and the batch's answer stays under Lambda's
 * 6 MB: the posts whose comments do not fit fail alone (`ResponseTooLarge`).
 */
import { attempt, batchHandler, withinBudget, type AppSyncEvent } from '../_shared/appsync.js';
import { checkId, checkLimit } from '../_shared/input.js';
import { allBySeq, comments, toComment, type Comment } from '../_shared/store.js';

export const batch = true;

export const handler = batchHandler(async (events: Array<AppSyncEvent<{ limit?: number }, { id?: string }>>) => {
  const asks = events.map((e) => attempt(() => ({ postId: checkId(e.source?.id, 'source.id'), limit: checkLimit(e.arguments?.limit, 20) })));
  const wanted = new Set(asks.flatMap((a) => ('postId' in a ? [a.postId] : [])));
  const byPost = new Map<string, Comment[]>();
  for (const c of await allBySeq(comments)) {
    if (!wanted.has(c.postId)) continue;
    const list = byPost.get(c.postId);
    if (list) list.push(c);
    else byPost.set(c.postId, [c]);
  }
  return withinBudget(asks.map((a) => ('postId' in a ? (byPost.get(a.postId) ?? []).slice(0, a.limit).map(toComment) : a)));
});
