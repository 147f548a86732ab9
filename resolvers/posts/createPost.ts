/** `Mutation.createPost(input)`: the author is the caller when signed in, else `input.authorId`. */
import { AppError, type AppSyncEvent } from '../_shared/appsync.js';
import { db, nextSeq, toPost, type PostRow } from '../_shared/store.js';

export async function handler(event: AppSyncEvent<{ input: { authorId?: string; title: string; body: string } }>) {
  const { title, body } = event.arguments.input;
  const authorId = event.arguments.input.authorId ?? event.identity?.sub;
  if (!authorId) throw new AppError('ValidationError', 'authorId is required when not signed in');
  if (title.trim().length === 0) throw new AppError('ValidationError', 'title must not be empty');
  const created = db.transaction(() => {
    if (!db.prepare('SELECT 1 FROM users WHERE id = ?').get(authorId)) throw new AppError('NotFoundError', `no user ${authorId}`);
    const seq = nextSeq('posts');
    const row: PostRow = { id: `p${seq}`, author_id: authorId, title, body, created_at: new Date().toISOString() };
    db.prepare('INSERT INTO posts (id, seq, author_id, title, body, created_at) VALUES (?, ?, ?, ?, ?, ?)').run(row.id, seq, row.author_id, row.title, row.body, row.created_at);
    return row;
  }).immediate();
  return toPost(created);
}
