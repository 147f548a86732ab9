/**
 * `Query.user(id)`, and the author/user of a post, comment or order. Batch
 * aware: receives every call of one tick as an array and answers it with one
 * BatchGetItem (AppSync BatchInvoke); given a single context, answers one user.
 */
import { batchHandler, ItemError, type AppSyncEvent } from '../_shared/appsync.js';
import { byIds, toUser, users } from '../_shared/store.js';

export const batch = true;

type Source = { authorId?: string; userId?: string };

export const handler = batchHandler(async (events: Array<AppSyncEvent<{ id?: string }, Source>>) => {
  const ids = events.map((e) => e.arguments?.id ?? e.source?.authorId ?? e.source?.userId);
  return (await byIds(users, ids)).map((u) => (u === null || u instanceof ItemError ? u : toUser(u)));
});
