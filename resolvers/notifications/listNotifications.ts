/** `User.notifications(unreadOnly)`: batch aware. */
import type { AppSyncEvent } from '../_shared/appsync.js';
import { db, toNotification, type NotificationRow } from '../_shared/store.js';

export const batch = true;

export async function handler(events: Array<AppSyncEvent<{ unreadOnly?: boolean }, { id: string }>>) {
  const ids = [...new Set(events.map((e) => e.source!.id))];
  const rows = ids.length === 0 ? [] : db.prepare(
    `SELECT * FROM notifications WHERE user_id IN (${ids.map(() => '?').join(',')}) ORDER BY seq`,
  ).all(...ids) as NotificationRow[];
  return events.map((e) => rows
    .filter((r) => r.user_id === e.source!.id && (!e.arguments.unreadOnly || r.read === 0))
    .map(toNotification));
}
