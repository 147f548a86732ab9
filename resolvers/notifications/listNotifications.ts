/**
 * `User.notifications(unreadOnly, limit)`: batch aware, one Scan. A signed-in
 * caller reads only its own (another user's fail alone with `Forbidden`);
 * `limit` is 1–100 (default 20), oldest first.
 */
import { attempt, batchHandler, ItemError, withinBudget, type AppSyncEvent } from '../_shared/appsync.js';
import { requireSelf } from '../_shared/caller.js';
import { checkId, checkLimit } from '../_shared/input.js';
import { allBySeq, notifications, toNotification } from '../_shared/store.js';

export const batch = true;

export const handler = batchHandler(async (events: Array<AppSyncEvent<{ unreadOnly?: boolean; limit?: number }, { id?: string }>>) => {
  const asks = events.map((e) => attempt(() => {
    const userId = checkId(e.source?.id, 'source.id');
    requireSelf(e, userId, 'read the notifications of');
    return { userId, unreadOnly: e.arguments?.unreadOnly === true, limit: checkLimit(e.arguments?.limit, 20) };
  }));
  if (asks.every((a) => a instanceof ItemError)) return asks;
  const all = await allBySeq(notifications);
  return withinBudget(asks.map((a) => (a instanceof ItemError ? a : all
    .filter((n) => n.userId === a.userId && (!a.unreadOnly || !n.read))
    .slice(0, a.limit)
    .map(toNotification))));
});
