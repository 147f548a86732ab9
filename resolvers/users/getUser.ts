/**
 * `Query.user(id)`, and the author/user of a post, comment or order. Batch
 * aware: receives every call of one tick as an array and answers it with one
 * BatchGetItem (AppSync BatchInvoke).
 */
import type { AppSyncEvent } from '../_shared/appsync.js';
import { byIds, toUser, users } from '../_shared/store.js';

export const batch = true;

type Source = { authorId?: string; userId?: string };

export async function handler(events: Array<AppSyncEvent<{ id?: string }, Source>>) {
  const ids = events.map((e) => e.arguments.id ?? e.source?.authorId ?? e.source?.userId ?? '');
  return (await byIds(users, ids)).map((u) => (u ? toUser(u) : null));
}
