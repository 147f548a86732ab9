/**
 * `Mutation.markNotificationRead(id)`: an update that must find the item
 * (expected version ≥ 1). A signed-in caller marks only its own: another
 * user's notification fails with the same `NotFoundError` as a missing one,
 * so the answer tells neither that it exists nor whose it is.
 */
import { AppError, type AppSyncEvent } from '../_shared/appsync.js';
import { mayActFor } from '../_shared/caller.js';
import { checkId } from '../_shared/input.js';
import { notifications, toNotification } from '../_shared/store.js';

export async function handler(event: AppSyncEvent<{ id?: string }>) {
  const id = checkId(event.arguments?.id);
  const current = await notifications.get({ id });
  if (!current || !mayActFor(event, current.item.userId)) throw new AppError('NotFoundError', `no notification ${id}`);
  // Pinned to the version read: a concurrent delete fails it rather than recreating the item.
  const updated = await notifications.update({ id }, { read: true }, { expectedVersion: current.version });
  return toNotification(updated.item);
}
