/**
 * `Mutation.createUser(input)`: a sync mutation. The email (trimmed, lower
 * case: emails are compared without regard to case) is claimed first with a
 * conditional put (the unique constraint a table lacks), then the user is
 * written and `UserCreated` is published to the `user-events` topic. The
 * tables have no transactions: when the user write fails, the claim is given
 * back, so the email stays free. Name 1–100 characters.
 */
import { topic } from 'neolith/client';
import { AppError, type AppSyncEvent } from '../_shared/appsync.js';
import { checkEmail, checkText, LIMITS } from '../_shared/input.js';
import { isConditionFailed, nextSeq, toUser, userEmails, users, type User } from '../_shared/store.js';

export async function handler(event: AppSyncEvent<{ input: { name: string; email: string } }>) {
  const input = event.arguments?.input ?? {};
  const email = checkEmail(input.email);
  const name = checkText(input.name, 'name', LIMITS.nameChars);
  const seq = await nextSeq('users');
  const user: User = { id: `u${seq}`, seq, name, email, createdAt: new Date().toISOString() };
  let claim: { version: number };
  try {
    claim = await userEmails.put({ email, userId: user.id }, { ifNotExists: true });
  } catch (error) {
    if (isConditionFailed(error)) throw new AppError('ConflictError', `a user with email ${email} exists`);
    throw error;
  }
  try {
    await users.put(user, { ifNotExists: true });
  } catch (error) {
    // Pinned to the claim's version: only this claim is given back.
    await userEmails.delete({ email }, { expectedVersion: claim.version }).catch((releaseError: unknown) => {
      console.error(`could not give back the claim on ${email} for ${user.id}:`, releaseError);
    });
    if (isConditionFailed(error)) throw new AppError('ConflictError', `user id ${user.id} is taken (the users counter is behind the table)`);
    throw error;
  }
  await topic('user-events').publish({ type: 'UserCreated', userId: user.id, name }, { type: 'UserCreated' });
  return toUser(user);
}
