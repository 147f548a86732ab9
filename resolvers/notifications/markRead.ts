/** `Mutation.markNotificationRead(id)`: an update that must find the item (expected version ≥ 1). */
import { AppError, type AppSyncEvent } from '../_shared/appsync.js';
import { notifications, toNotification } from '../_shared/store.js';

export async function handler(event: AppSyncEvent<{ id: string }>) {
  const current = await notifications.get({ id: event.arguments.id });
  if (!current) throw new AppError('NotFoundError', `no notification ${event.arguments.id}`);
  // Pinned to the version read: a concurrent delete fails it rather than recreating the item.
  const updated = await notifications.update({ id: event.arguments.id }, { read: true }, { expectedVersion: current.version });
  return toNotification(updated.item);
}
