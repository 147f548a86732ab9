/** `Mutation.addComment(input)`: also notifies the post's author. */
import { AppError, type AppSyncEvent } from '../_shared/appsync.js';
import { db, nextSeq, toComment, type CommentRow } from '../_shared/store.js';

export async function handler(event: AppSyncEvent<{ input: { postId: string; authorId?: string; body: string } }>) {
  const { postId, body } = event.arguments.input;
  const authorId = event.arguments.input.authorId ?? event.identity?.sub;
  if (!authorId) throw new AppError('ValidationError', 'authorId is required when not signed in');
  if (body.trim().length === 0) throw new AppError('ValidationError', 'body must not be empty');
  const created = db.transaction(() => {
    const post = db.prepare('SELECT author_id FROM posts WHERE id = ?').get(postId) as { author_id: string } | undefined;
    if (!post) throw new AppError('NotFoundError', `no post ${postId}`);
    if (!db.prepare('SELECT 1 FROM users WHERE id = ?').get(authorId)) throw new AppError('NotFoundError', `no user ${authorId}`);
    const seq = nextSeq('comments');
    const now = new Date().toISOString();
    const row: CommentRow = { id: `c${seq}`, post_id: postId, author_id: authorId, body, created_at: now };
    db.prepare('INSERT INTO comments (id, seq, post_id, author_id, body, created_at) VALUES (?, ?, ?, ?, ?, ?)').run(row.id, seq, postId, authorId, body, now);
    const n = nextSeq('notifications');
    db.prepare('INSERT INTO notifications (id, seq, user_id, message, read, created_at) VALUES (?, ?, ?, ?, 0, ?)')
      .run(`n${n}`, n, post.author_id, `New comment on ${postId}`, now);
    return row;
  }).immediate();
  return toComment(created);
}
