/**
 * `User.posts(limit)`: batch aware, one Scan for every user of the request.
 * `limit` is 1–100 (default 10), oldest first, and the batch's answer stays
 * under Lambda's 6 MB: the users whose posts do not fit fail alone
 * (`ResponseTooLarge`; `User.posts` is nullable for this).
 */
import { attempt, batchHandler, ItemError, withinBudget, type AppSyncEvent } from '../_shared/appsync.js';
import { checkId, checkLimit } from '../_shared/input.js';
import { allBySeq, posts, toPost, type Post } from '../_shared/store.js';

export const batch = true;

export const handler = batchHandler(async (events: Array<AppSyncEvent<{ limit?: number }, { id?: string }>>) => {
  const asks = events.map((e) => attempt(() => ({ authorId: checkId(e.source?.id, 'source.id'), limit: checkLimit(e.arguments?.limit, 10) })));
  if (asks.every((a) => a instanceof ItemError)) return asks;
  const wanted = new Set(asks.flatMap((a) => (a instanceof ItemError ? [] : [a.authorId])));
  const byAuthor = new Map<string, Post[]>();
  for (const p of await allBySeq(posts)) {
    if (!wanted.has(p.authorId)) continue;
    const list = byAuthor.get(p.authorId);
    if (list) list.push(p);
    else byAuthor.set(p.authorId, [p]);
  }
  return withinBudget(asks.map((a) => (a instanceof ItemError ? a : (byAuthor.get(a.authorId) ?? []).slice(0, a.limit).map(toPost))));
});
