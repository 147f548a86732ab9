/**
 * `Mutation.markNotificationRead(id)`: an update that must find the item
 * (expected version ≥ 1). A signed-in caller marks only its own.
 */
import { AppError, type AppSyncEvent } from '../_shared/appsync.js';
import { requireSelf } from '../_shared/caller.js';
import { checkId } from '../_shared/input.js';
import { notifications, toNotification } from '../_shared/store.js';

export async function handler(event: AppSyncEvent<{ id?: string }>) {
  const id = checkId(event.arguments?.id);
  const current = await notifications.get({ id });
  if (!current) throw new AppError('NotFoundError', `no notification ${id}`);
  requireSelf(event, current.item.userId, 'mark the notifications of');
  // Pinned to the version read: a concurrent delete fails it rather than recreating the item.
  const updated = await notifications.update({ id }, { read: true }, { expectedVersion: current.version });
  return toNotification(updated.item);
}
