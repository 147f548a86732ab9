/**
 * Who may act for whom. A signed-in caller is a verified JWT, and its `sub`
 * is a user id of this app (`u1`): such a caller acts only as itself — it
 * writes as that user and reads that user's orders and notifications.
 * Anonymous callers (`identity: null`, the `npm start` default) and SigV4
 * principals (IAM identities carry no `sub`: a trusted backend) may act for
 * any user, as the demo always did; refuse anonymous access with
 * `graphql.auth.anonymous: false` to require a user.
 */
import { AppError, type AppSyncEvent } from './appsync.js';
import { checkId } from './input.js';

/** The signed-in user's id (the JWT's `sub`), or undefined for an anonymous caller or a SigV4 principal. */
export function callerId(event: Pick<AppSyncEvent, 'identity'>): string | undefined {
  const sub = event.identity?.sub;
  return typeof sub === 'string' && sub !== '' ? sub : undefined;
}

/** Throws `Forbidden` when a signed-in caller would `action` (e.g. "read the orders of") another user. */
export function requireSelf(event: Pick<AppSyncEvent, 'identity'>, userId: string, action: string): void {
  const me = callerId(event);
  if (me !== undefined && me !== userId) throw new AppError('Forbidden', `signed in as ${me}: may not ${action} ${userId}`);
}

/**
 * The user a write is made as: `given` (an `authorId`-like argument at `path`)
 * or, when absent, the signed-in caller. A signed-in caller may only name itself.
 */
export function actingUser(event: Pick<AppSyncEvent, 'identity'>, given: unknown, path: string, action: string): string {
  const me = callerId(event);
  if (given === undefined || given === null) {
    if (me === undefined) throw new AppError('ValidationError', `${path} is required when not signed in`);
    return me;
  }
  const id = checkId(given, path);
  requireSelf(event, id, action);
  return id;
}
