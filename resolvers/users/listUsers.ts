/** `Query.users(limit, offset)`: one Scan, ordered by sequence. `limit` 1–100 (default 20). */
import type { AppSyncEvent } from '../_shared/appsync.js';
import { checkLimit, checkOffset } from '../_shared/input.js';
import { allBySeq, toUser, users } from '../_shared/store.js';

export async function handler(event: AppSyncEvent<{ limit?: number; offset?: number }>) {
  const limit = checkLimit(event.arguments?.limit, 20);
  const offset = checkOffset(event.arguments?.offset);
  return (await allBySeq(users)).slice(offset, offset + limit).map(toUser);
}
