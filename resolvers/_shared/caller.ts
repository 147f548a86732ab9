/**
 * Who may act for whom, decided by the kind of identity the gateway verified:
 *
 * - anonymous (`identity: null`, the `npm start` default) and a SigV4
 *   principal (AppSync's IAM identity: `accountId` and `userArn`, no `sub` —
 *   a trusted backend) may act for any user, as the demo always did; refuse
 *   anonymous access with `graphql.auth.anonymous: false` to require a user;
 * - any other identity is a signed-in caller (a verified JWT's OIDC identity:
 *   `sub`, `issuer`, `claims`), whose `sub` is a user id of this app (`u1`):
 *   it acts only as that user — writes as it, reads its orders and
 *   notifications. A signed-in caller without a usable `sub` (empty or
 *   missing) is no user at all: it may act for nobody.
 *
 * Refusals never name the other user, and a job that reads an item by id
 * answers another user's item exactly as a missing one (see `mayActFor`).
 */
import { AppError, type AppSyncEvent } from './appsync.js';
import { checkId } from './input.js';

type Identity = AppSyncEvent['identity'];

/** A SigV4 principal's IAM identity: an account and an ARN, and no `sub`. */
function isIam(identity: NonNullable<Identity>): boolean {
  return typeof identity.accountId === 'string' && typeof identity.userArn === 'string' && !('sub' in identity);
}

/**
 * The signed-in caller's user id: the identity's `sub`, or `''` when it has
 * none (a user id matching no user). Undefined for an anonymous caller or a
 * SigV4 principal, who may act for any user.
 */
export function callerId(event: Pick<AppSyncEvent, 'identity'>): string | undefined {
  const identity = event.identity;
  if (identity === null || identity === undefined || isIam(identity)) return undefined;
  return typeof identity.sub === 'string' ? identity.sub : '';
}

/** True when the caller may act for (read or write as) `userId`: anonymous, a SigV4 principal, or that very user. */
export function mayActFor(event: Pick<AppSyncEvent, 'identity'>, userId: string): boolean {
  const me = callerId(event);
  return me === undefined || (me !== '' && me === userId);
}

/** Throws `Forbidden` when the caller may not `action` (e.g. "read the orders of") `userId`. The message names neither user. */
export function requireSelf(event: Pick<AppSyncEvent, 'identity'>, userId: string, action: string): void {
  if (!mayActFor(event, userId)) throw new AppError('Forbidden', `a signed-in caller may not ${action} another user`);
}

/**
 * The user a write is made as: `given` (an `authorId`-like argument at `path`)
 * or, when absent, the signed-in caller. A signed-in caller may only name itself.
 */
export function actingUser(event: Pick<AppSyncEvent, 'identity'>, given: unknown, path: string, action: string): string {
  const me = callerId(event);
  if (given === undefined || given === null) {
    if (me === undefined) throw new AppError('ValidationError', `${path} is required when not signed in`);
    if (me === '') throw new AppError('Forbidden', `a signed-in caller without a user id (its token's "sub") may not ${action} any user`);
    return me;
  }
  const id = checkId(given, path);
  requireSelf(event, id, action);
  return id;
}
