/** `Mutation.createUser(input)`: a sync mutation. */
import { AppError, type AppSyncEvent } from '../_shared/appsync.js';
import { db, nextSeq, toUser, type UserRow } from '../_shared/store.js';

export async function handler(event: AppSyncEvent<{ input: { name: string; email: string } }>) {
  const { name, email } = event.arguments.input;
  if (!/^[^@\s]+@[^@\s]+$/.test(email)) throw new AppError('ValidationError', `email must look like name@domain (got "${email}")`);
  if (name.trim().length === 0) throw new AppError('ValidationError', 'name must not be empty');
  const created = db.transaction(() => {
    if (db.prepare('SELECT 1 FROM users WHERE email = ?').get(email)) throw new AppError('ConflictError', `a user with email ${email} exists`);
    const seq = nextSeq('users');
    const row: UserRow = { id: `u${seq}`, name, email, created_at: new Date().toISOString() };
    db.prepare('INSERT INTO users (id, seq, name, email, created_at) VALUES (?, ?, ?, ?, ?)').run(row.id, seq, row.name, row.email, row.created_at);
    return row;
  }).immediate();
  return toUser(created);
}
