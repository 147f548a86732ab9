/**
 * `Mutation.createUser(input)`: a sync mutation. The email is claimed first
 * with a conditional put (the unique constraint a table lacks), then the user
 * is written and `UserCreated` is published to the `user-events` topic.
 */
import { topic } from 'neolith/client';
import { AppError, type AppSyncEvent } from '../_shared/appsync.js';
import { isConditionFailed, nextSeq, toUser, userEmails, users, type User } from '../_shared/store.js';

export async function handler(event: AppSyncEvent<{ input: { name: string; email: string } }>) {
  const { name, email } = event.arguments.input;
  if (!/^[^@\s]+@[^@\s]+$/.test(email)) throw new AppError('ValidationError', `email must look like name@domain (got "${email}")`);
  if (name.trim().length === 0) throw new AppError('ValidationError', 'name must not be empty');
  const seq = await nextSeq('users');
  const user: User = { id: `u${seq}`, seq, name, email, createdAt: new Date().toISOString() };
  try {
    await userEmails.put({ email, userId: user.id }, { ifNotExists: true });
  } catch (error) {
    if (isConditionFailed(error)) throw new AppError('ConflictError', `a user with email ${email} exists`);
    throw error;
  }
  await users.put(user, { ifNotExists: true });
  await topic('user-events').publish({ type: 'UserCreated', userId: user.id, name }, { type: 'UserCreated' });
  return toUser(user);
}
