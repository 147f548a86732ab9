/** `User.notifications(unreadOnly)`: batch aware, one Scan. */
import type { AppSyncEvent } from '../_shared/appsync.js';
import { allBySeq, notifications, toNotification } from '../_shared/store.js';

export const batch = true;

export async function handler(events: Array<AppSyncEvent<{ unreadOnly?: boolean }, { id: string }>>) {
  const all = await allBySeq(notifications);
  return events.map((e) => all
    .filter((n) => n.userId === e.source!.id && (!e.arguments.unreadOnly || !n.read))
    .map(toNotification));
}
