/** `Query.users(limit, offset)`: one Scan, ordered by sequence. */
import type { AppSyncEvent } from '../_shared/appsync.js';
import { allBySeq, toUser, users } from '../_shared/store.js';

export async function handler(event: AppSyncEvent<{ limit?: number; offset?: number }>) {
  const limit = Math.min(Math.max(event.arguments.limit ?? 20, 0), 200);
  const offset = Math.max(event.arguments.offset ?? 0, 0);
  return (await allBySeq(users)).slice(offset, offset + limit).map(toUser);
}
