/** `Mutation.markNotificationRead(id)`. */
import { AppError, type AppSyncEvent } from '../_shared/appsync.js';
import { db, toNotification, type NotificationRow } from '../_shared/store.js';

export async function handler(event: AppSyncEvent<{ id: string }>) {
  const { changes } = db.prepare('UPDATE notifications SET read = 1 WHERE id = ?').run(event.arguments.id);
  if (changes === 0) throw new AppError('NotFoundError', `no notification ${event.arguments.id}`);
  return toNotification(db.prepare('SELECT * FROM notifications WHERE id = ?').get(event.arguments.id) as NotificationRow);
}
