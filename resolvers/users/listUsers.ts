/** `Query.users(limit, offset)`. */
import type { AppSyncEvent } from '../_shared/appsync.js';
import { db, toUser, type UserRow } from '../_shared/store.js';

export async function handler(event: AppSyncEvent<{ limit?: number; offset?: number }>) {
  const limit = Math.min(Math.max(event.arguments.limit ?? 20, 0), 200);
  const rows = db.prepare('SELECT * FROM users ORDER BY seq LIMIT ? OFFSET ?').all(limit, event.arguments.offset ?? 0) as UserRow[];
  return rows.map(toUser);
}
